import { createHandle } from './flow/handle-lifecycle.js';
import { challengeStep } from './flow/record.js';
import { type Call, sendKeys } from './flow/runtime.js';
import { issueSignInChallenge, signInRecord } from './flow/sign-in-challenge.js';
import { type Identifier, normaliseEmail, normalisePhone } from './identifiers.js';
import { badInput } from './messages.js';
import { resendUnconfirmed } from './sign-up.js';
import type { AuthStep, OtpChannel, StartSignInInput } from './types.js';

/** The identifier of a sign-in: exactly one of email and phone number, normalised. */
function identifierOf(input: StartSignInInput): Identifier {
  const hasEmail = input.email !== undefined && input.email !== null && input.email !== '';
  const hasPhone = input.phoneNumber !== undefined && input.phoneNumber !== null && input.phoneNumber !== '';
  if (hasEmail === hasPhone) throw badInput('input');
  if (hasEmail) {
    const email = normaliseEmail(input.email);
    if (email === undefined) throw badInput('email');
    return { kind: 'email', value: email };
  }
  const phone = normalisePhone(input.phoneNumber);
  if (phone === undefined) throw badInput('phoneNumber');
  return { kind: 'phone', value: phone };
}

function channelOf(input: StartSignInInput): OtpChannel {
  const channel = input.channel ?? 'EMAIL';
  if (channel !== 'EMAIL' && channel !== 'SMS') throw badInput('channel');
  return channel;
}

/**
 * startSignIn: sends an 8-digit sign-in code by email or SMS and answers with a handle for it.
 * Cognito: InitiateAuth USER_AUTH (1 call; 2 when Cognito answers SELECT_CHALLENGE).
 *
 * An address without an account gets the same answer (shape, masked-destination format, timing); its
 * handle accepts no code. An address whose account was signed up but never confirmed gets its
 * confirmation code again and CONFIRM_SIGN_UP (Cognito: + ResendConfirmationCode): the only way its
 * owner can get past a squatter. That answer tells a caller that such a pending sign-up exists, which
 * the squatter knew already and which gives nobody else access. `channel` defaults to EMAIL whichever identifier is given (the contract's
 * default); the per-destination limits count the identifier given, whatever channel the code takes.
 * @throws OtpError BAD_USER_INPUT (field 'input' for both or neither identifier, 'email',
 *   'phoneNumber', 'channel'), RATE_LIMITED (scope request | destination | ip | profile),
 *   TOO_MANY_ATTEMPTS (Cognito locked the user out), DELIVERY_FAILED, UPSTREAM_UNAVAILABLE,
 *   SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR
 */
export async function startSignIn(call: Call, input: StartSignInInput): Promise<AuthStep> {
  let identifier: Identifier;
  let channel: OtpChannel;
  try {
    identifier = identifierOf(input ?? {});
    channel = channelOf(input);
  } catch (error) {
    // Malformed input still counts as a request, and spends no send.
    await call.profile.limits.request(call.ip);
    throw error;
  }
  const destinationKey = call.engine.keys.destinationKey(identifier);
  // The request and send budgets in one round trip; a caller over the request budget gets its send
  // points back, so it cannot spend the address's budget. The send budgets live in the store: a dead
  // store refuses here, before Cognito sends anything.
  await call.profile.limits.requestAndSend(sendKeys(call, destinationKey));
  const issued = await issueSignInChallenge(call, identifier, channel);
  if (issued.fake && issued.unconfirmed && identifier.kind === 'email') {
    // Someone signed this address up and never confirmed (perhaps to squat it): its owner gets the
    // confirmation code, which only the owner can read, and signs in by confirming it.
    const resumed = await resendUnconfirmed(call, identifier.value, destinationKey);
    if (resumed !== undefined) return resumed;
  }
  const record = signInRecord(call, identifier, channel, issued, destinationKey);
  const handle = await createHandle(call, record, record.expiresAt - record.createdAt);
  return challengeStep(handle, record);
}
