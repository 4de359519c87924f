import type { RespondToAuthChallengeCommandOutput } from '@aws-sdk/client-cognito-identity-provider';
import type { OtpError } from '../errors.js';
import { handleId, newHandle, openRecord, parseHandle, sealRecord } from '../handles/handle-crypto.js';
import { badInput, otpError } from '../messages.js';
import type { Budget } from '../store/types.js';
import type { AuthStep } from '../types.js';
import { type HandleRecord, parseRecord } from './record.js';
import type { Call } from './runtime.js';
import { doneStep } from './tokens.js';

/**
 * Handle life cycle on top of the store: create, lock-and-open, rewrite, burn, consume. Every
 * operation that reads a handle holds its lock until it ends it, so two calls on one handle never
 * interleave: a second one is told to retry (RATE_LIMITED, scope 'handle').
 */

/** A handle we hold the lock of, with its opened record. */
export interface Held {
  handle: string;
  id: string;
  key: Buffer;
  lockToken: string;
  record: HandleRecord;
  /** Wrong codes counted on the handle so far. */
  attempts: number;
  /**
   * With `reserveWrongCode`: the destination and IP wrong-code budgets a point was taken from before
   * the code is checked. A wrong code keeps them (they are its count); every other way out of the step
   * gives them back (`release`, `codeAccepted`).
   */
  reserved?: Budget[];
}

/**
 * Seconds a client is told to wait when another call holds the handle. The lock normally lasts one
 * Cognito round trip (well under a second); the lease is far longer only to survive a slow Cognito,
 * so quoting it would make clients wait for nothing.
 */
const BUSY_RETRY_AFTER_SECONDS = 1;

/** A lock lease for a step making up to `cognitoCalls` calls: their timeouts plus time for the store calls. */
export function leaseMs(call: Call, cognitoCalls: number): number {
  return call.engine.cognitoTimeoutMs * (cognitoCalls + 1) + 2_000;
}

/** Stores a new handle for `record`; returns the handle string for the client. */
export async function createHandle(call: Call, record: HandleRecord, ttlMs: number): Promise<string> {
  const handle = newHandle(call.engine.random);
  const key = parseHandle(handle);
  if (key === undefined)
    throw otpError('INTERNAL_SERVER_ERROR', { cause: new Error('random source made a bad handle') });
  // The destination key goes beside the sealed record so a lock can reserve from its budgets (see acquire).
  await call.engine.store.createHandle(handleId(key), seal(call, key, record), ttlMs, record.destinationKey);
  return handle;
}

function seal(call: Call, key: Buffer, record: HandleRecord): Buffer {
  // The profile is the additional data: a handle presented through another profile does not open.
  return sealRecord(key, call.profile.settings.name, record);
}

/**
 * Counts the request against the caller's IP, then locks and opens the handle, in one store call.
 *
 * `reserveWrongCode` (steps that check a code): before the code is checked, one wrong code is taken
 * from the destination's and the IP's wrong-code budgets, so that parallel guesses can never pass a
 * budget: a full budget refuses the step (TOO_MANY_ATTEMPTS) before Cognito sees the code. A standalone
 * Redis or the memory store does this in the lock's own step (the destination is stored beside the
 * handle), so checking a code costs two sequential round trips (this one, then the one that ends or
 * counts the attempt); Redis Cluster, whose counters live on other shards, needs a third, here.
 * @throws OtpError RATE_LIMITED (scope 'request', or 'handle' while another call holds it),
 *   BAD_USER_INPUT (field 'handle' for a string that is not a handle), TOO_MANY_ATTEMPTS (scope
 *   destination | ip, with `reserveWrongCode`), SESSION_EXPIRED (unknown, used, expired or another
 *   profile's handle), SERVICE_UNAVAILABLE
 */
export async function acquire(
  call: Call,
  handle: unknown,
  lockMs: number,
  options: { reserveWrongCode?: boolean } = {},
): Promise<Held> {
  const { store, clock } = call.engine;
  const { limits } = call.profile;
  const key = typeof handle === 'string' ? parseHandle(handle) : undefined;
  if (key === undefined) {
    await limits.request(call.ip);
    throw badInput('handle');
  }
  const id = handleId(key);
  const lock = await store.lockHandle(id, lockMs, {
    first: limits.requestBudgets(call.ip),
    ...(options.reserveWrongCode && { reserve: limits.wrongCodeReserve(call.ip) }),
  });
  switch (lock.status) {
    case 'refused':
    case 'exhausted':
      throw limits.refusal(lock.blocked);
    case 'missing':
      throw otpError('SESSION_EXPIRED');
    case 'busy':
      throw otpError('RATE_LIMITED', { scope: 'handle', retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS });
  }
  const held: Held = {
    handle: handle as string,
    id,
    key,
    lockToken: lock.lockToken,
    record: undefined as unknown as HandleRecord,
    attempts: lock.attempts,
    ...(lock.reserved !== undefined && { reserved: lock.reserved }),
  };
  const record = parseRecord(openRecord(key, call.profile.settings.name, lock.data));
  if (record === undefined || record.expiresAt <= clock.now()) {
    // Another profile's handle (or one from an older layout): leave it to its owner, untouched.
    await release(call, held);
    throw otpError('SESSION_EXPIRED');
  }
  held.record = record;
  if (options.reserveWrongCode && held.reserved === undefined) {
    try {
      held.reserved = await limits.reserveWrongCode(record.destinationKey, call.ip);
    } catch (error) {
      await release(call, held);
      throw error;
    }
  }
  return held;
}

