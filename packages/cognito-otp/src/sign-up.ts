import type { CodeDeliveryDetailsType, SignUpCommandOutput } from '@aws-sdk/client-cognito-identity-provider';
import { isOtpError, type OtpError } from './errors.js';
import { createHandle } from './flow/handle-lifecycle.js';
import { challengeStep, type HandleRecord } from './flow/record.js';
import { type Call, sendKeys } from './flow/runtime.js';
import { issueSignInChallenge, signInRecord } from './flow/sign-in-challenge.js';
import {
  type Identifier,
  maskEmail,
  maskPhone,
  normaliseEmail,
  normalisePhone,
  redrawMask,
} from './identifiers.js';
import type { SendTaken } from './limits/limits.js';
import { badInput } from './messages.js';
import type { AuthStep, DeliveryMedium, SignUpInput } from './types.js';

/** BCP-47 as far as a message template needs it: language, then subtags of 1 to 8 letters or digits. */
const LOCALE = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8}){0,5}$/;

interface ValidSignUp {
  email: Identifier & { kind: 'email' };
  phoneNumber?: string;
  locale?: string;
}

function validate(input: SignUpInput): ValidSignUp {
  const email = normaliseEmail(input?.email);
  if (email === undefined) throw badInput('email');
  const valid: ValidSignUp = { email: { kind: 'email', value: email } };
  if (input.phoneNumber !== undefined && input.phoneNumber !== null && input.phoneNumber !== '') {
    const phone = normalisePhone(input.phoneNumber);
    if (phone === undefined) throw badInput('phoneNumber');
    valid.phoneNumber = phone;
  }
  if (input.locale !== undefined && input.locale !== null && input.locale !== '') {
    if (typeof input.locale !== 'string' || input.locale.length > 35 || !LOCALE.test(input.locale)) {
      throw badInput('locale');
    }
    valid.locale = input.locale;
  }
  return valid;
}

/**
 * signUp: registers the address without a password; Cognito sends a 6-digit confirmation code.
 * Cognito: SignUp (1 call). For an address Cognito already has: ResendConfirmationCode (2), which
 * sends the code again when that account was never confirmed (CONFIRM_SIGN_UP, see existingAccount);
 * for a confirmed account USER_EXISTS, or with `onExistingUser: 'SIGN_IN'` a sign-in code (InitiateAuth,
 * + SELECT_CHALLENGE) and CONFIRM_SIGN_IN_WITH_EMAIL_CODE. The same sign-in when Cognito confirmed the
 * user itself (a pre-sign-up trigger), so no confirmation code exists and a sign-in code is the way in.
 *
 * The limits count the email as the destination, whichever medium Cognito picks for the code.
 * The handle lives `signUpHandleTtlSeconds` and keeps SignUp's Session for the automatic sign-in.
 * @throws OtpError BAD_USER_INPUT (field 'email', 'phoneNumber', 'locale'), USER_EXISTS,
 *   RATE_LIMITED (scope request | destination | ip | profile), DELIVERY_FAILED, UPSTREAM_UNAVAILABLE,
 *   SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR
 */
export async function signUp(call: Call, input: SignUpInput): Promise<AuthStep> {
  let valid: ValidSignUp;
  try {
    valid = validate(input);
  } catch (error) {
    // Malformed input still counts as a request, and spends no send.
    await call.profile.limits.request(call.ip);
    throw error;
  }
  if (valid.locale !== undefined) call.cognito.locale = valid.locale;
  const destinationKey = call.engine.keys.destinationKey(valid.email);
  // Request and send budgets in one round trip (see startSignIn).
  const taken = await call.profile.limits.requestAndSend(sendKeys(call, destinationKey));

  let output: SignUpCommandOutput;
  try {
    output = await call.profile.api.signUp(call.cognito, {
      username: valid.email.value,
      email: valid.email.value,
      ...(valid.phoneNumber === undefined ? {} : { phoneNumber: valid.phoneNumber }),
    });
  } catch (error) {
    if (isOtpError(error) && error.code === 'USER_EXISTS')
      return existingAccount(call, valid, destinationKey, taken, error);
    throw error;
  }
  if (output.UserConfirmed === true) return signInInstead(call, valid.email, destinationKey);
  return signUpStep(call, valid.email.value, output.CodeDeliveryDetails, destinationKey, {
    ...(output.Session !== undefined && { session: output.Session }),
    ...(valid.phoneNumber !== undefined && { phoneNumber: valid.phoneNumber }),
  });
}

