import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import type { StoreClock } from './types.js';

interface Counter {
  value: number;
  /** Epoch ms; null: never expires (duration 0). */
  expiresAt: number | null;
}

// Sweep expired counters every this many writes, so memory stays bounded without timers.
const SWEEP_EVERY = 1024;

/**
 * RateLimiterMemory with the same fixed-window semantics, but reading time from an injected clock
 * and expiring lazily instead of through one `setTimeout` per key.
 *
 * Why not RateLimiterMemory itself: it reads `Date.now()`, so in local mode and in tests the handles
 * (injected clock) and the limits (wall clock) would disagree about what time it is, and a test that
 * moves the clock 30 s to allow a resend would still be refused.
 *
 * Supports what otpgate uses (consume, penalty, reward, get, set, block, delete, blockDuration);
 * `execEvenly` is not supported and refused at construction.
 */
export class ClockedMemoryLimiter extends RateLimiterMemory {
  readonly #clock: StoreClock;
  readonly #counters = new Map<string, Counter>();
  #writes = 0;

  constructor(
    options: { keyPrefix: string; points: number; duration: number; blockDuration?: number },
    clock: StoreClock,
  ) {
    super(options);
    this.#clock = clock;
    if (this.execEvenly) throw new Error('ClockedMemoryLimiter does not support execEvenly');
  }

  #live(rlKey: string): Counter | undefined {
    const counter = this.#counters.get(rlKey);
    if (counter === undefined) return undefined;
    if (counter.expiresAt !== null && counter.expiresAt <= this.#clock.now()) {
      this.#counters.delete(rlKey);
      return undefined;
    }
    return counter;
  }

  #set(rlKey: string, value: number, durationSec: number): RateLimiterRes {
    if (++this.#writes % SWEEP_EVERY === 0) this.#sweep();
    const durationMs = durationSec * 1000;
    this.#counters.set(rlKey, { value, expiresAt: durationMs > 0 ? this.#clock.now() + durationMs : null });
    return this.#res(value, durationMs > 0 ? durationMs : -1, true);
  }

  #incr(rlKey: string, points: number, durationSec: number): RateLimiterRes {
    const counter = this.#live(rlKey);
    if (counter === undefined) return this.#set(rlKey, points, durationSec);
    counter.value += points;
    return this.#res(counter.value, this.#msLeft(counter), false);
  }

  #msLeft(counter: Counter): number {
    return counter.expiresAt === null ? -1 : counter.expiresAt - this.#clock.now();
  }

  #res(consumed: number, msBeforeNext: number, isFirst: boolean): RateLimiterRes {
    return new RateLimiterRes(Math.max(this.points - consumed, 0), msBeforeNext, consumed, isFirst);
  }

  #sweep(): void {
    const now = this.#clock.now();
    for (const [key, counter] of this.#counters) {
      if (counter.expiresAt !== null && counter.expiresAt <= now) this.#counters.delete(key);
    }
  }

  #duration(options?: { customDuration?: number }): number {
    const custom = options?.customDuration;
    return typeof custom === 'number' && custom >= 0 ? custom : this.duration;
  }

  override consume(
    key: string | number,
    pointsToConsume = 1,
    options: { customDuration?: number } = {},
  ): Promise<RateLimiterRes> {
    const rlKey = this.getKey(key);
    let res = this.#incr(rlKey, pointsToConsume, this.#duration(options));
    if (res.consumedPoints <= this.points) return Promise.resolve(res);
    // Same rule as RateLimiterMemory: block only when this call crossed the limit.
    if (this.blockDuration > 0 && res.consumedPoints <= this.points + pointsToConsume) {
      res = this.#set(rlKey, res.consumedPoints, this.blockDuration);
    }
    return Promise.reject(res);
  }

  override penalty(
    key: string | number,
    points = 1,
    options: { customDuration?: number } = {},
  ): Promise<RateLimiterRes> {
    return Promise.resolve(this.#incr(this.getKey(key), points, this.#duration(options)));
  }

  override reward(
    key: string | number,
    points = 1,
    options: { customDuration?: number } = {},
  ): Promise<RateLimiterRes> {
    return Promise.resolve(this.#incr(this.getKey(key), -points, this.#duration(options)));
  }

  override get(key: string | number): Promise<RateLimiterRes | null> {
    const counter = this.#live(this.getKey(key));
    return Promise.resolve(
      counter === undefined ? null : this.#res(counter.value, this.#msLeft(counter), false),
    );
  }

  override set(key: string | number, points: number, secDuration: number): Promise<RateLimiterRes> {
    const duration = secDuration >= 0 ? secDuration : this.duration;
    return Promise.resolve(this.#set(this.getKey(key), points, duration));
  }

  override block(key: string | number, secDuration: number): Promise<RateLimiterRes> {
    return Promise.resolve(this.#set(this.getKey(key), this.points + 1, secDuration));
  }

  override delete(key: string | number): Promise<boolean> {
    return Promise.resolve(this.#counters.delete(this.getKey(key)));
  }

  override dump(): ReturnType<RateLimiterMemory['dump']> {
    const storage = [...this.#counters]
      .filter(([rlKey]) => this.#live(rlKey) !== undefined)
      .map(([rlKey, counter]) => ({
        key: this.parseKey(rlKey),
        value: counter.value,
        expiresAt: counter.expiresAt,
      }));
    return { version: 1, dumpedAt: this.#clock.now(), storage };
  }

  override restore(): never {
    throw new Error('ClockedMemoryLimiter does not support restore()');
  }
}
