import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * A running average of how long a real answer takes, so a made-up answer (an unknown address, a
 * channel the account lacks) can take as long. Wall time, not the engine's clock: it is what an
 * observer of response times measures, and a test clock does not pass by itself.
 */
export class LatencyAverage {
  #average: number | undefined;

  /**
   * @param initialMs what to pad to before the first real sample (a fresh process would otherwise
   *   answer made-up challenges instantly)
   * @param weight share of each new sample in the average (exponentially weighted)
   */
  constructor(
    private readonly initialMs = 150,
    private readonly weight = 0.2,
  ) {}

  get averageMs(): number {
    return this.#average ?? this.initialMs;
  }

  observe(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    this.#average = this.#average === undefined ? ms : this.#average + this.weight * (ms - this.#average);
  }

  /**
   * Waits until `startedAt` (performance.now()) plus the average, with +-20 % jitter so that padded
   * answers do not stand out by being too regular. Returns at once when that time has passed.
   */
  async padSince(startedAt: number): Promise<void> {
    const target = (this.averageMs * (80 + randomInt(41))) / 100;
    const remaining = target - (performance.now() - startedAt);
    if (remaining > 1) await sleep(remaining);
  }
}
