import type { RespondToAuthChallengeCommandOutput } from '@aws-sdk/client-cognito-identity-provider';
import { isOtpError } from './errors.js';
import { acquire, finishSignIn, leaseMs, releaseAndThrow, wrongCode } from './flow/handle-lifecycle.js';
import { SIGN_IN_CODE_LENGTH } from './flow/record.js';
import type { Call } from './flow/runtime.js';
import { badInput } from './messages.js';
import type { AuthStep, VerifyOtpInput } from './types.js';

/**
 * A code as typed, without the spaces and dashes people put in when they copy it, if it is exactly
 * `length` digits. Checked before anything is counted against the handle: a typo in the format is
 * not a guess.
 */
export function normaliseCode(code: unknown, length: number): string {
  const compact = typeof code === 'string' ? code.replace(/[\s-]/g, '') : '';
  if (compact.length !== length || !/^[0-9]+$/.test(compact)) throw badInput('code');
  return compact;
}

/**
 * verifyOtp: checks an 8-digit sign-in code; the right one ends the handle and answers DONE with tokens.
 * The code's format is checked first: a malformed one touches no handle and no budget but the request.
 * Cognito: RespondToAuthChallenge (1 call; none for a made-up handle, which takes as long).
 *
 * Wrong codes count against the handle (burned at `wrongCodesPerHandle`: the burning answer is
 * CODE_MISMATCH with attemptsRemaining 0, later ones SESSION_EXPIRED) and against the destination's
 * and IP's budgets, which are reserved before the code is checked, so parallel guesses can never pass
 * them; the right code gives its reservation back. Cognito may or may not keep a Session usable after a wrong code; the engine keeps
 * the one it has (an SDK error carries none), and if Cognito killed it, the next answer is
 * CODE_EXPIRED and resendOtp gets a new one.
 *
 * NotAuthorizedException is Cognito's lockout when its wording says so, answered as a wrong code
 * (a distinct answer would tell a real account from an unknown one), otherwise an expired or spent
 * Session (CODE_EXPIRED); Cognito gives nothing firmer to tell them apart by.
 * @throws OtpError BAD_USER_INPUT (field 'code', or 'handle' for a malformed or sign-up handle),
 *   CODE_MISMATCH (attemptsRemaining), CODE_EXPIRED, SESSION_EXPIRED, TOO_MANY_ATTEMPTS (scope
 *   destination | ip, or Cognito's lockout), RATE_LIMITED (scope request, or handle while another
 *   call holds it), UPSTREAM_UNAVAILABLE, SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR
 */
export async function verifyOtp(call: Call, input: VerifyOtpInput): Promise<AuthStep> {
  let code: string;
  try {
    code = normaliseCode(input?.code, SIGN_IN_CODE_LENGTH);
  } catch (error) {
    // A malformed code is not a guess: it touches no handle, but the request still counts.
    await call.profile.limits.request(call.ip);
    throw error;
  }
  // Round trip 1: request budget, lock, and a wrong code reserved against the destination and IP.
  const held = await acquire(call, input.handle, leaseMs(call, 1), { reserveWrongCode: true });
  const { record } = held;
  // A passkey handle (real or made up alike) takes verifyPasskey, not a code.
  if (record.kind !== 'SIGN_IN' || record.passkey) return releaseAndThrow(call, held, badInput('handle'));

  if (
    record.fake ||
    record.session === undefined ||
    record.challenge === undefined ||
    record.challenge === 'WEB_AUTHN'
  ) {
    await call.profile.verifyLatency.padSince(performance.now());
    throw wrongCode(call, held);
  }

  let output: RespondToAuthChallengeCommandOutput;
  const started = performance.now();
  try {
    output = await call.profile.api.respondToOtp(call.cognito, {
      username: record.challengeUsername ?? record.username,
      session: record.session,
      challenge: record.challenge,
      code,
    });
  } catch (error) {
    if (isOtpError(error) && error.code === 'CODE_MISMATCH') {
      call.profile.verifyLatency.observe(performance.now() - started);
      // Round trip 2: the handle counts it; the budgets already do.
      throw wrongCode(call, held, error.cause);
    }
    return releaseAndThrow(call, held, error);
  }
  call.profile.verifyLatency.observe(performance.now() - started);

  // Round trip 2: the handle consumed once, the reserved attempt given back.
  return finishSignIn(call, held, output);
}
