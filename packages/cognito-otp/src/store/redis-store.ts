import { randomBytes } from 'node:crypto';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { type RateLimiterAbstract, RateLimiterRedis } from 'rate-limiter-flexible';
import { OtpConfigError, OtpError } from '../errors.js';
import type {
  CounterReading,
  LimiterOptions,
  LockResult,
  LockTokenSource,
  OtpStore,
  Peeked,
  WrongCodeResult,
} from './types.js';
import { assertMaxAttempts, assertMs } from './validate.js';

/**
 * ioredis options that make a Redis outage a prompt error instead of a pile of waiting requests.
 * Pass them to `new Redis(url, FAIL_FAST_REDIS_OPTIONS)` and `await redis.connect()` before serving.
 *
 * - `enableOfflineQueue: false`: while disconnected, a command fails at once instead of waiting for a
 *   reconnect that may never come. Consequence: commands also fail until the first connect is done,
 *   hence `lazyConnect` and an explicit `connect()` at startup.
 * - `commandTimeout`: a Redis that accepts the connection but does not answer (overloaded, paused,
 *   network black hole) fails the call after this long instead of after the TCP timeout.
 * - `maxRetriesPerRequest: 0`: commands in flight when the connection drops fail at once.
 * - `autoResendUnfulfilledCommands: false`: a command we already reported as failed is never run
 *   later behind the caller's back (a late lock or wrong-code count would surprise the next request).
 * - reconnecting stays on (ioredis' default back-off, at most 2 s apart), so service resumes by itself.
 */
export const FAIL_FAST_REDIS_OPTIONS = Object.freeze({
  enableOfflineQueue: false,
  /** ms to establish a TCP connection. */
  connectTimeout: 2_000,
  /** ms for one command's reply. */
  commandTimeout: 1_000,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  lazyConnect: true,
} as const satisfies RedisOptions);

/**
 * The same for `new Cluster(seeds, FAIL_FAST_CLUSTER_OPTIONS)`; then `await cluster.connect()`.
 * ioredis forces an offline queue on each node connection, but the cluster-level one is off and each
 * node connection has the command timeout, so a command for a lost master fails after about 1 s
 * (measured; ioredis' own retry budget, 16 redirections x 100 ms, bounds it too).
 */
export const FAIL_FAST_CLUSTER_OPTIONS = Object.freeze({
  enableOfflineQueue: false,
  lazyConnect: true,
  // ioredis' default, pinned: replicas lag their master, and a handle or lock read from one could be
  // missing or stale right after it was written (SESSION_EXPIRED for a live handle, a lost lock).
  // After a failover ioredis follows MOVED replies to the promoted replica by itself (measured with a
  // SIGKILLed master: commands fail fast while the slots have no master, none fail once one is elected).
  scaleReads: 'master',
  redisOptions: Object.freeze({
    connectTimeout: FAIL_FAST_REDIS_OPTIONS.connectTimeout,
    commandTimeout: FAIL_FAST_REDIS_OPTIONS.commandTimeout,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
  }),
} as const satisfies ClusterOptions);

export interface RedisStoreOptions {
  /**
   * An ioredis client, created and owned by the caller (who also closes it). It must fail fast:
   * `enableOfflineQueue: false` and a `commandTimeout` (see FAIL_FAST_REDIS_OPTIONS /
   * FAIL_FAST_CLUSTER_OPTIONS), else createRedisStore throws OtpConfigError.
   */
  redis: Redis | Cluster;
  /**
   * Prefix of every key this store writes (handles and limiter counters), so several deployments can
   * share one Redis. Letters, digits and `:_.-` only: a `{` would turn it into a cluster hash tag and
   * put every handle on one shard.
   * @default 'otpgate'
   */
  prefix?: string;
  /**
   * Source of lock tokens.
   * @default 12 random bytes as base64url
   */
  lockToken?: LockTokenSource;
}

const PREFIX_PATTERN = /^[A-Za-z0-9:_.-]{1,64}$/;

/**
 * Redis key of a handle: one HASH per handle, fields d (sealed record), a (wrong codes), t/x (lock
 * token, lock expiry ms), k (the destination key, for counters read with the lock).
 */
export function redisHandleKey(prefix: string, id: string): string {
  // The braces make `id` the cluster hash tag: any future second key of the same handle lands on the
  // same slot, so multi-key scripts stay legal in Redis Cluster.
  return `${prefix}:h:{${id}}`;
}

