import { isOtpError } from './errors.js';
import { acquire, discard, type Held, leaseMs, releaseAndThrow, rewrite } from './flow/handle-lifecycle.js';
import { challengeStep, type HandleRecord } from './flow/record.js';
import { type Call, sendKeys } from './flow/runtime.js';
import { applyChallenge, issueSignInChallenge } from './flow/sign-in-challenge.js';
import type { Identifier } from './identifiers.js';
import { badInput, otpError, refusal } from './messages.js';
import type { AuthStep, ResendOtpInput } from './types.js';

/**
 * resendOtp: a new code for a pending handle. The handle value stays the same; `expiresAt` and
 * `resendAvailableAt` move. The handle's wrong-code count and the destination's wrong-code budget are
 * NOT refilled (a resend is not a way to more guesses).
 * Cognito: sign-up handle: ResendConfirmationCode (1 call); sign-in handle: a fresh InitiateAuth
 * USER_AUTH (1 call, 2 with SELECT_CHALLENGE), whose new Session replaces the old one. A made-up
 * handle sends nothing and takes as long.
 *
 * A sign-up handle whose confirmation already succeeded (its sign-in is pending) has no code to
 * resend: SESSION_EXPIRED, and the user signs in normally.
 * @throws OtpError BAD_USER_INPUT (field 'handle'), SESSION_EXPIRED, RATE_LIMITED (scope destination
 *   before resendAvailableAt, or request | destination | ip | profile | handle), DELIVERY_FAILED,
 *   UPSTREAM_UNAVAILABLE, SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR (a Cognito lockout: a made-up
 *   challenge, as for an unknown address)
 */
export async function resendOtp(call: Call, input: ResendOtpInput): Promise<AuthStep> {
  const held = await acquire(call, input?.handle, leaseMs(call, 2));
  const { record } = held;
  const now = call.engine.clock.now();
  // A passkey sign-in has no code to send again ("email me a code instead" is a new startSignIn).
  if (record.passkey) return releaseAndThrow(call, held, badInput('handle'));
  if (record.kind === 'SIGN_UP' && record.confirmed === true) {
    await discard(call, held);
    throw otpError('SESSION_EXPIRED');
  }
  if (now < record.resendAvailableAt) {
    return releaseAndThrow(
      call,
      held,
      refusal('RATE_LIMITED', 'destination', record.resendAvailableAt - now),
    );
  }
  if (record.locale !== undefined) call.cognito.locale = record.locale;

  let next: HandleRecord;
  try {
    await call.profile.limits.send(sendKeys(call, record.destinationKey));
    next = record.kind === 'SIGN_UP' ? await resendSignUp(call, held) : await resendSignIn(call, record);
  } catch (error) {
    if (isOtpError(error) && error.code === 'SESSION_EXPIRED') {
      await discard(call, held);
      throw error;
    }
    return releaseAndThrow(call, held, error);
  }
  const sentAt = call.engine.clock.now();
  const ttlSeconds =
    record.kind === 'SIGN_UP'
      ? call.profile.settings.signUpHandleTtlSeconds
      : call.profile.settings.authSessionValiditySeconds;
  next = {
    ...next,
    sends: record.sends + 1,
    sentAt,
    expiresAt: sentAt + ttlSeconds * 1000,
    resendAvailableAt: sentAt + call.profile.resendAfterSeconds * 1000,
  };
  await rewrite(call, held, next);
  return challengeStep(held.handle, next);
}

async function resendSignUp(call: Call, held: Held): Promise<HandleRecord> {
  await call.profile.api.resendConfirmationCode(call.cognito, held.record.username);
  // SignUp's Session is kept: ConfirmSignUp takes it while its own window lasts and does without it after.
  return held.record;
}

async function resendSignIn(call: Call, record: HandleRecord): Promise<HandleRecord> {
  if (record.fake) {
    // Nothing to send to; answer after as long as a real resend takes.
    await call.profile.sendLatency.padSince(performance.now());
    return record;
  }
  const identifier: Identifier =
    record.inputField === 'email'
      ? { kind: 'email', value: record.username }
      : { kind: 'phone', value: record.username };
  const issued = await issueSignInChallenge(call, identifier, record.channel);
  return applyChallenge(call, record, issued);
}
