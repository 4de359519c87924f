import { createHandleInBackground } from './flow/handle-lifecycle.js';
import { issuePasskeyChallenge, passkeyRecord } from './flow/passkey-challenge.js';
import { challengeStep, passkeyStep } from './flow/record.js';
import { type Call, sendKeys } from './flow/runtime.js';
import { issueSignInChallenge, signInRecord } from './flow/sign-in-challenge.js';
import { type Identifier, normaliseEmail, normalisePhone } from './identifiers.js';
import { badInput, otpError } from './messages.js';
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

/** The code channel asked for, or PASSKEY. `method` EMAIL_CODE / SMS_CODE must agree with `channel`. */
function channelOf(input: StartSignInInput): OtpChannel | 'PASSKEY' {
  const method = input.method ?? undefined;
  if (method !== undefined && method !== 'EMAIL_CODE' && method !== 'SMS_CODE' && method !== 'PASSKEY')
    throw badInput('method');
  const given = input.channel ?? undefined;
  if (given !== undefined && given !== 'EMAIL' && given !== 'SMS') throw badInput('channel');
  if (method === 'PASSKEY') return 'PASSKEY';
  const fromMethod = method === undefined ? undefined : method === 'EMAIL_CODE' ? 'EMAIL' : 'SMS';
  if (given !== undefined && fromMethod !== undefined && given !== fromMethod) throw badInput('method');
  return given ?? fromMethod ?? 'EMAIL';
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
 *
 * `method: PASSKEY` answers CONFIRM_SIGN_IN_WITH_PASSKEY with WebAuthn request options instead
 * (Cognito: InitiateAuth USER_AUTH PREFERRED_CHALLENGE=WEB_AUTHN, + SELECT_CHALLENGE when needed), the
 * same shape for every address (see flow/passkey-challenge.ts). Nothing is sent, so it spends the
 * request budget only, not the send budgets: those exist to spare inboxes, phones and SMS spend, and
 * a destination's 1-per-30-seconds send would refuse the "email me a code instead" that follows a
 * cancelled passkey prompt. Guessing is paid for where it happens, in verifyPasskey's wrong-attempt
 * budgets. A profile without webAuthnOrigins has passkeys off: FORBIDDEN.
 * @throws OtpError BAD_USER_INPUT (field 'input' for both or neither identifier, 'email',
 *   'phoneNumber', 'channel', 'method'), FORBIDDEN (passkeys off for the profile), RATE_LIMITED
 *   (scope request | destination | ip | profile), DELIVERY_FAILED, UPSTREAM_UNAVAILABLE,
 *   SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR. A user Cognito locked out is answered like an unknown
 *   address (a made-up challenge), never with a distinct error.
 */
export async function startSignIn(call: Call, input: StartSignInInput): Promise<AuthStep> {
  let identifier: Identifier;
  let channel: OtpChannel | 'PASSKEY';
  try {
    identifier = identifierOf(input ?? {});
    channel = channelOf(input);
  } catch (error) {
    // Malformed input still counts as a request, and spends no send.
    await call.profile.limits.request(call.ip);
    throw error;
  }
  const destinationKey = call.engine.keys.destinationKey(identifier);
  if (channel === 'PASSKEY') return startPasskeySignIn(call, identifier, destinationKey);
  // The request and send budgets in one round trip (the step's only wait on the store: the handle is
  // written without waiting, see flow/handle-lifecycle.ts); a caller over the request budget takes
  // nothing from the send budgets, so it cannot spend the address's budget. The send budgets live in
  // the store: a dead store refuses here, before Cognito sends anything. `account`: whose account the
  // address is, when a sign-in told the store (its send budgets were taken too).
  const { account } = await call.profile.limits.requestAndSend(sendKeys(call, destinationKey));
  const issued = await issueSignInChallenge(call, identifier, channel);
  if (issued.fake && issued.unconfirmed && identifier.kind === 'email') {
    // Someone signed this address up and never confirmed (perhaps to squat it): its owner gets the
    // confirmation code, which only the owner can read, and signs in by confirming it.
    const resumed = await resendUnconfirmed(call, identifier.value, destinationKey);
    if (resumed !== undefined) return resumed;
  }
  const record = signInRecord(call, identifier, channel, issued, destinationKey);
  if (account !== undefined) record.accountKey = account;
  const handle = createHandleInBackground(call, record, record.expiresAt - record.createdAt);
  return challengeStep(handle, record);
}

async function startPasskeySignIn(
  call: Call,
  identifier: Identifier,
  destinationKey: string,
): Promise<AuthStep> {
  await call.profile.limits.request(call.ip);
  if (call.profile.settings.webAuthnOrigins.length === 0) throw otpError('FORBIDDEN');
  const issued = await issuePasskeyChallenge(call, identifier);
  const record = passkeyRecord(call, identifier, issued, destinationKey);
  const handle = createHandleInBackground(call, record, record.expiresAt - record.createdAt);
  return passkeyStep(handle, record, issued.options);
}
