import { setTimeout as sleep } from 'node:timers/promises';
import type { RespondToAuthChallengeCommandOutput } from '@aws-sdk/client-cognito-identity-provider';
import type { OtpError } from '../errors.js';
import { handleId, newHandle, openBytes, parseHandle, sealBytes } from '../handles/handle-crypto.js';
import { badInput, otpError } from '../messages.js';
import type { AccountAlias, Budget } from '../store/types.js';
import type { AuthStep } from '../types.js';
import { accountAliasOf } from './account-alias.js';
import { decodeRecord, encodeRecord, type HandleRecord, recordIdentifier } from './record.js';
import type { Call } from './runtime.js';
import { doneStep } from './tokens.js';

/**
 * Handle life cycle on top of the store: create, lock-and-open, rewrite, burn, consume. Every
 * operation that reads a handle holds its lock until it ends it, so two calls on one handle never
 * interleave: a second one is told to retry (RATE_LIMITED, scope 'handle').
 *
 * The hot path waits for one store round trip per step (docs/ARCHITECTURE.md, "Store round trips"):
 * the write that ends a sign-in step (a new handle, a counted wrong code, a consumed handle) is sent
 * before the answer and not waited for, where its outcome is already known. A new handle is random, so
 * nobody else can write it; a wrong code was counted by the lock itself; a consume cannot lose while
 * our lease provably lasts. Commands on one connection run in order, so this process's next call on
 * the handle sees the write; a write that fails is logged (`store.write_failed`) and leaves the handle
 * missing or locked until its lease ends: the safe side.
 *
 * Another replica's next call is not on that connection. The write leaves before the answer, but the
 * client may still get there first when the write itself is held up (a Cluster node whose connection
 * is still being opened, a writer whose process or socket is busy): that is why a handle found missing is looked up once more after MISSING_RECHECK_MS.
 */

/**
 * How long `acquire` waits before looking up a missing handle again. It covers a held-up write (a
 * connection being opened, a busy writer: a few ms) with room for a busy process; it only delays
 * the answer for a handle that is really gone (used, expired, or never issued).
 */
export const MISSING_RECHECK_MS = 150;

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
   * With `reserveWrongCode`: the destination, account and IP wrong-code budgets a point was taken from
   * before the code is checked. A wrong code keeps them (they are its count); every other way out of
   * the step gives them back (`release`, `codeAccepted`).
   */
  reserved?: Budget[];
  /** With `reserveWrongCode`: the lock counted the answer on the handle (`attempts` includes it). */
  counted: boolean;
  /** When the lock was asked for, by the engine's clock and by performance.now(), and its lease. */
  lockedAt: { clock: number; perf: number; lockMs: number };
}

/** How much of a lease must be left for a step to take the consume's outcome as known (see finishSignIn). */
const LEASE_MARGIN_MS = 1_000;

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

/** A new handle for `record`, and the store write that makes it exist. */
function storeNewHandle(
  call: Call,
  record: HandleRecord,
  ttlMs: number,
): { handle: string; stored: Promise<void> } {
  const handle = newHandle(call.engine.random);
  const key = parseHandle(handle);
  if (key === undefined)
    throw otpError('INTERNAL_SERVER_ERROR', { cause: new Error('random source made a bad handle') });
  // The destination and account keys go beside the sealed record so a lock can reserve from their
  // budgets (see acquire).
  const stored = call.engine.store.createHandle(
    handleId(key),
    seal(call, key, record),
    ttlMs,
    record.destinationKey,
    record.accountKey,
  );
  return { handle, stored };
}

/** Stores a new handle for `record`; returns the handle string for the client. */
export async function createHandle(call: Call, record: HandleRecord, ttlMs: number): Promise<string> {
  const { handle, stored } = storeNewHandle(call, record, ttlMs);
  await stored;
  return handle;
}

