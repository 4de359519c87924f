import type { ConfirmSignUpCommandOutput } from '@aws-sdk/client-cognito-identity-provider';
import { isSignal } from './cognito/translate.js';
import { isOtpError } from './errors.js';
import { accountAliasOf } from './flow/account-alias.js';
import {
  acquire,
  codeAccepted,
  consume,
  createHandle,
  discard,
  discardHandle,
  type Held,
  leaseMs,
  releaseAndThrow,
  rewrite,
  wrongCode,
} from './flow/handle-lifecycle.js';
import { challengeStep, type HandleRecord, recordIdentifier, SIGN_UP_CODE_LENGTH } from './flow/record.js';
import { type Call, sendKeys } from './flow/runtime.js';
import { issueSignInChallenge, signInRecord } from './flow/sign-in-challenge.js';
import { doneStep } from './flow/tokens.js';
import type { Identifier } from './identifiers.js';
import { badInput, otpError } from './messages.js';
import type { AuthStep, ConfirmSignUpInput } from './types.js';
import { normaliseCode } from './verify-otp.js';

/**
 * A Cognito session is passed only while it has this much life left, so that it does not expire
 * between our check and Cognito's (clock skew, transit).
 */
const SESSION_MARGIN_MS = 5_000;

/**
 * Most Cognito calls one confirmSignUp can make: ConfirmSignUp (twice when SignUp's Session is refused),
 * the automatic sign-in, and the fallback sign-in (InitiateAuth + SELECT_CHALLENGE).
 */
const MAX_CALLS = 5;

/**
 * confirmSignUp: checks the 6-digit sign-up code, confirms the user, and signs them in with the
 * session Cognito returns (one code, not two): DONE with tokens, the handle consumed.
 * Cognito: ConfirmSignUp + InitiateAuth USER_AUTH with its Session (2 calls). ConfirmSignUp is
 * repeated without SignUp's Session when Cognito refuses that Session (3).
 *
 * When the automatic sign-in cannot succeed (no Session returned, or Cognito refuses it because its
 * window passed), a normal email sign-in is started (InitiateAuth, + SELECT_CHALLENGE; it counts as a
 * send) and the answer is CONFIRM_SIGN_IN_WITH_EMAIL_CODE with a NEW handle: the sign-up handle is
 * consumed, since its code is used up and its kind, code length and lifetime all differ from a
 * sign-in's. If that sign-in cannot be started (rate limited, Cognito down), the sign-up handle is
 * kept, marked confirmed, and the same call later resumes with the sign-in (any 6-digit code is then
 * accepted: the confirmation is done and the sign-in needs its own code anyway).
 * @throws OtpError BAD_USER_INPUT (field 'code', or 'handle' for a malformed or sign-in handle),
 *   CODE_MISMATCH (attemptsRemaining), CODE_EXPIRED, SESSION_EXPIRED (also when the user was
 *   confirmed elsewhere), TOO_MANY_ATTEMPTS, RATE_LIMITED, DELIVERY_FAILED, UPSTREAM_UNAVAILABLE,
 *   SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR
 */
