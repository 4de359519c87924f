import { createHash, createHmac } from 'node:crypto';
import { type LimitScope, OtpConfigError, OtpError, type OtpErrorCode } from '../errors.js';
import {
  type AccountBudget,
  type Blocked,
  type Budget,
  HANDLE_ACCOUNT,
  HANDLE_DESTINATION,
  type HandleBudget,
  type OtpStore,
  type TakeBudget,
} from '../store/types.js';
import { ipKey, ipv6Network } from './ip-key.js';

/** Keyed hashes of IPs and networks kept per Limits (about 100 bytes each); the map starts over when full. */
const HASH_MEMO_SIZE = 4096;

export { INVALID_IP_KEY, ipKey, ipv6Network } from './ip-key.js';

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
   * startSignIn and resendOtp together. The same rules count per account too, once a sign-in linked the
   * account's verified addresses to it (flow/account-alias.ts): an account's email and phone number
   * share one budget on top of their own.
   * @default [{ points: 1, durationSeconds: 30 }, { points: 5, durationSeconds: 3600 }, { points: 10, durationSeconds: 86400 }]
   */
  sendPerDestination: LimitRule[];
  /**
   * Codes sent on behalf of one client IP (IPv6 grouped by /64), across destinations.
   * @default [{ points: 20, durationSeconds: 3600 }]
   */
  sendPerIp: LimitRule[];
  /**
   * Codes sent on behalf of one IPv6 /56 (a site), across its /64s: one customer cannot multiply
   * `sendPerIp` by rotating through the /64s it owns. Not applied to IPv4.
   * @default [{ points: 40, durationSeconds: 3600 }]
   */
  sendPerIpv6Slash56: LimitRule[];
  /**
   * Codes sent on behalf of one IPv6 /48 (a provider's customer), across its /56s and /64s.
   * @default [{ points: 100, durationSeconds: 3600 }]
   */
  sendPerIpv6Slash48: LimitRule[];
  /**
   * Codes sent for one client profile, across all IPs and destinations: the last line against a
   * distributed bot. Cognito's quotas are per AWS account and shared by every profile (about 50 emails
   * a day with the default sender, the SES/SNS spend limits in production, 120 auth / 50 sign-up
   * requests per second), and a spent quota locks out every user, not just the bot. 1000 an hour is an
   * order of magnitude under the request quotas yet far above a retail frontend's normal sign-in rate;
   * size it to your SES/SNS budget.
   *
   * So that a flood cannot turn this guard against real users, the last fifth of each rule
   * (CLEAN_SOURCE_SHARE) is kept for clean sources: once the first four fifths are spent, a code is
   * still sent when neither the caller's IP nor its IPv6 /48 (if any) has sent a code in its window;
   * the heaviest sources are shed first. Shedding is reported to
   * the engine's logger (`limits.profile_shedding`, level warn).
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
   * Wrong codes per destination across handles, counted per client IP (IPv6 /64): a resend (new handle
   * or new code) does not refill it, and a stranger who spends it cannot lock the address's owner out
   * of a fresh code from another network. Guessing from many networks at once is bounded by the
   * destination's send budget times `wrongCodesPerHandle`. Like the send rules, these count per account
   * (and IP) too, so an account's email and phone number share one wrong-code budget.
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

/** The share of each `sendPerProfile` rule kept for clean sources once the rest is spent. */
export const CLEAN_SOURCE_SHARE = 0.2;

/** The most wrong codes a profile may let one handle take. */
export const MAX_WRONG_CODES_PER_HANDLE = 10;

const RULE_LISTS = [
  'sendPerDestination',
  'sendPerIp',
  'sendPerIpv6Slash56',
  'sendPerIpv6Slash48',
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
  sendPerIpv6Slash56: [{ points: 40, durationSeconds: 3600 }],
  sendPerIpv6Slash48: [{ points: 100, durationSeconds: 3600 }],
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
  /** Called when the profile's send budget sheds a source (see `sendPerProfile`). @default none */
  onShed?: () => void;
}

/** One rule of a list, bound to the name of its counters and to what a refusal by it says. */
interface Layer {
  /** Counter name: the list's and the rule's window (a changed window starts fresh counters). */
  name: string;
  rule: LimitRule;
  scope: LimitScope;
  code: Extract<OtpErrorCode, 'RATE_LIMITED' | 'TOO_MANY_ATTEMPTS'>;
}

function unavailable(cause: unknown): OtpError {
  return new OtpError('SERVICE_UNAVAILABLE', 'The session store is unavailable; try again shortly.', {
    cause,
  });
}

