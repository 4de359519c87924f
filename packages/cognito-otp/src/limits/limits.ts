import { createHash, createHmac } from 'node:crypto';
import { type RateLimiterAbstract, RateLimiterRes } from 'rate-limiter-flexible';
import { type LimitScope, OtpConfigError, OtpError } from '../errors.js';
import type { CounterReading, OtpStore } from '../store/types.js';
import { ipKey } from './ip-key.js';

export { INVALID_IP_KEY, ipKey } from './ip-key.js';

/** At most `points` actions per fixed window of `durationSeconds`, the window starting at the first one. */
export interface LimitRule {
  /** Actions allowed per window; an integer >= 1. */
  points: number;
  /** Window length in seconds; an integer >= 1, unique within one list (it names the counter). */
  durationSeconds: number;
}

/**
 * Layered limits (docs/ARCHITECTURE.md, "Budgets and limits"). Each list holds one or more rules that
 * all apply; a list given in an override replaces the default list as a whole.
 */
export interface LimitsConfig {
  /**
   * Codes sent to one destination (keyed by the caller's HMAC of the normalised address), by signUp,
   * startSignIn and resendOtp together.
   * @default [{ points: 1, durationSeconds: 30 }, { points: 5, durationSeconds: 3600 }, { points: 10, durationSeconds: 86400 }]
   */
  sendPerDestination: LimitRule[];
  /**
   * Codes sent on behalf of one client IP (IPv6 grouped by /64), across destinations.
   * @default [{ points: 20, durationSeconds: 3600 }]
   */
  sendPerIp: LimitRule[];
  /**
   * Codes sent for one client profile, across all IPs and destinations: the last line against a
   * distributed bot. Cognito's quotas are per AWS account and shared by every profile (about 50 emails
   * a day with the default sender, the SES/SNS spend limits in production, 120 auth / 50 sign-up
   * requests per second), and a spent quota locks out every user, not just the bot. 1000 an hour is an
   * order of magnitude under the request quotas yet far above a retail frontend's normal sign-in rate;
   * size it to your SES/SNS budget.
   * @default [{ points: 1000, durationSeconds: 3600 }]
   */
  sendPerProfile: LimitRule[];
  /**
   * Wrong codes one handle accepts before it is burned; 1 to 10 (more would let one handle try codes
   * far beyond what a person mistypes).
   * @default 3
   */
  wrongCodesPerHandle: number;
  /**
   * Wrong codes per destination across handles; a resend (new handle or new code) does not refill it.
   * @default [{ points: 10, durationSeconds: 3600 }]
   */
  wrongCodesPerDestination: LimitRule[];
  /**
   * Wrong codes per client IP across destinations.
   * @default [{ points: 100, durationSeconds: 86400 }]
   */
  wrongCodesPerIp: LimitRule[];
  /**
   * Engine calls of any kind per client IP.
   * @default [{ points: 300, durationSeconds: 60 }]
   */
  requestsPerIp: LimitRule[];
}

/** The most wrong codes a profile may let one handle take. */
export const MAX_WRONG_CODES_PER_HANDLE = 10;

const RULE_LISTS = [
  'sendPerDestination',
  'sendPerIp',
  'sendPerProfile',
  'wrongCodesPerDestination',
  'wrongCodesPerIp',
  'requestsPerIp',
] as const;
type RuleList = (typeof RULE_LISTS)[number];

export const DEFAULT_LIMITS: Readonly<LimitsConfig> = deepFreeze({
  sendPerDestination: [
    { points: 1, durationSeconds: 30 },
    { points: 5, durationSeconds: 3600 },
    { points: 10, durationSeconds: 86400 },
  ],
  sendPerIp: [{ points: 20, durationSeconds: 3600 }],
  sendPerProfile: [{ points: 1000, durationSeconds: 3600 }],
  wrongCodesPerHandle: 3,
  wrongCodesPerDestination: [{ points: 10, durationSeconds: 3600 }],
  wrongCodesPerIp: [{ points: 100, durationSeconds: 86400 }],
  requestsPerIp: [{ points: 300, durationSeconds: 60 }],
});

