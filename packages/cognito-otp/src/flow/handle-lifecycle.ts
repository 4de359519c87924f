import type { OtpError } from '../errors.js';
import { handleId, newHandle, openRecord, parseHandle, sealRecord } from '../handles/handle-crypto.js';
import { badInput, otpError } from '../messages.js';
import type { CounterReading, Peeked } from '../store/types.js';
import { type HandleRecord, parseRecord } from './record.js';
import type { Call } from './runtime.js';

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
  /** With `verifyBudgets`: the wrong-code counters read along with the lock, for checkVerifyBudgets. */
  budgets?: { peeked?: Peeked; ip?: CounterReading[] };
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
  // The destination key goes beside the sealed record so a lock can read its counters (see acquire).
  await call.engine.store.createHandle(handleId(key), seal(call, key, record), ttlMs, record.destinationKey);
  return handle;
}

function seal(call: Call, key: Buffer, record: HandleRecord): Buffer {
  // The profile is the additional data: a handle presented through another profile does not open.
  return sealRecord(key, call.profile.settings.name, record);
}

/**
 * Counts the request against the caller's IP, checks the input (`check` throws BAD_USER_INPUT), then
 * locks and opens the handle. The request limit and the lock are one parallel round trip; when the
 * request is refused a lock we got is given back.
 *
 * `verifyBudgets` (steps that check a code): the wrong-code counters that `checkVerifyBudgets` needs
 * are read in that same round trip, so checking a code costs two sequential round trips (this one,
 * then the one that ends or counts the attempt), not three. The IP's counters are read beside the
 * lock. The destination's cannot be named before the record is opened, so the store reads them
 * inside the lock step, from the destination key stored in clear beside the record (a keyed hash that
 * already names those counters, so it reveals nothing new); in Redis Cluster they live on another
 * shard, the store cannot, and checkVerifyBudgets reads them itself. Only reads are moved: nothing is
 * counted before the code is known to be checked, and the verdict is taken, as before, after the
 * handle is opened and before Cognito sees the code.
 * @throws OtpError RATE_LIMITED (scope 'request', or 'handle' while another call holds it),
 *   BAD_USER_INPUT (field 'handle' for a string that is not a handle, or `check`'s),
 *   SESSION_EXPIRED (unknown, used, expired or another profile's handle), SERVICE_UNAVAILABLE
 */
export async function acquire(
  call: Call,
  handle: unknown,
  lockMs: number,
  check?: () => void,
  options: { verifyBudgets?: boolean } = {},
): Promise<Held> {
  const { store, clock } = call.engine;
  const request = call.profile.limits.request(call.ip);
  let inputError: unknown;
  const key = typeof handle === 'string' ? parseHandle(handle) : undefined;
  try {
    if (key === undefined) throw badInput('handle');
    check?.();
  } catch (error) {
    inputError = error;
  }
  if (inputError !== undefined || key === undefined) {
    await request;
    throw inputError;
  }
  const id = handleId(key);
  const { limits } = call.profile;
  const [limited, locked, ipCounters] = await Promise.allSettled([
    request,
    store.lockHandle(id, lockMs, options.verifyBudgets ? limits.destinationWrongCodeLimiters : undefined),
    options.verifyBudgets ? limits.readIpWrongCodes(call.ip) : Promise.resolve(undefined),
  ]);
  if (limited.status === 'rejected') {
    if (locked.status === 'fulfilled' && locked.value.status === 'locked') {
      await store.unlockHandle(id, locked.value.lockToken).catch(() => undefined);
    }
    throw limited.reason;
  }
  if (locked.status === 'rejected') throw locked.reason;
  const lock = locked.value;
  if (lock.status === 'missing') throw otpError('SESSION_EXPIRED');
  if (lock.status === 'busy') {
    throw otpError('RATE_LIMITED', { scope: 'handle', retryAfterSeconds: BUSY_RETRY_AFTER_SECONDS });
  }
  const record = parseRecord(openRecord(key, call.profile.settings.name, lock.data));
  if (record === undefined || record.expiresAt <= clock.now()) {
    // Another profile's handle (or one from an older layout): leave it to its owner, untouched.
    await store.unlockHandle(id, lock.lockToken);
    throw otpError('SESSION_EXPIRED');
  }
  const held: Held = {
    handle: handle as string,
    id,
    key,
    lockToken: lock.lockToken,
    record,
    attempts: lock.attempts,
  };
  if (options.verifyBudgets) {
    // A failed read is simply not passed on: checkVerifyBudgets reads again and fails closed.
    held.budgets = {
      ...(lock.peeked !== undefined && { peeked: lock.peeked }),
      ...(ipCounters.status === 'fulfilled' && ipCounters.value !== undefined && { ip: ipCounters.value }),
    };
  }
  return held;
}

/**
 * The destination's and IP's wrong-code budgets for a held handle (limits.checkVerify), from the
 * counters `acquire` read with `verifyBudgets` where it could; whatever it could not is read now. A
 * peek is used only for the destination the opened record names.
 * @throws OtpError TOO_MANY_ATTEMPTS (scope destination | ip), SERVICE_UNAVAILABLE
 */
export async function checkVerifyBudgets(call: Call, held: Held): Promise<void> {
  const { destinationKey } = held.record;
  const peeked = held.budgets?.peeked;
  await call.profile.limits.checkVerify({
    destinationKey,
    ip: call.ip,
    destinationCounters: peeked?.destinationKey === destinationKey ? peeked.counters : undefined,
    ipCounters: held.budgets?.ip,
  });
}

/** Gives the lock back, leaving the handle as it was; never throws (the lease ends it anyway). */
export async function release(call: Call, held: Held): Promise<void> {
  await call.engine.store.unlockHandle(held.id, held.lockToken).catch(() => undefined);
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
 * A wrong code: counted on the handle (burned at the profile's `wrongCodesPerHandle`, lock released)
 * and on the destination's and IP's wrong-code budgets, in parallel.
 * @returns CODE_MISMATCH with attemptsRemaining (0 when the handle is burned: the next try is
 *   SESSION_EXPIRED)
 * @throws OtpError SERVICE_UNAVAILABLE when the store cannot count it
 */
export async function wrongCode(call: Call, held: Held, cause?: unknown): Promise<OtpError> {
  const max = call.profile.settings.limits.wrongCodesPerHandle;
  const [counted] = await Promise.all([
    call.engine.store.recordWrongCode(held.id, held.lockToken, max),
    call.profile.limits.wrongCode({ destinationKey: held.record.destinationKey, ip: call.ip }),
  ]);
  const attemptsRemaining = counted.burned || counted.missing ? 0 : Math.max(0, max - counted.attempts);
  return otpError('CODE_MISMATCH', { attemptsRemaining, ...(cause === undefined ? {} : { cause }) });
}

/** Deletes a handle we created but must not hand out; never throws. */
export async function discardHandle(call: Call, handle: string): Promise<void> {
  const key = parseHandle(handle);
  if (key !== undefined) await call.engine.store.deleteHandle(handleId(key)).catch(() => undefined);
}
