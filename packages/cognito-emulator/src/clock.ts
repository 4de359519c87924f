/** Milliseconds since the epoch. Everything in the emulator that expires reads time through this. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that only moves when a test moves it, so expiry is tested without sleeping. */
export class ManualClock implements Clock {
  #now: number;

  constructor(start: number = Date.now()) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0)
      throw new RangeError(`advance() takes a non-negative duration, got ${ms}`);
    this.#now += ms;
  }

  set(epochMs: number): void {
    this.#now = epochMs;
  }
}