/**
 * The code was right (or not needed after all): the wrong code reserved by `acquire` is given back.
 * Best effort, never throws; runs beside the step's next store call.
 */
export async function codeAccepted(call: Call, held: Held): Promise<void> {
  const reserved = held.reserved;
  delete held.reserved;
  await call.profile.limits.giveBack(reserved);
}

/**
 * Gives the lock back, leaving the handle as it was, and any reserved wrong code with it; never throws
 * (the lease ends the lock anyway).
 */
export async function release(call: Call, held: Held): Promise<void> {
  await Promise.all([
    call.engine.store.unlockHandle(held.id, held.lockToken).catch(() => undefined),
    codeAccepted(call, held),
  ]);
}

/** Releases the lock, then throws `error`: the common way out of a step that failed. */
export async function releaseAndThrow(call: Call, held: Held, error: unknown): Promise<never> {
  await release(call, held);
  throw error;
}

/**
 * Writes `record` back (same handle value, attempts kept) with a TTL up to its `expiresAt`, and
 * releases the lock.
 * @throws OtpError SESSION_EXPIRED when the handle vanished or our lease ran out meanwhile
 */
export async function rewrite(call: Call, held: Held, record: HandleRecord): Promise<void> {
  const ttlMs = record.expiresAt - call.engine.clock.now();
  const ok =
    ttlMs > 0 &&
    (await call.engine.store.replaceHandle(held.id, held.lockToken, seal(call, held.key, record), ttlMs));
  if (!ok) throw otpError('SESSION_EXPIRED');
}

/**
 * Ends the handle for the step that reaches DONE. True exactly once per handle: a caller that gets
 * false must not hand out tokens.
 */
export function consume(call: Call, held: Held): Promise<boolean> {
  return call.engine.store.consumeHandle(held.id, held.lockToken);
}

/** Ends the handle whatever its lock (nothing left to do with it); never throws. */
export async function discard(call: Call, held: Held): Promise<void> {
  await call.engine.store.deleteHandle(held.id).catch(() => undefined);
}

/**
 * A wrong code: counted on the handle (burned at the profile's `wrongCodesPerHandle`, lock released).
 * The destination's and IP's budgets already hold it: `acquire` reserved it before the code was checked.
 * @returns CODE_MISMATCH with attemptsRemaining (0 when the handle is burned: the next try is
 *   SESSION_EXPIRED)
 * @throws OtpError SERVICE_UNAVAILABLE when the store cannot count it
 */
export async function wrongCode(call: Call, held: Held, cause?: unknown): Promise<OtpError> {
  const max = call.profile.settings.limits.wrongCodesPerHandle;
  delete held.reserved;
  const counted = await call.engine.store.recordWrongCode(held.id, held.lockToken, max);
  const attemptsRemaining = counted.burned || counted.missing ? 0 : Math.max(0, max - counted.attempts);
  return otpError('CODE_MISMATCH', { attemptsRemaining, ...(cause === undefined ? {} : { cause }) });
}

/** Deletes a handle we created but must not hand out; never throws. */
export async function discardHandle(call: Call, handle: string): Promise<void> {
  const key = parseHandle(handle);
  if (key !== undefined) await call.engine.store.deleteHandle(handleId(key)).catch(() => undefined);
}

/**
 * The step that reaches DONE on a sign-in handle once Cognito accepted the answer (a code or a
 * passkey): its tokens, the handle consumed exactly once, even if our lease ran out during the call (a
 * caller that loses gets SESSION_EXPIRED), and the reserved wrong attempt given back beside it, in one
 * round trip. Another challenge after the answer (MFA on a passwordless pool) is not a flow this engine
 * offers: INTERNAL_SERVER_ERROR.
 */
export async function finishSignIn(
  call: Call,
  held: Held,
  output: RespondToAuthChallengeCommandOutput,
): Promise<AuthStep> {
  if (output.AuthenticationResult === undefined) {
    return releaseAndThrow(
      call,
      held,
      otpError('INTERNAL_SERVER_ERROR', { cause: new Error(`unexpected challenge ${output.ChallengeName}`) }),
    );
  }
  const step = doneStep(output.AuthenticationResult);
  const [consumed] = await Promise.all([consume(call, held), codeAccepted(call, held)]);
  if (!consumed) throw otpError('SESSION_EXPIRED');
  return step;
}
