import type { SignUpCommandOutput } from '@aws-sdk/client-cognito-identity-provider';
import { isOtpError } from './errors.js';
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
 * Cognito: SignUp (1 call). Two more in two cases, both answered CONFIRM_SIGN_IN_WITH_EMAIL_CODE with
 * a sign-in handle: the address already has an account and the profile has `onExistingUser: 'SIGN_IN'`
 * (InitiateAuth, + SELECT_CHALLENGE), or Cognito confirmed the user itself (a pre-sign-up trigger), so
 * no confirmation code exists and a sign-in code is the way in.
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
  await call.profile.limits.requestAndSend(sendKeys(call, destinationKey));

  let output: SignUpCommandOutput;
  try {
    output = await call.profile.api.signUp(call.cognito, {
      username: valid.email.value,
      email: valid.email.value,
      ...(valid.phoneNumber === undefined ? {} : { phoneNumber: valid.phoneNumber }),
    });
  } catch (error) {
    if (
      isOtpError(error) &&
      error.code === 'USER_EXISTS' &&
      call.profile.settings.onExistingUser === 'SIGN_IN'
    ) {
      return signInInstead(call, valid.email, destinationKey);
    }
    throw error;
  }
  if (output.UserConfirmed === true) return signInInstead(call, valid.email, destinationKey);

  const now = call.engine.clock.now();
  const medium: DeliveryMedium = output.CodeDeliveryDetails?.DeliveryMedium === 'SMS' ? 'SMS' : 'EMAIL';
  const destination =
    medium === 'EMAIL'
      ? maskEmail(valid.email.value)
      : valid.phoneNumber !== undefined
        ? maskPhone(valid.phoneNumber)
        : (redrawMask('SMS', output.CodeDeliveryDetails?.Destination) ??
          call.engine.keys.plausibleMask(valid.email, 'SMS'));
  const record: HandleRecord = {
    v: 1,
    kind: 'SIGN_UP',
    username: valid.email.value,
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
    ...(valid.locale === undefined ? {} : { locale: valid.locale }),
  };
  if (output.Session !== undefined) {
    record.session = output.Session;
    record.sessionExpiresAt = now + call.profile.settings.authSessionValiditySeconds * 1000;
  }
  const handle = await createHandle(call, record, record.expiresAt - now);
  return challengeStep(handle, record);
}

/** An email sign-in in place of a sign-up; the send this call already counted covers it. */
async function signInInstead(call: Call, email: Identifier, destinationKey: string): Promise<AuthStep> {
  const issued = await issueSignInChallenge(call, email, 'EMAIL');
  const record = signInRecord(call, email, 'EMAIL', issued, destinationKey);
  if (call.cognito.locale !== undefined) record.locale = call.cognito.locale;
  const handle = await createHandle(call, record, record.expiresAt - record.createdAt);
  return challengeStep(handle, record);
}