export async function confirmSignUp(call: Call, input: ConfirmSignUpInput): Promise<AuthStep> {
  let code: string;
  try {
    code = normaliseCode(input?.code, SIGN_UP_CODE_LENGTH);
  } catch (error) {
    // A malformed code is not a guess: it touches no handle, but the request still counts.
    await call.profile.limits.request(call.ip);
    throw error;
  }
  const held = await acquire(call, input.handle, leaseMs(call, MAX_CALLS), { reserveWrongCode: true });
  const { record } = held;
  if (record.kind !== 'SIGN_UP') return releaseAndThrow(call, held, badInput('handle'));
  if (record.locale !== undefined) call.cognito.locale = record.locale;
  const now = () => call.engine.clock.now();

  let confirmed: HandleRecord;
  if (record.confirmed === true) {
    // Confirmed by an earlier call that could not finish the sign-in: no code is checked this time.
    await codeAccepted(call, held);
    confirmed = record;
  } else {
    let output: ConfirmSignUpCommandOutput;
    try {
      output = await confirmWithCognito(call, record, code);
    } catch (error) {
      if (isOtpError(error) && error.code === 'CODE_MISMATCH') throw wrongCode(call, held, error.cause);
      if (isOtpError(error) && error.code === 'SESSION_EXPIRED') {
        // Confirmed elsewhere, or the user is gone: nothing is left for this handle to do.
        await Promise.all([discard(call, held), codeAccepted(call, held)]);
        throw error;
      }
      return releaseAndThrow(call, held, error);
    }
    // The code was right: its reserved wrong code goes back (sign-up is not the hot path, so this
    // round trip is not folded into a later one).
    await codeAccepted(call, held);
    // SignUp's Session is spent by the confirmation; ConfirmSignUp's own takes its place.
    confirmed = { ...record, confirmed: true };
    delete confirmed.session;
    delete confirmed.sessionExpiresAt;
    if (output.Session !== undefined) {
      confirmed.confirmSession = output.Session;
      confirmed.confirmSessionExpiresAt = now() + call.profile.settings.authSessionValiditySeconds * 1000;
    }
  }

  const session = confirmed.confirmSession;
  if (session !== undefined && (confirmed.confirmSessionExpiresAt ?? 0) - SESSION_MARGIN_MS > now()) {
    try {
      const output = await call.profile.api.autoSignIn(call.cognito, {
        username: confirmed.username,
        session,
      });
      if (output.AuthenticationResult !== undefined) {
        const step = doneStep(output.AuthenticationResult);
        // The confirmation code went to the address signed up with: it is proven.
        const alias = accountAliasOf(
          call.engine.keys,
          output.AuthenticationResult.IdToken ?? '',
          confirmed.medium === 'EMAIL' ? confirmed.destinationKey : undefined,
          recordIdentifier(confirmed),
        );
        if (!(await consume(call, held, alias))) throw otpError('SESSION_EXPIRED');
        return step;
      }
      // A challenge instead of tokens: Cognito did not take the Session as a sign-in. Fall back.
    } catch (error) {
      if (!isSignal(error, 'SESSION_REJECTED')) return keepConfirmedAndThrow(call, held, confirmed, error);
    }
    // Cognito refused the Session: should the fallback fail and the handle be kept for a later call,
    // that call goes straight to the sign-in instead of spending a Cognito call on a dead Session.
    confirmed = { ...confirmed };
    delete confirmed.confirmSession;
    delete confirmed.confirmSessionExpiresAt;
  }
  return fallbackSignIn(call, held, confirmed);
}

/** ConfirmSignUp with SignUp's Session while it is valid; once more without it if Cognito refuses it. */
async function confirmWithCognito(
  call: Call,
  record: HandleRecord,
  code: string,
): Promise<ConfirmSignUpCommandOutput> {
  const { api } = call.profile;
  const session =
    record.session !== undefined &&
    (record.sessionExpiresAt ?? 0) - SESSION_MARGIN_MS > call.engine.clock.now()
      ? record.session
      : undefined;
  try {
    return await api.confirmSignUp(call.cognito, {
      username: record.username,
      code,
      ...(session === undefined ? {} : { session }),
    });
  } catch (error) {
    if (!isSignal(error, 'SESSION_REJECTED')) throw error;
    if (session === undefined) throw otpError('INTERNAL_SERVER_ERROR', { cause: error.cause });
  }
  // The Session is optional for ConfirmSignUp (the transcript passes none): retrying without it still
  // confirms, and still returns a Session for the automatic sign-in.
  return api.confirmSignUp(call.cognito, { username: record.username, code });
}

/** Keeps the handle (marked confirmed) for a later confirmSignUp to resume, then throws `error`. */
async function keepConfirmedAndThrow(
  call: Call,
  held: Held,
  confirmed: HandleRecord,
  error: unknown,
): Promise<never> {
  try {
    await rewrite(call, held, confirmed);
  } catch {
    // The handle is gone; the client will hear SESSION_EXPIRED and sign in normally.
  }
  throw error;
}

/** A normal email sign-in for a confirmed user, under a new handle; the sign-up handle is consumed. */
async function fallbackSignIn(call: Call, held: Held, confirmed: HandleRecord): Promise<AuthStep> {
  const identifier: Identifier = { kind: 'email', value: confirmed.username };
  let record: HandleRecord;
  try {
    await call.profile.limits.send(sendKeys(call, confirmed.destinationKey));
    const issued = await issueSignInChallenge(call, identifier, 'EMAIL');
    record = signInRecord(call, identifier, 'EMAIL', issued, confirmed.destinationKey);
  } catch (error) {
    return keepConfirmedAndThrow(call, held, confirmed, error);
  }
  if (confirmed.locale !== undefined) record.locale = confirmed.locale;
  const [consumed, handle] = await Promise.all([
    consume(call, held),
    createHandle(call, record, record.expiresAt - record.createdAt),
  ]);
  if (!consumed) {
    await discardHandle(call, handle);
    throw otpError('SESSION_EXPIRED');
  }
  return challengeStep(handle, record);
}