function deepFreeze<T extends object>(value: T): T {
  for (const child of Object.values(value))
    if (typeof child === 'object' && child !== null) deepFreeze(child);
  return Object.freeze(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function positiveInteger(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new OtpConfigError(path, `must be an integer >= 1, got ${JSON.stringify(value) ?? String(value)}`);
  }
  return value;
}

function validateRules(value: unknown, path: string): LimitRule[] {
  if (!Array.isArray(value) || value.length === 0) {
    // An empty list would switch a protection off silently; a large `points` relaxes it visibly.
    throw new OtpConfigError(path, 'must be a non-empty array of { points, durationSeconds }');
  }
  const seen = new Set<number>();
  return value.map((rule: unknown, index) => {
    const rulePath = `${path}[${index}]`;
    if (!isRecord(rule)) throw new OtpConfigError(rulePath, 'must be an object { points, durationSeconds }');
    for (const key of Object.keys(rule)) {
      if (key !== 'points' && key !== 'durationSeconds') {
        throw new OtpConfigError(
          `${rulePath}.${key}`,
          'unknown property; a rule has points and durationSeconds',
        );
      }
    }
    const points = positiveInteger(rule.points, `${rulePath}.points`);
    const durationSeconds = positiveInteger(rule.durationSeconds, `${rulePath}.durationSeconds`);
    if (seen.has(durationSeconds)) {
      throw new OtpConfigError(
        `${rulePath}.durationSeconds`,
        `duplicate window of ${durationSeconds} s in this list`,
      );
    }
    seen.add(durationSeconds);
    return { points, durationSeconds };
  });
}

/**
 * Limits from a partial override (e.g. a client profile's `limits`), merged over DEFAULT_LIMITS: a
 * given list replaces the default list, an absent one keeps it.
 * @param option the option's path in error messages, e.g. "profiles.shop.limits"
 * @throws OtpConfigError naming the bad value, e.g. `limits.sendPerIp[0].points`, for unknown keys,
 *   non-arrays, empty lists, and points/durations that are not integers >= 1.
 */
export function validateLimits(partial: unknown, option = 'limits'): LimitsConfig {
  const config: LimitsConfig = structuredClone(DEFAULT_LIMITS) as LimitsConfig;
  if (partial === undefined || partial === null) return config;
  if (!isRecord(partial)) throw new OtpConfigError(option, 'must be an object');
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    if (key === 'wrongCodesPerHandle') {
      const max = MAX_WRONG_CODES_PER_HANDLE;
      config.wrongCodesPerHandle = positiveInteger(value, `${option}.${key}`);
      if (config.wrongCodesPerHandle > max)
        throw new OtpConfigError(
          `${option}.${key}`,
          `must be at most ${max}, got ${config.wrongCodesPerHandle}`,
        );
    } else if ((RULE_LISTS as readonly string[]).includes(key)) {
      config[key as RuleList] = validateRules(value, `${option}.${key}`);
    } else {
      throw new OtpConfigError(
        `${option}.${key}`,
        `unknown limit; known: wrongCodesPerHandle, ${RULE_LISTS.join(', ')}`,
      );
    }
  }
  return config;
}

export interface LimitsOptions {
  /**
   * Secret for keying client IPs before they become Redis keys (HMAC-SHA256), so a dump of the store
   * holds no address. Without it IPs are hashed unkeyed (SHA-256), which hides them from a casual look
   * but not from anyone who hashes the 2^32 IPv4 addresses. Pass the engine's key-hashing secret.
   * @default undefined (unkeyed SHA-256)
   */
  keySecret?: string | Uint8Array;
}

/** One rule bound to its counter. */
interface Layer {
  scope: LimitScope;
  rule: LimitRule;
  limiter: RateLimiterAbstract;
}

/** A layer together with the key it counts for this call. */
interface Hit {
  layer: Layer;
  key: string;
}

/** What consuming a list of hits did: the points taken (refused ones too), the refusals, a store failure. */
interface Taken {
  taken: Hit[];
  blocked: { hit: Hit; res: RateLimiterRes }[];
  failure?: { reason: unknown };
}

