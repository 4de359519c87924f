import { randomBytes } from 'node:crypto';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { ClockedMemoryLimiter } from './memory-limiter.js';
import type {
  CounterReading,
  LimiterOptions,
  LockResult,
  LockTokenSource,
  OtpStore,
  StoreClock,
  WrongCodeResult,
} from './types.js';
import { assertMaxAttempts, assertMs } from './validate.js';

export interface MemoryStoreOptions {
  /**
   * Time source for handle TTLs, lock leases and limiter windows (epoch ms). Tests pass a manual clock
   * to move time instead of sleeping.
   * @default Date.now
   */
  clock?: StoreClock;
  /**
   * Source of lock tokens.
   * @default 12 random bytes as base64url
   */
  lockToken?: LockTokenSource;
}

interface Entry {
  data: Buffer;
  attempts: number;
  /** Epoch ms after which the handle is gone. */
  expiresAt: number;
  lockToken?: string;
  /** Epoch ms after which the lock may be taken over. */
  lockExpiresAt?: number;
  /** For lockHandle's peek. */
  destinationKey?: string;
}

// Sweep expired handles every this many creations, so abandoned handles do not pile up.
const SWEEP_EVERY = 256;

/**
 * A store in this process's memory: same semantics as the Redis store, for local mode and unit tests.
 * Single process only: two gateway replicas with memory stores each have their own handles and limits.
 *
 * Atomicity comes for free: each method runs synchronously to completion on the event loop (the
 * promise is only its reply), so no two calls interleave. Expiry is lazy (checked on access, swept
 * now and then), driven by the injected clock.
 */
export function createMemoryStore(options: MemoryStoreOptions = {}): OtpStore {
  const clock = options.clock ?? { now: () => Date.now() };
  const lockToken = options.lockToken ?? (() => randomBytes(12).toString('base64url'));
  const entries = new Map<string, Entry>();
  const limiters = new WeakSet<RateLimiterAbstract>();
  let creations = 0;

  function live(id: string): Entry | undefined {
    const entry = entries.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= clock.now()) {
      entries.delete(id);
      return undefined;
    }
    return entry;
  }

  function ours(id: string, token: string): Entry | undefined {
    const entry = live(id);
    return entry !== undefined && entry.lockToken === token ? entry : undefined;
  }

  function release(entry: Entry): void {
    delete entry.lockToken;
    delete entry.lockExpiresAt;
  }

  function sweep(): void {
    const now = clock.now();
    for (const [id, entry] of entries) if (entry.expiresAt <= now) entries.delete(id);
  }

  // `async` so that argument errors reject like every other failure instead of throwing synchronously.
  return {
    kind: 'memory',

    async createHandle(id: string, data: Buffer, ttlMs: number, destinationKey?: string): Promise<void> {
      assertMs('ttlMs', ttlMs);
      if (++creations % SWEEP_EVERY === 0) sweep();
      entries.set(id, {
        data: Buffer.from(data),
        attempts: 0,
        expiresAt: clock.now() + ttlMs,
        ...(destinationKey === undefined ? {} : { destinationKey }),
      });
    },

    async lockHandle(id: string, lockMs: number, peek?: readonly RateLimiterAbstract[]): Promise<LockResult> {
      assertMs('lockMs', lockMs);
      const entry = live(id);
      if (entry === undefined) return { status: 'missing' };
      const now = clock.now();
      if (entry.lockToken !== undefined && entry.lockExpiresAt !== undefined && entry.lockExpiresAt > now) {
        return { status: 'busy', retryAfterMs: Math.max(1, entry.lockExpiresAt - now) };
      }
      const token = lockToken();
      entry.lockToken = token;
      entry.lockExpiresAt = now + lockMs;
      const locked: LockResult = {
        status: 'locked',
        data: Buffer.from(entry.data),
        attempts: entry.attempts,
        lockToken: token,
      };
      const destinationKey = entry.destinationKey;
      if (
        destinationKey !== undefined &&
        peek !== undefined &&
        peek.length > 0 &&
        peek.every((l) => limiters.has(l))
      ) {
        // ClockedMemoryLimiter.get computes its answer synchronously: these readings are of this instant.
        const readings = peek.map((limiter) => limiter.get(destinationKey));
        const counters: CounterReading[] = (await Promise.all(readings)).map((res) =>
          res === null ? null : { consumedPoints: res.consumedPoints, msBeforeNext: res.msBeforeNext },
        );
        locked.peeked = { destinationKey, counters };
      }
      return locked;
    },

    async replaceHandle(id: string, token: string, data: Buffer, ttlMs: number): Promise<boolean> {
      assertMs('ttlMs', ttlMs);
      const entry = ours(id, token);
      if (entry === undefined) return false;
      entry.data = Buffer.from(data);
      entry.expiresAt = clock.now() + ttlMs;
      release(entry);
      return true;
    },

    async recordWrongCode(id: string, token: string, maxAttempts: number): Promise<WrongCodeResult> {
      assertMaxAttempts(maxAttempts);
      const entry = live(id);
      if (entry === undefined) return { attempts: 0, burned: false, missing: true };
      entry.attempts += 1;
      if (entry.attempts >= maxAttempts) {
        entries.delete(id);
        return { attempts: entry.attempts, burned: true, missing: false };
      }
      if (entry.lockToken === token) release(entry);
      return { attempts: entry.attempts, burned: false, missing: false };
    },

    async unlockHandle(id: string, token: string): Promise<void> {
      const entry = ours(id, token);
      if (entry !== undefined) release(entry);
    },

    async consumeHandle(id: string, token: string): Promise<boolean> {
      if (ours(id, token) === undefined) return false;
      entries.delete(id);
      return true;
    },

    async deleteHandle(id: string): Promise<void> {
      entries.delete(id);
    },

    limiter(limiterOptions: LimiterOptions): RateLimiterAbstract {
      const limiter = new ClockedMemoryLimiter(limiterOptions, clock);
      limiters.add(limiter);
      return limiter;
    },

    async ping(): Promise<void> {},
  };
}