/**
 * As createHandle, without waiting for the store: the hot path's second write (see the top of this
 * file). The handle is random and new, so its write cannot lose to anyone; should it fail, the client
 * hears SESSION_EXPIRED at its next step and starts again.
 */
export function createHandleInBackground(call: Call, record: HandleRecord, ttlMs: number): string {
  const { handle, stored } = storeNewHandle(call, record, ttlMs);
  inBackground(call, stored, 'createHandle');
  return handle;
}

/** A store write the step does not wait for: a failure is logged, never thrown (see the top of this file). */
function inBackground(call: Call, write: Promise<unknown>, operation: string): void {
  write.catch((error: unknown) =>
    call.engine.logger?.({
      level: 'error',
      event: 'store.write_failed',
      profile: call.profile.settings.name,
      operation,
      errorCode: 'SERVICE_UNAVAILABLE',
      ...(error instanceof Error && error.cause instanceof Error ? { cognitoError: error.cause.name } : {}),
    }),
  );
}

function seal(call: Call, key: Buffer, record: HandleRecord): Buffer {
  // The profile is the additional data: a handle presented through another profile does not open.
  return sealBytes(key, call.profile.settings.name, encodeRecord(record));
}

/**
 * Counts the request against the caller's IP, then locks and opens the handle, in one store call.
 *
 * `reserveWrongCode` (steps that check a code): before the code is checked, one wrong code is taken
 * from the destination's, the account's and the IP's wrong-code budgets and counted on the handle, so
 * that parallel guesses can never pass a budget and a lost reply never hands out an uncounted guess: a
 * full budget refuses the step (TOO_MANY_ATTEMPTS) before Cognito sees the code. A standalone Redis or
 * the memory store does this in the lock's own step (the destination and account are stored beside
 * the handle), so checking a code waits for one store round trip (the write that ends the step is not
 * waited for); Redis Cluster, whose counters live on other shards, needs a second, here.
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
  const counted = options.reserveWrongCode === true;
  const lockedAt = { clock: clock.now(), perf: performance.now(), lockMs };
  const answer = counted ? { reserve: limits.wrongCodeReserve(call.ip), countAttempt: true } : {};
  let lock = await store.lockHandle(id, lockMs, { first: limits.requestBudgets(call.ip), ...answer });
  if (lock.status === 'missing') {
    // Perhaps issued by another replica a moment ago, its write not yet in (see the top of this file).
    // The request budgets were taken already: the second look takes none.
    await sleep(MISSING_RECHECK_MS);
    lock = await store.lockHandle(id, lockMs, answer);
  }
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
    counted,
    lockedAt,
  };
  const record = decodeRecord(openBytes(key, call.profile.settings.name, lock.data));
  if (record === undefined || record.expiresAt <= clock.now()) {
    // Another profile's handle (or one from an older layout): leave it to its owner, untouched.
    await release(call, held);
    throw otpError('SESSION_EXPIRED');
  }
  held.record = record;
  if (options.reserveWrongCode && held.reserved === undefined) {
    try {
      held.reserved = await limits.reserveWrongCode(record.destinationKey, call.ip, record.accountKey);
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
 * Gives the lock back, leaving the handle as it was (the answer the lock counted is taken back), and
 * any reserved wrong code with it, in one store call; never throws (the lease ends the lock anyway).
 */