function unavailable(cause: unknown): OtpError {
  return new OtpError('SERVICE_UNAVAILABLE', 'The session store is unavailable; try again shortly.', {
    cause,
  });
}

/** Runs `op` on every hit at once (one round trip, not one per hit), each outcome paired with its hit. */
async function settle<T>(
  hits: Hit[],
  op: (hit: Hit) => Promise<T>,
): Promise<{ hit: Hit; result: PromiseSettledResult<T> }[]> {
  const results = await Promise.allSettled(hits.map(op));
  return results.map((result, index) => ({ hit: hits[index]!, result }));
}

/** A counter as checkVerify needs it: points and window left, or null when it does not exist. */
async function read(layer: Layer, key: string): Promise<CounterReading> {
  const res = await layer.limiter.get(key);
  return res === null ? null : { consumedPoints: res.consumedPoints, msBeforeNext: res.msBeforeNext };
}

/** Whole seconds until `res`'s window ends: at least 1, the rule's window when the counter has no TTL. */
function retryAfterSeconds(hit: Hit, res: RateLimiterRes): number {
  const ms = res.msBeforeNext > 0 ? res.msBeforeNext : hit.layer.rule.durationSeconds * 1000;
  return Math.max(1, Math.ceil(ms / 1000));
}

/** The hit whose window ends last, i.e. the one a retry has to wait for. */
function longest(blocked: { hit: Hit; res: RateLimiterRes }[]): {
  scope: LimitScope;
  retryAfterSeconds: number;
} {
  let best = { scope: 'request' as LimitScope, retryAfterSeconds: 0 };
  for (const { hit, res } of blocked) {
    const seconds = retryAfterSeconds(hit, res);
    if (seconds > best.retryAfterSeconds) best = { scope: hit.layer.scope, retryAfterSeconds: seconds };
  }
  return best;
}

/**
 * The engine's rate limits, counted in the store (Redis, so every replica shares them).
 *
 * Every method fails closed: when a counter cannot be read or written it rejects with OtpError
 * SERVICE_UNAVAILABLE, never lets the call through. The counters of one call live under different keys
 * (different cluster shards) and are read or written in parallel, one round trip, not atomically
 * together: two racing calls may each pass a check the pair would have failed, at most by the number
 * of calls in flight. A rule's counter is a single atomic INCRBY, so `points` itself is never overrun
 * by `send` or `request`.
 */
export class Limits {
  readonly config: LimitsConfig;
  readonly #request: Layer[];
  readonly #sendDestination: Layer[];
  readonly #sendIp: Layer[];
  readonly #sendProfile: Layer[];
  readonly #wrongDestination: Layer[];
  readonly #wrongIp: Layer[];
  readonly #keySecret: Uint8Array | undefined;

  /** `config` should come from validateLimits. */
  constructor(store: OtpStore, config: LimitsConfig, options: LimitsOptions = {}) {
    this.config = config;
    const layers = (scope: LimitScope, name: string, rules: LimitRule[]): Layer[] =>
      rules.map((rule) => ({
        scope,
        rule,
        // The window is part of the counter's name, so rules of one list never share a counter and a
        // changed window starts a fresh counter instead of inheriting an old TTL.
        limiter: store.limiter({
          keyPrefix: `${name}:${rule.durationSeconds}s`,
          points: rule.points,
          duration: rule.durationSeconds,
        }),
      }));
    this.#request = layers('request', 'req-ip', config.requestsPerIp);
    this.#sendDestination = layers('destination', 'send-dst', config.sendPerDestination);
    this.#sendIp = layers('ip', 'send-ip', config.sendPerIp);
    this.#sendProfile = layers('profile', 'send-prf', config.sendPerProfile);
    this.#wrongDestination = layers('destination', 'wrong-dst', config.wrongCodesPerDestination);
    this.#wrongIp = layers('ip', 'wrong-ip', config.wrongCodesPerIp);
    const secret = options.keySecret;
    this.#keySecret = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  }

  /**
   * Any engine call: the per-IP request budget.
   * @throws OtpError RATE_LIMITED (scope 'request', retryAfterSeconds), SERVICE_UNAVAILABLE
   */
  async request(ip: string): Promise<void> {
    await this.#consume(this.#requestHits(ip));
  }

  /**
   * Before a code is sent: the destination, IP and profile send budgets, consumed in parallel (one
   * round trip). A refused call gives back what it took (a second round trip), so retrying against a
   * limit does not push the budget further out.
   * @throws OtpError RATE_LIMITED (scope destination | ip | profile of the rule whose window ends last,
   *   retryAfterSeconds), SERVICE_UNAVAILABLE
   */
  async send(p: { destinationKey: string; ip: string; profile: string }): Promise<void> {
    await this.#consume(this.#sendHits(p));
  }

  #requestHits(ip: string): Hit[] {
    const ipBucket = this.#ip(ip);
    return this.#request.map((layer) => ({ layer, key: ipBucket }));
  }

