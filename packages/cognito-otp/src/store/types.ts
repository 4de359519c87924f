import type { RateLimiterAbstract } from 'rate-limiter-flexible';

/** What `lockHandle` found. */
export type LockResult =
  | { status: 'missing' }
  /** Someone else holds the lock; it expires in `retryAfterMs` (>= 1) at the latest. */
  | { status: 'busy'; retryAfterMs: number }
  /** We hold the lock: pass `lockToken` to the call that ends it. */
  | { status: 'locked'; data: Buffer; attempts: number; lockToken: string; peeked?: Peeked };

/** A limiter counter as read: its points and the ms until its window ends; null when it does not exist. */
export type CounterReading = { consumedPoints: number; msBeforeNext: number } | null;

/**
 * Counters read in the same atomic step as a lock (`lockHandle`'s `peek`): those of the destination
 * stored with the handle, one reading per peeked limiter, in order.
 */
export interface Peeked {
  /** The destination key stored with the handle (createHandle's `destinationKey`), whose counters these are. */
  destinationKey: string;
  counters: CounterReading[];
}

/** What `recordWrongCode` did. */
export interface WrongCodeResult {
  /** Wrong codes counted on the handle so far, this one included. 0 when `missing`. */
  attempts: number;
  /** This wrong code reached `maxAttempts`: the handle is deleted. */
  burned: boolean;
  /** The handle was already gone (expired, consumed or burned meanwhile): nothing was counted. */
  missing: boolean;
}

/**
 * Where pending handles and limiter counters live. Ids are `handleId(handle)`, data is a sealed
 * record: implementations never see a handle, an address or a session in clear.
 *
 * Every method is atomic on its handle. A handle has at most one lock holder at a time; the lock is
 * a lease (`lockMs`) so a crashed holder cannot wedge a handle, and every call that ends a lock takes
 * the token it got, so a holder whose lease ran out cannot end someone else's.
 *
 * Failure: every method rejects with `OtpError('SERVICE_UNAVAILABLE')` (the store's error as `cause`)
 * when the store cannot answer. A rejected call may still have taken effect (the reply was lost), so
 * callers must treat it as "unknown", never as "nothing happened" or "allowed".
 */
export interface OtpStore {
  readonly kind: 'redis' | 'memory';
  /**
   * New handle: data + attempts 0, TTL. `destinationKey` (the keyed hash the per-destination limits
   * count under; not a secret, it already names their counters) is stored beside the sealed data, in
   * clear, so that `lockHandle` can read the destination's counters without opening the record.
   */
  createHandle(id: string, data: Buffer, ttlMs: number, destinationKey?: string): Promise<void>;
  /**
   * Atomically: missing -> missing; locked by someone else and lock not expired -> busy; else take the
   * lock for lockMs and return data+attempts.
   *
   * `peek`: limiters made by this store's `limiter()`; when the handle has a stored destination key,
   * their counters for it are read in the same step (`peeked`), saving the caller a round trip. A
   * store that cannot (Redis Cluster: the counters live on other shards than the handle) leaves
   * `peeked` out, and so does a handle stored without a destination key.
   */
  lockHandle(id: string, lockMs: number, peek?: readonly RateLimiterAbstract[]): Promise<LockResult>;
  /** Resend/rewrite: replace data and TTL of a handle we hold the lock of, keep attempts, release the lock. false if gone or not our lock. */
  replaceHandle(id: string, lockToken: string, data: Buffer, ttlMs: number): Promise<boolean>;
  /**
   * Wrong code: attempts+1, release the lock; when attempts reach maxAttempts delete the handle (burned).
   * Counts even when our lease was taken over meanwhile (the code was wrong all the same), but then
   * leaves the new holder's lock alone.
   */
  recordWrongCode(id: string, lockToken: string, maxAttempts: number): Promise<WrongCodeResult>;
  /** Release without counting (upstream failure). No-op if gone or not our lock. */
  unlockHandle(id: string, lockToken: string): Promise<void>;
  /** The DONE step: delete iff we hold the lock. true exactly once per handle even under concurrency. */
  consumeHandle(id: string, lockToken: string): Promise<boolean>;
  deleteHandle(id: string): Promise<void>;
  /** A rate-limiter-flexible limiter on this store (RateLimiterRedis on the same client / a memory limiter). */
  limiter(options: LimiterOptions): RateLimiterAbstract;
  /** Throws when the store cannot answer (readiness, fail-closed checks). */
  ping(): Promise<void>;
}

export interface LimiterOptions {
  /** Distinct per rule; the store adds its own prefix. */
  keyPrefix: string;
  /** Points per window. */
  points: number;
  /** Window length in seconds (fixed window from the first point). */
  duration: number;
}

/** Milliseconds since the epoch. */
export interface StoreClock {
  now(): number;
}

/** Lock tokens only tell holders apart; they grant nothing on their own, so 96 random bits are plenty. */
export type LockTokenSource = () => string;