export async function release(call: Call, held: Held): Promise<void> {
  const giveBack = held.reserved ?? [];
  delete held.reserved;
  await call.engine.store
    .unlockHandle(held.id, held.lockToken, { uncount: held.counted, giveBack })
    .catch(() => undefined);
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
 * Ends the handle for the step that reaches DONE, giving back what `acquire` reserved and teaching the
 * store the account's aliases (see flow/account-alias.ts). True exactly once per handle: a caller that
 * gets false must not hand out tokens.
 */
export function consume(call: Call, held: Held, alias?: AccountAlias): Promise<boolean> {
  const giveBack = held.reserved ?? [];
  delete held.reserved;
  return call.engine.store.consumeHandle(held.id, held.lockToken, {
    giveBack,
    ...(alias === undefined ? {} : { alias }),
  });
}

/**
 * Whether our lock's lease still has LEASE_MARGIN_MS to run, by both the engine's clock and the
 * monotonic one. The store's lease started no earlier than `lockedAt`, so while this holds nobody else
 * can hold the handle and consuming it cannot lose.
 */
function leaseHolds(call: Call, held: Held): boolean {
  const { clock, perf, lockMs } = held.lockedAt;
  const left = lockMs - LEASE_MARGIN_MS;
  return call.engine.clock.now() - clock < left && performance.now() - perf < left;
}

/** Ends the handle whatever its lock (nothing left to do with it); never throws. */
export async function discard(call: Call, held: Held): Promise<void> {
  await call.engine.store.deleteHandle(held.id).catch(() => undefined);
}

/**
 * A wrong code. The lock counted it on the handle and reserved it from the destination's, account's
 * and IP's budgets before the code was checked, so all that is left is to release the lock (or burn
 * the handle at the profile's `wrongCodesPerHandle`), which is not waited for.
 * @returns CODE_MISMATCH with attemptsRemaining (0 when the handle is burned: the next try is
 *   SESSION_EXPIRED)
 */
export function wrongCode(call: Call, held: Held, cause?: unknown): OtpError {
  if (!held.counted)
    return otpError('INTERNAL_SERVER_ERROR', {
      cause: new Error('a wrong code on a lock that did not count it'),
    });
  const max = call.profile.settings.limits.wrongCodesPerHandle;
  delete held.reserved;
  inBackground(
    call,
    call.engine.store.recordWrongCode(held.id, held.lockToken, max, { counted: true }),
    'recordWrongCode',
  );
  const attemptsRemaining = Math.max(0, max - held.attempts);
  return otpError('CODE_MISMATCH', { attemptsRemaining, ...(cause === undefined ? {} : { cause }) });
}

/**
 * A refused answer that leaves the handle nothing to try (a passkey assertion: Cognito spends the
 * Session): the reserved wrong attempt stays counted, the handle is deleted without waiting.
 */
export function burn(call: Call, held: Held): void {
  delete held.reserved;
  inBackground(call, call.engine.store.deleteHandle(held.id), 'deleteHandle');
}

/** Deletes a handle we created but must not hand out; never throws. */
export async function discardHandle(call: Call, handle: string): Promise<void> {
  const key = parseHandle(handle);
  if (key !== undefined) await call.engine.store.deleteHandle(handleId(key)).catch(() => undefined);
}

/**
 * The step that reaches DONE on a sign-in handle once Cognito accepted the answer (a code or a
 * passkey): its tokens, the handle consumed exactly once, the reserved wrong attempt given back and the
 * account's aliases written, in one store call. While our lease provably lasts (leaseHolds) the
 * consume cannot lose and is not waited for; past that (a very slow Cognito) it is, and a caller that
 * loses gets SESSION_EXPIRED. Another challenge after the answer (MFA on a passwordless pool) is not a
 * flow this engine offers: INTERNAL_SERVER_ERROR.
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
  const { record } = held;
  // A code on the identifier's own channel proves the address; a passkey or another channel does not.
  const proven =
    !record.passkey && (record.medium === 'EMAIL') === (record.inputField === 'email')
      ? record.destinationKey
      : undefined;
  const alias =
    step.nextStep === 'DONE'
      ? accountAliasOf(call.engine.keys, step.tokens.idToken, proven, recordIdentifier(record))
      : undefined;
  const consumed = consume(call, held, alias);
  if (leaseHolds(call, held)) {
    inBackground(call, consumed, 'consumeHandle');
    return step;
  }
  if (!(await consumed)) throw otpError('SESSION_EXPIRED');
  return step;
}
