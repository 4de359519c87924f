import type { RespondToAuthChallengeCommandOutput } from '@aws-sdk/client-cognito-identity-provider';
import { cognitoErrorName } from './cognito/translate.js';
import { isOtpError } from './errors.js';
import {
  acquire,
  burn,
  codeAccepted,
  discard,
  finishSignIn,
  type Held,
  leaseMs,
  releaseAndThrow,
} from './flow/handle-lifecycle.js';
import type { Call } from './flow/runtime.js';
import { type CheckedCredential, checkCredential, namesRelyingParty } from './flow/webauthn-credential.js';
import { badInput, otpError } from './messages.js';
import type { AuthStep, VerifyPasskeyInput } from './types.js';

/**
 * A refused assertion: counted like a wrong code (the handle, and the destination's, account's and IP's
 * budgets that acquire reserved), and the handle ended, since Cognito spends the Session on a refused
 * assertion. So the answer is CODE_MISMATCH with attemptsRemaining 0, real handle or made up.
 */
function refused(call: Call, held: Held, cause?: unknown): never {
  burn(call, held);
  throw otpError('CODE_MISMATCH', { attemptsRemaining: 0, ...(cause === undefined ? {} : { cause }) });
}

/**
 * verifyPasskey: checks a passkey assertion (AuthenticationResponseJSON) for a CONFIRM_SIGN_IN_WITH_PASSKEY
 * handle; a good one ends the handle and answers DONE with tokens.
 * Cognito: RespondToAuthChallenge WEB_AUTHN with CREDENTIAL as a JSON string (1 call; none for a
 * made-up handle, which takes as long).
 *
 * Before anything but the request is counted, the credential's shape and its clientDataJSON origin are
 * checked against the profile's webAuthnOrigins (BAD_USER_INPUT field 'credential'): a credential from
 * another site is a mistake, not a guess. Then the handle is locked with a wrong attempt reserved, as
 * for a code; an assertion for another relying party than the one the options named is BAD_USER_INPUT
 * too (the reservation goes back), for real and made-up handles alike. Any other refusal counts like a
 * wrong code and ends the handle: CODE_MISMATCH, attemptsRemaining 0 (Cognito spends the Session on a
 * refused assertion, so another try needs a new startSignIn).
 * @throws OtpError BAD_USER_INPUT (field 'credential', or 'handle' for a malformed or non-passkey
 *   handle), FORBIDDEN (passkeys off for the profile), CODE_MISMATCH (attemptsRemaining 0),
 *   SESSION_EXPIRED, TOO_MANY_ATTEMPTS (scope destination | ip), RATE_LIMITED
 *   (scope request | handle), UPSTREAM_UNAVAILABLE, SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR
 */
export async function verifyPasskey(call: Call, input: VerifyPasskeyInput): Promise<AuthStep> {
  const origins = call.profile.settings.webAuthnOrigins;
  let checked: CheckedCredential;
  try {
    if (origins.length === 0) throw otpError('FORBIDDEN');
    checked = checkCredential(input?.credential, 'webauthn.get', origins);
  } catch (error) {
    await call.profile.limits.request(call.ip);
    throw error;
  }
  const held = await acquire(call, input.handle, leaseMs(call, 1), { reserveWrongCode: true });
  const { record } = held;
  if (record.kind !== 'SIGN_IN' || !record.passkey) return releaseAndThrow(call, held, badInput('handle'));
  if (
    record.rpId !== undefined &&
    checked.authenticatorData !== undefined &&
    !namesRelyingParty(checked.authenticatorData, record.rpId)
  ) {
    return releaseAndThrow(call, held, badInput('credential'));
  }

  if (record.fake || record.session === undefined) {
    await call.profile.passkeyVerifyLatency.padSince(performance.now());
    return refused(call, held);
  }

  let output: RespondToAuthChallengeCommandOutput;
  const started = performance.now();
  try {
    output = await call.profile.api.respondToPasskey(call.cognito, {
      username: record.challengeUsername ?? record.username,
      session: record.session,
      credential: JSON.stringify(checked.credential),
    });
  } catch (error) {
    call.profile.passkeyVerifyLatency.observe(performance.now() - started);
    if (isOtpError(error) && error.code === 'CODE_MISMATCH') return refused(call, held, error.cause);
    // A dead Session, or an origin or relying-party refusal (which spends the Session): the handle has
    // nothing left to try. A credential Cognito could not parse leaves the Session usable.
    const spent =
      isOtpError(error) &&
      (error.code === 'SESSION_EXPIRED' ||
        (error.code === 'BAD_USER_INPUT' && cognitoErrorName(error.cause) === 'NotAuthorizedException'));
    if (spent) {
      await Promise.all([discard(call, held), codeAccepted(call, held)]);
      throw error;
    }
    return releaseAndThrow(call, held, error);
  }
  call.profile.passkeyVerifyLatency.observe(performance.now() - started);

  // Round trip 2: the handle consumed once, the reserved attempt given back.
  return finishSignIn(call, held, output);
}