/**
 * A new sign-up handle for a confirmation code Cognito just sent: CONFIRM_SIGN_UP. `session` is
 * SignUp's (for the automatic sign-in); a resent code has none, and confirmSignUp does without it.
 */
async function signUpStep(
  call: Call,
  email: string,
  delivery: CodeDeliveryDetailsType | undefined,
  destinationKey: string,
  extra: { session?: string; phoneNumber?: string },
): Promise<AuthStep> {
  const now = call.engine.clock.now();
  const medium: DeliveryMedium = delivery?.DeliveryMedium === 'SMS' ? 'SMS' : 'EMAIL';
  const destination =
    medium === 'EMAIL'
      ? maskEmail(email)
      : extra.phoneNumber !== undefined
        ? maskPhone(extra.phoneNumber)
        : (redrawMask('SMS', delivery?.Destination) ??
          call.engine.keys.plausibleMask({ kind: 'email', value: email }, 'SMS'));
  const record: HandleRecord = {
    v: 1,
    kind: 'SIGN_UP',
    username: email,
    inputField: 'email',
    channel: medium,
    medium,
    destination,
    destinationKey,
    sends: 1,
    createdAt: now,
    sentAt: now,
    expiresAt: now + call.profile.settings.signUpHandleTtlSeconds * 1000,
    resendAvailableAt: now + call.profile.resendAfterSeconds * 1000,
    fake: false,
    ...(call.cognito.locale === undefined ? {} : { locale: call.cognito.locale }),
  };
  if (extra.session !== undefined) {
    record.session = extra.session;
    record.sessionExpiresAt = now + call.profile.settings.authSessionValiditySeconds * 1000;
  }
  const handle = await createHandle(call, record, record.expiresAt - now);
  return challengeStep(handle, record);
}

/**
 * The confirmation code of an account whose sign-up was never confirmed, sent again to its address
 * (ResendConfirmationCode), answered with a new sign-up handle: CONFIRM_SIGN_UP. This is how the real
 * owner of an address gets past someone who signed it up and never confirmed: only the address's
 * owner receives the code. Cognito answers "already confirmed" for a confirmed account, and this
 * returns undefined then. The caller has already taken the send budgets.
 * @throws OtpError from ResendConfirmationCode other than "already confirmed" (UPSTREAM_UNAVAILABLE,
 *   DELIVERY_FAILED, ...)
 */
export async function resendUnconfirmed(
  call: Call,
  email: string,
  destinationKey: string,
): Promise<AuthStep | undefined> {
  let details: CodeDeliveryDetailsType | undefined;
  try {
    details = (await call.profile.api.resendConfirmationCode(call.cognito, email)).CodeDeliveryDetails;
  } catch (error) {
    // "User is already confirmed" (or gone meanwhile): there is no pending sign-up to resume.
    if (isOtpError(error) && error.code === 'SESSION_EXPIRED') return undefined;
    throw error;
  }
  return signUpStep(call, email, details, destinationKey, {});
}

/**
 * signUp for an address Cognito already has. An unconfirmed account gets its confirmation code again
 * (resendUnconfirmed). A confirmed one gets a sign-in code with `onExistingUser: 'SIGN_IN'`, else
 * USER_EXISTS; then no code went out, so the destination's and the profile's send points are given
 * back (an immediate startSignIn must not be refused for a send that never happened). The IP's send
 * point stays: it is what an IP probing addresses through signUp pays, the same as for a code.
 */
async function existingAccount(
  call: Call,
  valid: ValidSignUp,
  destinationKey: string,
  taken: SendTaken,
  exists: OtpError,
): Promise<AuthStep> {
  const resumed = await resendUnconfirmed(call, valid.email.value, destinationKey);
  if (resumed !== undefined) return resumed;
  if (call.profile.settings.onExistingUser === 'SIGN_IN')
    return signInInstead(call, valid.email, destinationKey);
  await call.profile.limits.giveBackUnsent(sendKeys(call, destinationKey), taken);
  throw exists;
}

/** An email sign-in in place of a sign-up; the send this call already counted covers it. */
async function signInInstead(call: Call, email: Identifier, destinationKey: string): Promise<AuthStep> {
  const issued = await issueSignInChallenge(call, email, 'EMAIL');
  const record = signInRecord(call, email, 'EMAIL', issued, destinationKey);
  if (call.cognito.locale !== undefined) record.locale = call.cognito.locale;
  const handle = await createHandle(call, record, record.expiresAt - record.createdAt);
  return challengeStep(handle, record);
}