/**
 * The engine's budgets: the one place that knows which counters an action spends, and what a refusal
 * says. Counters live in the store (Redis, so every replica shares them; memory in local mode), which
 * takes them atomically: a budget is never exceeded, whatever the parallelism, because a point is
 * taken before the action it pays for (a code sent, a code checked) and given back when the action
 * turns out not to need it (the right code). Every method fails closed: when the store cannot answer
 * it rejects with SERVICE_UNAVAILABLE, never lets the call through.
 */
export class Limits {
  readonly config: LimitsConfig;
  readonly #store: OtpStore;
  readonly #request: Layer[];
  readonly #sendDestination: Layer[];
  readonly #sendIp: Layer[];
  readonly #sendSlash56: Layer[];
  readonly #sendSlash48: Layer[];
  /** The first four fifths of each sendPerProfile rule: any source. */
  readonly #sendProfile: Layer[];
  /** The last fifth: clean sources only. */
  readonly #sendProfileClean: Layer[];
  readonly #onShed: (() => void) | undefined;
  readonly #wrongDestination: Layer[];
  /** The destination's rules, counted per account (see LimitsConfig: account budgets). */
  readonly #sendAccount: Layer[];
  readonly #wrongAccount: Layer[];
  readonly #wrongIp: Layer[];
  readonly #byName = new Map<string, Layer>();
  readonly #keySecret: Uint8Array | undefined;
  /** Keyed hashes of IPs and networks by input (see #hash). */
  readonly #hashes = new Map<string, string>();