  #sendHits(p: { destinationKey: string; ip: string; profile: string }): Hit[] {
    const ipBucket = this.#ip(p.ip);
    return [
      ...this.#sendDestination.map((layer) => ({ layer, key: p.destinationKey })),
      ...this.#sendIp.map((layer) => ({ layer, key: ipBucket })),
      ...this.#sendProfile.map((layer) => ({ layer, key: p.profile })),
    ];
  }

  /**
   * request() and send() together, their counters consumed in one parallel round trip instead of two.
   * The outcome is the same as calling them one after the other: a refused request is refused first
   * (scope request) and leaves the send budgets as they were (the points it took from them are given
   * back, best effort like every refund); a refused send keeps the request's point, as a send refused
   * after an accepted request would.
   * @throws OtpError RATE_LIMITED (scope request, else destination | ip | profile), SERVICE_UNAVAILABLE
   */
  async requestAndSend(p: { destinationKey: string; ip: string; profile: string }): Promise<void> {
    const [request, send] = await Promise.all([
      this.#take(this.#requestHits(p.ip)),
      this.#take(this.#sendHits(p)),
    ]);
    if (request.failure !== undefined || request.blocked.length > 0) {
      await this.#refund([...request.taken, ...send.taken]);
      this.#throw(request);
    }
    if (send.failure !== undefined || send.blocked.length > 0) {
      await this.#refund(send.taken);
      this.#throw(send);
    }
  }

  /**
   * The limiters of the destination wrong-code rules, in rule order: a store can read their counters
   * in the same step as it locks a handle (OtpStore.lockHandle's peek) and pass them to checkVerify.
   */
  get destinationWrongCodeLimiters(): readonly RateLimiterAbstract[] {
    return this.#wrongDestination.map((layer) => layer.limiter);
  }

  /** Reads the IP's wrong-code counters for checkVerify, so the read can share a round trip with other work. */
  async readIpWrongCodes(ip: string): Promise<CounterReading[]> {
    const ipBucket = this.#ip(ip);
    return Promise.all(this.#wrongIp.map((layer) => read(layer, ipBucket)));
  }

  /**
   * Before a code is checked: refuses when a wrong-code budget is already spent. Reads only; the
   * per-handle budget is the store's (recordWrongCode). Counters the caller already read
   * (`destinationCounters` from a lock's peek, `ipCounters` from readIpWrongCodes) are used as given;
   * the others are read here, in parallel.
   * @throws OtpError TOO_MANY_ATTEMPTS (scope destination | ip, retryAfterSeconds), SERVICE_UNAVAILABLE
   */
  async checkVerify(p: {
    destinationKey: string;
    ip: string;
    destinationCounters?: readonly CounterReading[] | undefined;
    ipCounters?: readonly CounterReading[] | undefined;
  }): Promise<void> {
    const ipBucket = this.#ip(p.ip);
    const given = (readings: readonly CounterReading[] | undefined, layers: Layer[]) =>
      readings !== undefined && readings.length === layers.length ? readings : undefined;
    const destination = given(p.destinationCounters, this.#wrongDestination);
    const ip = given(p.ipCounters, this.#wrongIp);
    const hits = [
      ...this.#wrongDestination.map((layer, i) => ({
        hit: { layer, key: p.destinationKey },
        known: destination?.[i],
      })),
      ...this.#wrongIp.map((layer, i) => ({ hit: { layer, key: ipBucket }, known: ip?.[i] })),
    ];
    const results = await Promise.allSettled(
      hits.map(({ hit, known }) => (known !== undefined ? Promise.resolve(known) : read(hit.layer, hit.key))),
    );
    const blocked: { hit: Hit; res: RateLimiterRes }[] = [];
    for (const [index, result] of results.entries()) {
      const { hit } = hits[index]!;
      if (result.status === 'rejected') throw unavailable(result.reason);
      const reading = result.value;
      if (reading === null) continue;
      // A counter that does not read as a number is a store fault: refuse rather than guess.
      if (!Number.isFinite(reading.consumedPoints))
        throw unavailable(new Error('unreadable limiter counter'));
      if (reading.consumedPoints >= hit.layer.rule.points) {
        blocked.push({ hit, res: new RateLimiterRes(0, reading.msBeforeNext, reading.consumedPoints) });
      }
    }
    if (blocked.length > 0) {
      throw new OtpError('TOO_MANY_ATTEMPTS', 'Too many wrong codes; try again later.', longest(blocked));
    }
  }

  /**
   * After a wrong code: one point off each wrong-code budget (never refused here; the next
   * checkVerify refuses).
   * @throws OtpError SERVICE_UNAVAILABLE
   */
  async wrongCode(p: { destinationKey: string; ip: string }): Promise<void> {
    const results = await Promise.allSettled(
      this.#wrongCodeHits(p).map(({ layer, key }) => layer.limiter.penalty(key, 1)),
    );
    for (const result of results) if (result.status === 'rejected') throw unavailable(result.reason);
  }

  #wrongCodeHits(p: { destinationKey: string; ip: string }): Hit[] {
    const ipBucket = this.#ip(p.ip);
    return [
      ...this.#wrongDestination.map((layer) => ({ layer, key: p.destinationKey })),
      ...this.#wrongIp.map((layer) => ({ layer, key: ipBucket })),
    ];
  }

  /** The stored form of an IP's bucket: a hash, never the address. */
  #ip(ip: string): string {
    const bucket = ipKey(ip);
    const hash = this.#keySecret === undefined ? createHash('sha256') : createHmac('sha256', this.#keySecret);
    return hash.update(`ip:${bucket}`).digest('base64url').slice(0, 32);
  }

  /** Consumes one point of every hit; all or nothing, as far as refunds can make it so. */
  async #consume(hits: Hit[]): Promise<void> {
    const outcome = await this.#take(hits);
    if (outcome.failure === undefined && outcome.blocked.length === 0) return;
    await this.#refund(outcome.taken);
    this.#throw(outcome);
  }

  /** Consumes one point of every hit, in parallel (one round trip); refunds nothing. */
  async #take(hits: Hit[]): Promise<Taken> {
    const outcome: Taken = { taken: [], blocked: [] };
    for (const { hit, result } of await settle(hits, ({ layer, key }) => layer.limiter.consume(key, 1))) {
      if (result.status === 'fulfilled') {
        outcome.taken.push(hit);
      } else if (result.reason instanceof RateLimiterRes) {
        // Refused, but the counter was incremented all the same.
        outcome.taken.push(hit);
        outcome.blocked.push({ hit, res: result.reason });
      } else {
        outcome.failure ??= { reason: result.reason };
      }
    }
    return outcome;
  }

  /**
   * Gives back one point per hit. Best effort: a refund that fails costs the caller a point, never lets
   * anyone through; one that lands just after its window ended starts the next window a point up (at
   * most once per call).
   */
  async #refund(taken: Hit[]): Promise<void> {
    await Promise.allSettled(taken.map(({ layer, key }) => layer.limiter.reward(key, 1)));
  }

  /** The error for a refused or failed #take: SERVICE_UNAVAILABLE first, else RATE_LIMITED. */
  #throw(outcome: Taken): never {
    if (outcome.failure !== undefined) throw unavailable(outcome.failure.reason);
    throw new OtpError('RATE_LIMITED', 'Too many requests; try again later.', longest(outcome.blocked));
  }
}
