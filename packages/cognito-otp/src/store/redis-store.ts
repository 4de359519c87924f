import { randomBytes } from 'node:crypto';
import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { OtpConfigError, OtpError } from '../errors.js';
import {
  type Blocked,
  type Budget,
  HANDLE_DESTINATION,
  type HandleBudget,
  type LockResult,
  type LockTokenSource,
  type OtpStore,
  type TakeResult,
  type WrongCodeResult,
} from './types.js';
import { assertBudgets, assertMaxAttempts, assertMs } from './validate.js';

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
   * Prefix of every key this store writes (handles and budget counters), so several deployments can
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
 * token, lock expiry ms), k (the destination key, for budgets reserved with the lock).
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

/** Redis key of a budget's counter: a plain integer whose TTL is the rest of its window. */
export function redisBudgetKey(prefix: string, name: string, subject: string): string {
  return `${prefix}:b:${name}:${subject}`;
}

// Budgets in scripts: `take_stage` takes a list of {key, limit, windowMs} and either takes one point
// from each (INCR; a new counter gets its window as TTL) or, when any is full, takes nothing and
// returns {index, ms until its window ends, ...} for every full one. A counter that does not read as
// a number is a fault: the script errors and the caller fails closed.
const TAKE_STAGE = `local function take_stage(list)
  local blocked = {}
  for i, b in ipairs(list) do
    local raw = redis.call('GET', b[1])
    local v = 0
    if raw then
      v = tonumber(raw)
      if v == nil then return redis.error_reply('unreadable budget counter') end
    end
    if v >= b[2] then
      local t = redis.call('PTTL', b[1])
      if t < 1 then t = b[3] end
      blocked[#blocked + 1] = i
      blocked[#blocked + 1] = t
    end
  end
  if #blocked > 0 then return blocked end
  for _, b in ipairs(list) do
    if redis.call('INCR', b[1]) == 1 then redis.call('PEXPIRE', b[1], b[3]) end
  end
  return blocked
end`;