// Lock expiry is computed from Redis' own TIME, not the caller's clock: gateway replicas with skewed
// clocks then agree on when a lease ends. Scripts are replicated by effects (Redis >= 5 default, the
// only mode since 7), so TIME followed by writes is allowed.
const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const SCRIPTS = {
  // ARGV: data, ttlMs[, destinationKey]
  otpgateCreateHandle: `redis.call('DEL', KEYS[1])
if ARGV[3] then
  redis.call('HSET', KEYS[1], 'd', ARGV[1], 'a', 0, 'k', ARGV[3])
else
  redis.call('HSET', KEYS[1], 'd', ARGV[1], 'a', 0)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`,
  // ARGV: lockMs, token[, counter key prefix...] -> {0} missing | {1, retryAfterMs} busy |
  // {2, data, attempts} locked | {2, data, attempts, destinationKey, {exists, points, pttl, ...}} locked
  // and peeked. exists: 0 no counter, 1 a counter, 2 a counter that is not a number.
  //
  // The peeked counters are not among KEYS (their names depend on the handle's k field), which
  // Redis tolerates on a standalone server only: the store never passes prefixes in Cluster mode.
  otpgateLockHandle: `if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
${NOW_MS}
local f = redis.call('HMGET', KEYS[1], 'd', 'a', 't', 'x', 'k')
if f[3] and tonumber(f[4]) > now then return {1, tonumber(f[4]) - now} end
redis.call('HSET', KEYS[1], 't', ARGV[2], 'x', now + tonumber(ARGV[1]))
if #ARGV < 3 or not f[5] then return {2, f[1], tonumber(f[2])} end
local peeked = {}
for i = 3, #ARGV do
  local key = ARGV[i] .. f[5]
  local v = redis.call('GET', key)
  if not v then
    peeked[#peeked + 1] = 0
    peeked[#peeked + 1] = 0
    peeked[#peeked + 1] = 0
  elseif tonumber(v) == nil then
    peeked[#peeked + 1] = 2
    peeked[#peeked + 1] = 0
    peeked[#peeked + 1] = 0
  else
    peeked[#peeked + 1] = 1
    peeked[#peeked + 1] = tonumber(v)
    peeked[#peeked + 1] = redis.call('PTTL', key)
  end
end
return {2, f[1], tonumber(f[2]), f[5], peeked}`,
  // ARGV: token, data, ttlMs -> 1 replaced | 0 gone or not our lock
  otpgateReplaceHandle: `if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'd', ARGV[2])
redis.call('HDEL', KEYS[1], 't', 'x')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`,
  // ARGV: token, maxAttempts -> {attempts, burned, missing}
  otpgateRecordWrongCode: `if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0, 1} end
local a = redis.call('HINCRBY', KEYS[1], 'a', 1)
if a >= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  return {a, 1, 0}
end
if redis.call('HGET', KEYS[1], 't') == ARGV[1] then redis.call('HDEL', KEYS[1], 't', 'x') end
return {a, 0, 0}`,
  // ARGV: token -> 1 released | 0 not ours
  otpgateUnlockHandle: `if redis.call('HGET', KEYS[1], 't') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 't', 'x')
  return 1
end
return 0`,
  // ARGV: token -> 1 consumed (deleted) | 0 gone or not our lock
  otpgateConsumeHandle: `if redis.call('HGET', KEYS[1], 't') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`,
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Arg = string | number | Buffer;
/** The commands defineCommand adds, as ioredis calls them (`<name>Buffer` answers bulk strings as Buffers). */
type ScriptCommands = { [K in ScriptName]: (key: string, ...args: Arg[]) => Promise<unknown> } & {
  otpgateLockHandleBuffer: (key: string, ...args: Arg[]) => Promise<unknown>;
};

function unavailable(cause: unknown): OtpError {
  return new OtpError('SERVICE_UNAVAILABLE', 'The session store is unavailable; try again shortly.', {
    cause,
  });
}

/** Rejects clients that would wait on an outage instead of failing (see FAIL_FAST_REDIS_OPTIONS). */
function assertFailFast(redis: Redis | Cluster): void {
  if (redis === null || typeof redis !== 'object' || typeof redis.defineCommand !== 'function') {
    throw new OtpConfigError('redis', 'expected an ioredis Redis or Cluster instance');
  }
  const options = redis.options as RedisOptions & ClusterOptions;
  if (options.enableOfflineQueue !== false) {
    throw new OtpConfigError(
      'redis',
      'enableOfflineQueue must be false, or a Redis outage makes every request wait instead of failing; ' +
        `create the client with ${redis.isCluster ? 'FAIL_FAST_CLUSTER_OPTIONS' : 'FAIL_FAST_REDIS_OPTIONS'}`,
    );
  }
  const commandTimeout = redis.isCluster ? options.redisOptions?.commandTimeout : options.commandTimeout;
  if (typeof commandTimeout !== 'number' || !(commandTimeout > 0)) {
    throw new OtpConfigError(
      redis.isCluster ? 'redis.options.redisOptions.commandTimeout' : 'redis.options.commandTimeout',
      'must be set (ms), or a Redis that stops answering hangs every request; see FAIL_FAST_REDIS_OPTIONS',
    );
  }
}

/** The counter readings of a peek reply: triples of exists (0, 1, 2 = not a number), points, pttl. */
function toReadings(value: unknown, expected: number): CounterReading[] {
  if (!Array.isArray(value) || value.length !== expected * 3) {
    throw new TypeError('unexpected reply from Redis: peeked counters');
  }
  const readings: CounterReading[] = [];
  for (let i = 0; i < value.length; i += 3) {
    const exists = toNumber(value[i]);
    // A counter that does not read as a number is a store fault: the caller refuses rather than guess.
    if (exists === 2) throw new TypeError('unreadable limiter counter');
    readings.push(
      exists === 0 ? null : { consumedPoints: toNumber(value[i + 1]), msBeforeNext: toNumber(value[i + 2]) },
    );
  }
  return readings;
}

function toNumber(value: unknown): number {
  const n = Buffer.isBuffer(value) ? Number(value.toString('utf8')) : Number(value);
  if (!Number.isFinite(n)) throw new TypeError(`unexpected reply from Redis: ${String(value)}`);
  return n;
}

/**
 * The production store: one Redis (standalone or Cluster) shared by every gateway replica.
 *
 * Atomicity: each handle method is one Lua script on the handle's single key, so it is one round
 * trip and atomic (no other command runs between its reads and writes); `deleteHandle` is a plain DEL
 * and `ping` a PING per master. On a standalone server, `lockHandle`'s peek also reads the limiter
 * counters of the handle's destination inside that script; in Cluster they live on other shards,
 * so there is no peek and the caller reads them itself. The first call of a script on a (re)started node costs a second round
 * trip (EVALSHA answers NOSCRIPT and ioredis falls back to EVAL).
 *
 * Not atomic: anything spanning two calls (lock, then ask Cognito, then consume) - that is what the
 * lock lease is for; and the limiter counters versus the handle (different keys, possibly different
 * shards). A call that fails may still have run on the server (the reply was lost); with
 * `autoResendUnfulfilledCommands: false` it at least never runs later than the failure.
 *
 * Failure: every method rejects with OtpError SERVICE_UNAVAILABLE, the ioredis error as `cause`.
 *
 * @throws OtpConfigError for a client that does not fail fast or a bad prefix.
 */
export function createRedisStore(options: RedisStoreOptions): OtpStore {
  const { redis } = options;
  assertFailFast(redis);
  const prefix = options.prefix ?? 'otpgate';
  if (typeof prefix !== 'string' || !PREFIX_PATTERN.test(prefix)) {
    throw new OtpConfigError('prefix', 'use 1 to 64 letters, digits or ":_.-"');
  }
  const lockToken = options.lockToken ?? (() => randomBytes(12).toString('base64url'));

  for (const [name, lua] of Object.entries(SCRIPTS)) {
    redis.defineCommand(name, { numberOfKeys: 1, lua });
  }
  const scripts = redis as unknown as ScriptCommands;
  const key = (id: string): string => redisHandleKey(prefix, id);
  // Key prefix of each limiter this store made, so lockHandle can read their counters by name.
  const counterPrefixes = new WeakMap<RateLimiterAbstract, string>();
  /** The counter key prefixes of `peek`, or undefined when any of them cannot be read with a lock. */
  const peekPrefixes = (peek: readonly RateLimiterAbstract[] | undefined): string[] | undefined => {
    if (peek === undefined || peek.length === 0 || redis.isCluster) return undefined;
    const prefixes = peek.map((limiter) => counterPrefixes.get(limiter));
    return prefixes.every((p) => p !== undefined) ? (prefixes as string[]) : undefined;
  };

  async function run<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw unavailable(error);
    }
  }

  return {
    kind: 'redis',

    async createHandle(id: string, data: Buffer, ttlMs: number, destinationKey?: string): Promise<void> {
      assertMs('ttlMs', ttlMs);
      await run(() =>
        destinationKey === undefined
          ? scripts.otpgateCreateHandle(key(id), data, ttlMs)
          : scripts.otpgateCreateHandle(key(id), data, ttlMs, destinationKey),
      );
    },

    async lockHandle(id: string, lockMs: number, peek?: readonly RateLimiterAbstract[]): Promise<LockResult> {
      assertMs('lockMs', lockMs);
      const token = lockToken();
      const prefixes = peekPrefixes(peek) ?? [];
      return run(async () => {
        const reply = (await scripts.otpgateLockHandleBuffer(
          key(id),
          lockMs,
          token,
          ...prefixes,
        )) as unknown[];
        switch (toNumber(reply[0])) {
          case 0:
            return { status: 'missing' };
          case 1:
            return { status: 'busy', retryAfterMs: Math.max(1, toNumber(reply[1])) };
          default: {
            const data = reply[1];
            if (!Buffer.isBuffer(data)) throw new TypeError('unexpected reply from Redis: no handle data');
            const locked: LockResult = {
              status: 'locked',
              data,
              attempts: toNumber(reply[2]),
              lockToken: token,
            };
            if (reply.length > 3 && Buffer.isBuffer(reply[3])) {
              const peeked: Peeked = {
                destinationKey: reply[3].toString('utf8'),
                counters: toReadings(reply[4], prefixes.length),
              };
              locked.peeked = peeked;
            }
            return locked;
          }
        }
      });
    },

    async replaceHandle(id: string, token: string, data: Buffer, ttlMs: number): Promise<boolean> {
      assertMs('ttlMs', ttlMs);
      return run(async () => toNumber(await scripts.otpgateReplaceHandle(key(id), token, data, ttlMs)) === 1);
    },

    async recordWrongCode(id: string, token: string, maxAttempts: number): Promise<WrongCodeResult> {
      assertMaxAttempts(maxAttempts);
      return run(async () => {
        const reply = (await scripts.otpgateRecordWrongCode(key(id), token, maxAttempts)) as unknown[];
        return {
          attempts: toNumber(reply[0]),
          burned: toNumber(reply[1]) === 1,
          missing: toNumber(reply[2]) === 1,
        };
      });
    },

    async unlockHandle(id: string, token: string): Promise<void> {
      await run(() => scripts.otpgateUnlockHandle(key(id), token));
    },

    async consumeHandle(id: string, token: string): Promise<boolean> {
      return run(async () => toNumber(await scripts.otpgateConsumeHandle(key(id), token)) === 1);
    },

    async deleteHandle(id: string): Promise<void> {
      await run(() => redis.del(key(id)));
    },

    limiter(limiterOptions: LimiterOptions): RateLimiterAbstract {
      // One key per counter (rate-limiter-flexible's INCR script touches KEYS[1] only): valid in Cluster.
      const limiter = new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${prefix}:rl:${limiterOptions.keyPrefix}`,
        points: limiterOptions.points,
        duration: limiterOptions.duration,
        // Fail at once while ioredis reconnects rather than queueing (the client fails fast anyway).
        rejectIfRedisNotReady: true,
      });
      // The counter of key K is `<prefix>K`; lockHandle's peek builds the name the same way.
      const counterPrefix = limiter.getKey('');
      if (limiter.getKey('K') === `${counterPrefix}K`) counterPrefixes.set(limiter, counterPrefix);
      return limiter;
    },

    async ping(): Promise<void> {
      await run(async () => {
        if (!redis.isCluster) {
          await redis.ping();
          return;
        }
        const cluster = redis as Cluster;
        const masters = cluster.nodes('master');
        if (masters.length === 0) throw new Error('no Redis Cluster master is connected');
        // Every shard must answer: handles are spread over all of them. CLUSTER INFO catches a master
        // that ioredis already dropped from its pool (it reports cluster_state:fail after node timeout).
        const [info] = await Promise.all([cluster.cluster('INFO'), ...masters.map((node) => node.ping())]);
        if (typeof info !== 'string' || !info.includes('cluster_state:ok')) {
          throw new Error('Redis Cluster reports cluster_state other than ok');
        }
      });
    },
  };
}