  /** `config` should come from validateLimits. */
  constructor(store: OtpStore, config: LimitsConfig, options: LimitsOptions = {}) {
    this.config = config;
    this.#store = store;
    const layers = (scope: LimitScope, list: string, rules: LimitRule[], code: Layer['code']): Layer[] =>
      rules.map((rule) => {
        const layer = { name: `${list}:${rule.durationSeconds}s`, rule, scope, code };
        this.#byName.set(layer.name, layer);
        return layer;
      });
    this.#request = layers('request', 'req-ip', config.requestsPerIp, 'RATE_LIMITED');
    this.#sendDestination = layers('destination', 'send-dst', config.sendPerDestination, 'RATE_LIMITED');
    this.#sendIp = layers('ip', 'send-ip', config.sendPerIp, 'RATE_LIMITED');
    this.#sendSlash56 = layers('ip', 'send-ip56', config.sendPerIpv6Slash56, 'RATE_LIMITED');
    this.#sendSlash48 = layers('ip', 'send-ip48', config.sendPerIpv6Slash48, 'RATE_LIMITED');
    const split = (share: 'general' | 'clean') =>
      config.sendPerProfile.map((rule) => {
        const clean = Math.max(1, Math.floor(rule.points * CLEAN_SOURCE_SHARE));
        const general = Math.max(1, rule.points - clean);
        return { ...rule, points: share === 'general' ? general : clean };
      });
    this.#sendProfile = layers('profile', 'send-prf', split('general'), 'RATE_LIMITED');
    this.#sendProfileClean = layers('profile', 'send-prf-clean', split('clean'), 'RATE_LIMITED');
    this.#onShed = options.onShed;
    this.#wrongDestination = layers(
      'destination',
      'wrong-dst',
      config.wrongCodesPerDestination,
      'TOO_MANY_ATTEMPTS',
    );
    this.#sendAccount = layers('destination', 'send-acct', config.sendPerDestination, 'RATE_LIMITED');
    this.#wrongAccount = layers(
      'destination',
      'wrong-acct',
      config.wrongCodesPerDestination,
      'TOO_MANY_ATTEMPTS',
    );
    this.#wrongIp = layers('ip', 'wrong-ip', config.wrongCodesPerIp, 'TOO_MANY_ATTEMPTS');
    const secret = options.keySecret;
    this.#keySecret = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret;
  }

  /**
   * Any engine call: the per-IP request budget.
   * @throws OtpError RATE_LIMITED (scope 'request', retryAfterSeconds), SERVICE_UNAVAILABLE
   */
  async request(ip: string): Promise<void> {
    await this.#take([this.requestBudgets(ip)]);
  }

  /**
   * Before a code is sent: the destination, IP and profile send budgets, all or nothing.
   * @throws OtpError RATE_LIMITED (scope destination | ip | profile of the rule whose window ends last,
   *   retryAfterSeconds), SERVICE_UNAVAILABLE
   */
  async send(p: SendKeys): Promise<SendTaken> {
    return this.#takeSend([], p);
  }

  /**
   * request() then send() in one store call: a refused request takes nothing from the send budgets; a
   * refused send keeps the request's point, as a send refused after an accepted request would.
   * @throws OtpError RATE_LIMITED (scope request, else destination | ip | profile), SERVICE_UNAVAILABLE
   */
  async requestAndSend(p: SendKeys): Promise<SendTaken> {
    return this.#takeSend([this.requestBudgets(p.ip)], p);
  }

  /**
   * `before` then the send budgets. When the only full budgets are the profile's general share, a
   * clean source (see LimitsConfig.sendPerProfile) is served from the profile's clean share instead;
   * anyone else is shed.
   */
  async #takeSend(before: Budget[][], p: SendKeys): Promise<SendTaken> {
    const result = await this.#ask(() => this.#store.take([...before, this.#sendBudgets(p, 'general')]));
    if (result.ok) return result.account === undefined ? {} : { account: result.account };
    const generalOnly =
      result.stage === before.length &&
      result.blocked.every(({ budget }) => this.#layerOf(budget)?.scope === 'profile');
    if (!generalOnly) throw this.refusal(result.blocked);
    this.#onShed?.();
    if (!(await this.#isClean(p.ip))) throw this.refusal(result.blocked);
    const clean = await this.#ask(() => this.#store.take([this.#sendBudgets(p, 'clean')]));
    if (!clean.ok) throw this.refusal(clean.blocked);
    return clean.account === undefined ? {} : { account: clean.account };
  }

  /**
   * No code sent for this IP in its sendPerIp windows, nor for its IPv6 /48 in that network's windows:
   * an attacking network can take at most one code from the clean share.
   */
  async #isClean(ip: string): Promise<boolean> {
    const budgets = this.#ipTierBudgets(ip, [this.#sendIp, this.#sendSlash48]);
    const usage = await this.#ask(() => this.#store.usage(budgets));
    return usage.every((points) => points === 0);
  }

  /** The request budgets of an IP, for a store call that takes them with other work (a lock). */
  requestBudgets(ip: string): Budget[] {
    const subject = this.#ip(ip);
    return this.#request.map((layer) => this.#budget(layer, subject));
  }

  /**
   * The wrong-code budgets one checked code reserves: the destination's and the account's (named by
   * the handle, see HANDLE_DESTINATION and HANDLE_ACCOUNT; the account's is skipped for a handle that
   * names none), each counted per client IP, and the IP's. The per-handle budget is the handle's own
   * (the lock's countAttempt).
   */
  wrongCodeReserve(ip: string): HandleBudget[] {
    const subject = this.#ip(ip);
    // One counter per destination (account) and IP: the IP's hash goes into the counter's name, since
    // the subject is only known inside the store's lock step.
    const perIp = (layer: Layer, handleKey: typeof HANDLE_DESTINATION | typeof HANDLE_ACCOUNT) => ({
      ...this.#budget(layer, handleKey),
      name: `${layer.name}:${subject}`,
    });
    return [
      ...this.#wrongDestination.map((layer) => perIp(layer, HANDLE_DESTINATION)),
      ...this.#wrongAccount.map((layer) => perIp(layer, HANDLE_ACCOUNT)),
      ...this.#wrongIp.map((layer) => this.#budget(layer, subject)),
    ];
  }

  /**
   * Reserves one wrong code against the destination's, the account's (when known) and the IP's
   * budgets, for a store that could not do it with the lock (Redis Cluster). Give the points back
   * (`giveBack`) when the code was right.
   * @returns the budgets a point was taken from
   * @throws OtpError TOO_MANY_ATTEMPTS (scope destination | ip), SERVICE_UNAVAILABLE
   */
  async reserveWrongCode(destinationKey: string, ip: string, accountKey?: string): Promise<Budget[]> {
    const budgets = this.wrongCodeReserve(ip).flatMap((budget): Budget[] => {
      if (budget.subject === HANDLE_DESTINATION) return [{ ...budget, subject: destinationKey }];
      if (budget.subject === HANDLE_ACCOUNT)
        return accountKey === undefined ? [] : [{ ...budget, subject: accountKey }];
      return [budget as Budget];
    });
    await this.#take([budgets]);
    return budgets;
  }

  /**
   * A send was counted but no code went out (signUp answered USER_EXISTS): the destination's, its
   * account's (`taken.account`) and the profile's points go back; the IP's stays, as the price of
   * asking about an address. Best effort.
   */
  async giveBackUnsent(p: SendKeys, taken: SendTaken = {}): Promise<void> {
    const account = taken.account;
    await this.giveBack([
      ...this.#sendDestination.map((layer) => this.#budget(layer, p.destinationKey)),
      ...(account === undefined ? [] : this.#sendAccount.map((layer) => this.#budget(layer, account))),
      ...this.#sendProfile.map((layer) => this.#budget(layer, p.profile)),
    ]);
  }

  /** Gives back points taken for an action that did not need them. Best effort; never throws. */
  async giveBack(budgets: readonly Budget[] | undefined): Promise<void> {
    if (budgets === undefined || budgets.length === 0) return;
    await this.#store.giveBack(budgets).catch(() => undefined);
  }

  /** The refusal for budgets a store call found full: the one whose window ends last decides. */
  refusal(blocked: readonly Blocked[]): OtpError {
    let worst: { layer: Layer; seconds: number } | undefined;
    for (const { budget, retryAfterMs } of blocked) {
      const layer = this.#layerOf(budget);
      if (layer === undefined) continue;
      const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
      if (worst === undefined || seconds > worst.seconds) worst = { layer, seconds };
    }
    if (worst === undefined)
      return unavailable(new Error('a store refused budgets this engine does not know'));
    const details = { scope: worst.layer.scope, retryAfterSeconds: worst.seconds };
    return worst.layer.code === 'TOO_MANY_ATTEMPTS'
      ? new OtpError('TOO_MANY_ATTEMPTS', 'Too many wrong codes; try again later.', details)
      : new OtpError('RATE_LIMITED', 'Too many requests; try again later.', details);
  }

  #sendBudgets(p: SendKeys, share: 'general' | 'clean'): TakeBudget[] {
    return [
      ...this.#sendDestination.map((layer) => this.#budget(layer, p.destinationKey)),
      // The account the address belongs to, once a sign-in told the store (see flow/account-alias.ts).
      ...this.#sendAccount.map(
        (layer): AccountBudget => ({ ...this.#budget(layer, ''), subject: { accountOf: p.destinationKey } }),
      ),
      ...this.#ipTierBudgets(p.ip, [this.#sendIp, this.#sendSlash56, this.#sendSlash48]),
      ...(share === 'general' ? this.#sendProfile : this.#sendProfileClean).map((layer) =>
        this.#budget(layer, p.profile),
      ),
    ];
  }

  /** The budgets of `lists` for an IP: the /64 (or IPv4) list as is, the /56 and /48 lists for IPv6 only. */
  #ipTierBudgets(ip: string, lists: Layer[][]): Budget[] {
    const budgets: Budget[] = [];
    for (const list of lists) {
      const tier = list === this.#sendSlash56 ? 56 : list === this.#sendSlash48 ? 48 : undefined;
      const network = tier === undefined ? ip : ipv6Network(ip, tier);
      if (network === undefined) continue;
      const subject = tier === undefined ? this.#ip(ip) : this.#hash(`net:${network}`);
      budgets.push(...list.map((layer) => this.#budget(layer, subject)));
    }
    return budgets;
  }

  #budget<S extends string | typeof HANDLE_DESTINATION | typeof HANDLE_ACCOUNT>(
    layer: Layer,
    subject: S,
  ): { name: string; subject: S; limit: number; windowMs: number } {
    return {
      name: layer.name,
      subject,
      limit: layer.rule.points,
      windowMs: layer.rule.durationSeconds * 1000,
    };
  }

  /** The stored form of an IP's bucket: a hash, never the address. */
  #ip(ip: string): string {
    return this.#hash(`ip:${ipKey(ip)}`);
  }

  #hash(value: string): string {
    const known = this.#hashes.get(value);
    if (known !== undefined) return known;
    const hash = this.#keySecret === undefined ? createHash('sha256') : createHmac('sha256', this.#keySecret);
    const subject = hash.update(value).digest('base64url').slice(0, 32);
    // Each step hashes the caller's IP and networks, and a client's steps come from the same ones:
    // the last few thousand are kept (in memory only, like the requests that carried them).
    if (this.#hashes.size >= HASH_MEMO_SIZE) this.#hashes.clear();
    this.#hashes.set(value, subject);
    return subject;
  }

  async #take(stages: Budget[][]): Promise<void> {
    const result = await this.#ask(() => this.#store.take(stages));
    if (!result.ok) throw this.refusal(result.blocked);
  }

  /** A store call; a failure that is not already an OtpError becomes SERVICE_UNAVAILABLE (fail closed). */
  async #ask<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw error instanceof OtpError ? error : unavailable(error);
    }
  }

  /** The rule a budget counts for; a name may carry a qualifier after the rule (wrong-dst:3600s:<ip hash>). */
  #layerOf(budget: Budget): Layer | undefined {
    return this.#byName.get(budget.name.split(':').slice(0, 2).join(':'));
  }
}

/** What taking a send found: the account the destination is an alias of, if any (see TakeResult). */
export interface SendTaken {
  account?: string;
}

/** What a code sent on a call counts against. */
export interface SendKeys {
  destinationKey: string;
  ip: string;
  profile: string;
}