const SCRIPTS = {
  // ARGV: data, ttlMs[, destinationKey]
  otpgateCreateHandle: {
    keys: 1,
    lua: `redis.call('DEL', KEYS[1])
if ARGV[3] then
  redis.call('HSET', KEYS[1], 'd', ARGV[1], 'a', 0, 'k', ARGV[3])
else
  redis.call('HSET', KEYS[1], 'd', ARGV[1], 'a', 0)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`,
  },
  // ARGV: lockMs, token, nFirst, nReserve, nFirst x (key, limit, windowMs), nReserve x (key or key
  // prefix, 1 when the handle's destination completes the key, limit, windowMs) ->
  // {3, blocked...} first refused | {0} missing | {1, retryAfterMs} busy | {4, blocked...} reserve
  // exhausted | {2, data, attempts, reserved (0/1), destinationKey or false} locked.
  //
  // The budget counters are not among KEYS (the reserved ones are named by the handle's k field),
  // which Redis tolerates on a standalone server only: in Cluster the store passes no budgets.
  otpgateLockHandle: {
    keys: 1,
    lua: `${TAKE_STAGE}
local nFirst, nReserve = tonumber(ARGV[3]), tonumber(ARGV[4])
local first = {}
for i = 0, nFirst - 1 do
  local at = 5 + i * 3
  first[#first + 1] = {ARGV[at], tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])}
end
local refused = take_stage(first)
if #refused > 0 then return {3, refused} end
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
${NOW_MS}
local f = redis.call('HMGET', KEYS[1], 'd', 'a', 't', 'x', 'k')
if f[3] and tonumber(f[4]) > now then return {1, tonumber(f[4]) - now} end
local reserved = 0
if nReserve > 0 and f[5] then
  local reserve = {}
  for i = 0, nReserve - 1 do
    local at = 5 + nFirst * 3 + i * 4
    local key = ARGV[at]
    if ARGV[at + 1] == '1' then key = key .. f[5] end
    reserve[#reserve + 1] = {key, tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3])}
  end
  local exhausted = take_stage(reserve)
  if #exhausted > 0 then return {4, exhausted} end
  reserved = 1
end
redis.call('HSET', KEYS[1], 't', ARGV[2], 'x', now + tonumber(ARGV[1]))
return {2, f[1], tonumber(f[2]), reserved, f[5] or false}`,
  },
  // KEYS: the counters; ARGV: nStages, nStages counts, then per key (limit, windowMs) ->
  // {0} taken | {1, stage (0-based), blocked...}
  otpgateTake: {
    keys: -1,
    lua: `${TAKE_STAGE}
local nStages = tonumber(ARGV[1])
local k = 0
for s = 1, nStages do
  local list = {}
  for _ = 1, tonumber(ARGV[1 + s]) do
    k = k + 1
    local at = 1 + nStages + (k - 1) * 2 + 1
    list[#list + 1] = {KEYS[k], tonumber(ARGV[at]), tonumber(ARGV[at + 1])}
  end
  local blocked = take_stage(list)
  if #blocked > 0 then return {1, s - 1, blocked} end
end
return {0}`,
  },
  // KEYS: the counters -> one point back from each that exists and is above 0
  otpgateGiveBack: {
    keys: -1,
    lua: `for _, key in ipairs(KEYS) do
  local v = tonumber(redis.call('GET', key))
  if v and v > 0 then redis.call('DECR', key) end
end
return 1`,
  },
  // ARGV: token, data, ttlMs -> 1 replaced | 0 gone or not our lock
  otpgateReplaceHandle: {
    keys: 1,
    lua: `if redis.call('HGET', KEYS[1], 't') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'd', ARGV[2])
redis.call('HDEL', KEYS[1], 't', 'x')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`,
  },
  // ARGV: token, maxAttempts -> {attempts, burned, missing}
  otpgateRecordWrongCode: {
    keys: 1,
    lua: `if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0, 1} end
local a = redis.call('HINCRBY', KEYS[1], 'a', 1)
if a >= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  return {a, 1, 0}
end
if redis.call('HGET', KEYS[1], 't') == ARGV[1] then redis.call('HDEL', KEYS[1], 't', 'x') end
return {a, 0, 0}`,
  },
  // ARGV: token -> 1 released | 0 not ours
  otpgateUnlockHandle: {
    keys: 1,
    lua: `if redis.call('HGET', KEYS[1], 't') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 't', 'x')
  return 1
end
return 0`,
  },
  // ARGV: token -> 1 consumed (deleted) | 0 gone or not our lock
  otpgateConsumeHandle: {
    keys: 1,
    lua: `if redis.call('HGET', KEYS[1], 't') == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0`,
  },
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Arg = string | number | Buffer;
/**
 * The commands defineCommand adds, as ioredis calls them (`<name>Buffer` answers bulk strings as
 * Buffers). Scripts with a variable number of keys take that number first.
 */
type ScriptCommands = { [K in ScriptName]: (...args: Arg[]) => Promise<unknown> } & {
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

/** `budgets` with HANDLE_DESTINATION replaced by `destinationKey`. */
function resolved(budgets: readonly HandleBudget[], destinationKey: string): Budget[] {
  return budgets.map((budget) =>
    budget.subject === HANDLE_DESTINATION ? { ...budget, subject: destinationKey } : (budget as Budget),
  );
}

/** `{index, ms, index, ms...}` of a script's blocked reply, as the budgets they name. */
function toBlocked(value: unknown, budgets: readonly Budget[]): Blocked[] {
  if (!Array.isArray(value) || value.length % 2 !== 0)
    throw new TypeError('unexpected reply from Redis: blocked budgets');
  const blocked: Blocked[] = [];
  for (let i = 0; i < value.length; i += 2) {
    const budget = budgets[toNumber(value[i]) - 1];
    if (budget === undefined) throw new TypeError('unexpected reply from Redis: blocked budget index');
    blocked.push({ budget, retryAfterMs: Math.max(1, toNumber(value[i + 1])) });
  }
  return blocked;
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
 * and `ping` a PING per master. On a standalone server `take` is one script over all its budgets, and
 * `lockHandle` takes its `first` budgets, the lock and its `reserve` budgets in one script. In Cluster
 * the counters live on other shards than the handle and than each other: each counter is then taken by
 * its own script (a counter never passes its limit; a stage refused on one counter gives back what it
 * took from the others), `first` is taken beside the lock, and `reserve` is left to the caller. The
 * first call of a script on a (re)started node costs a second round trip (EVALSHA answers NOSCRIPT
 * and ioredis falls back to EVAL).
 *
 * Not atomic: anything spanning two calls (lock, then ask Cognito, then consume) - that is what the
 * lock lease is for. A call that fails may still have run on the server (the reply was lost); with
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

  for (const [name, script] of Object.entries(SCRIPTS)) {
    // A script with a variable number of keys takes that number as its first argument.
    redis.defineCommand(
      name,
      script.keys < 0 ? { lua: script.lua } : { numberOfKeys: script.keys, lua: script.lua },
    );
  }
  const scripts = redis as unknown as ScriptCommands;
  const cluster = redis.isCluster;
  const key = (id: string): string => redisHandleKey(prefix, id);
  const budgetKey = (budget: Budget): string => redisBudgetKey(prefix, budget.name, budget.subject);

  async function run<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw unavailable(error);
    }
  }

  /** One script over every stage: standalone Redis only (the counters may be on any shard). */
  async function takeInOneStep(stages: readonly (readonly Budget[])[]): Promise<TakeResult> {
    const budgets = stages.flat();
    const reply = (await scripts.otpgateTake(
      budgets.length,
      ...budgets.map(budgetKey),
      stages.length,
      ...stages.map((stage) => stage.length),
      ...budgets.flatMap((budget) => [budget.limit, budget.windowMs]),
    )) as unknown[];
    if (toNumber(reply[0]) === 0) return { ok: true };
    const stage = toNumber(reply[1]);
    return { ok: false, stage, blocked: toBlocked(reply[2], stages[stage] ?? []) };
  }

  /** Redis Cluster: each counter by its own script, in parallel; a refused stage gives back the rest. */
  async function takeByCounter(stages: readonly (readonly Budget[])[]): Promise<TakeResult> {
    for (const [index, stage] of stages.entries()) {
      const replies = await Promise.allSettled(stage.map((budget) => takeInOneStep([[budget]])));
      const failure = replies.find((reply) => reply.status === 'rejected');
      const taken = stage.filter(
        (_, i) =>
          replies[i]?.status === 'fulfilled' && (replies[i] as PromiseFulfilledResult<TakeResult>).value.ok,
      );
      const blocked = replies.flatMap((reply) =>
        reply.status === 'fulfilled' && !reply.value.ok ? reply.value.blocked : [],
      );
      if (failure !== undefined || blocked.length > 0) {
        await giveBackAll(taken).catch(() => undefined);
        if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
        return { ok: false, stage: index, blocked };
      }
    }
    return { ok: true };
  }

  function giveBackAll(budgets: readonly Budget[]): Promise<unknown> {
    if (budgets.length === 0) return Promise.resolve();
    if (!cluster) return scripts.otpgateGiveBack(budgets.length, ...budgets.map(budgetKey));
    return Promise.all(budgets.map((budget) => scripts.otpgateGiveBack(1, budgetKey(budget))));
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

    async lockHandle(
      id: string,
      lockMs: number,
      budgets: { first?: readonly Budget[]; reserve?: readonly HandleBudget[] } = {},
    ): Promise<LockResult> {
      assertMs('lockMs', lockMs);
      const first = budgets.first ?? [];
      const reserve = cluster ? [] : (budgets.reserve ?? []);
      assertBudgets(first);
      assertBudgets(reserve);
      const token = lockToken();
      return run(async () => {
        let firstTaken: Promise<TakeResult> | undefined;
        if (cluster && first.length > 0) firstTaken = takeByCounter([first]);
        const reply = (await scripts.otpgateLockHandleBuffer(
          key(id),
          lockMs,
          token,
          cluster ? 0 : first.length,
          reserve.length,
          ...(cluster ? [] : first.flatMap((budget) => [budgetKey(budget), budget.limit, budget.windowMs])),
          ...reserve.flatMap((budget) =>
            budget.subject === HANDLE_DESTINATION
              ? [redisBudgetKey(prefix, budget.name, ''), 1, budget.limit, budget.windowMs]
              : [budgetKey(budget as Budget), 0, budget.limit, budget.windowMs],
          ),
        )) as unknown[];
        const status = toNumber(reply[0]);
        if (firstTaken !== undefined) {
          // Cluster: the request budgets were taken beside the lock; a refusal there wins, and a lock
          // taken meanwhile is given back.
          const taken = await firstTaken;
          if (!taken.ok) {
            if (status === 2) await scripts.otpgateUnlockHandle(key(id), token);
            return { status: 'refused', blocked: taken.blocked };
          }
        }
        switch (status) {
          case 3:
            return { status: 'refused', blocked: toBlocked(reply[1], first) };
          case 0:
            return { status: 'missing' };
          case 1:
            return { status: 'busy', retryAfterMs: Math.max(1, toNumber(reply[1])) };
          case 4:
            return { status: 'exhausted', blocked: toBlocked(reply[1], resolved(reserve, '')) };
          default: {
            const data = reply[1];
            if (!Buffer.isBuffer(data)) throw new TypeError('unexpected reply from Redis: no handle data');
            const locked: LockResult = {
              status: 'locked',
              data,
              attempts: toNumber(reply[2]),
              lockToken: token,
            };
            if (toNumber(reply[3]) === 1 && Buffer.isBuffer(reply[4])) {
              locked.reserved = resolved(reserve, reply[4].toString('utf8'));
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

    async take(stages: readonly (readonly Budget[])[]): Promise<TakeResult> {
      for (const stage of stages) assertBudgets(stage);
      const nonEmpty = stages.some((stage) => stage.length > 0);
      if (!nonEmpty) return { ok: true };
      return run(() => (cluster ? takeByCounter(stages) : takeInOneStep(stages)));
    },

    async giveBack(budgets: readonly Budget[]): Promise<void> {
      assertBudgets(budgets);
      await run(() => giveBackAll(budgets));
    },

    async usage(budgets: readonly Budget[]): Promise<number[]> {
      assertBudgets(budgets);
      return run(() =>
        Promise.all(
          budgets.map(async (budget) => {
            const value = await redis.get(budgetKey(budget));
            return value === null ? 0 : toNumber(value);
          }),
        ),
      );
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
