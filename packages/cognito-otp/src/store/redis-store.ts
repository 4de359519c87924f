import type { Cluster, ClusterOptions, Redis, RedisOptions } from 'ioredis';
import { OtpConfigError, OtpError } from '../errors.js';
import { pooledRandomBytes } from '../random.js';
import {
  type AccountAlias,
  type AccountBudget,
  type Blocked,
  type Budget,
  HANDLE_ACCOUNT,
  HANDLE_DESTINATION,
  type HandleBudget,
  type LockBudgets,
  type LockResult,
  type LockTokenSource,
  type OtpStore,
  type SettleOptions,
  type TakeBudget,
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

/** Redis key of an account alias: an identifier key's account key, with the alias's TTL. */
export function redisAliasKey(prefix: string, identifierKey: string): string {
  return `${prefix}:a:${identifierKey}`;
}

// Budgets in scripts: `take_stage` takes a list of {key, limit, windowMs[, index]} and either takes one
// point from each (INCR; a new counter gets its window as TTL) or, when any is then over its limit,
// takes nothing (each INCR is undone) and returns {index, ms until its window ends, ...} for every full
// one (index: the budget's place in the caller's list, which may differ from its place here when
// budgets of an unknown account were left out). Incrementing first costs one command per counter on
// the path that succeeds (a read first cost two); a refusal costs a DECR more per counter. A counter
// that is not an integer makes INCR fail: the script errors and the caller fails closed.
const TAKE_STAGE = `local function take_stage(list)
  local blocked = {}
  for i, b in ipairs(list) do
    local v = redis.call('INCR', b[1])
    if v == 1 then redis.call('PEXPIRE', b[1], b[3]) end
    if v > b[2] then
      local t = redis.call('PTTL', b[1])
      if t < 1 then t = b[3] end
      blocked[#blocked + 1] = b[4] or i
      blocked[#blocked + 1] = t
    end
  end
  if #blocked > 0 then
    for _, b in ipairs(list) do
      if redis.call('DECR', b[1]) <= 0 then redis.call('DEL', b[1]) end
    end
  end
  return blocked
end`;

// One point back from each of `keys` (from index `from`) that is above 0: one DECR. A counter at 0 keeps
// its window's TTL; a missing one (its window ended) reads as 0, so the -1 DECR made of it, or of a
// counter already at 0, is deleted (0 and none count the same).
const GIVE_BACK = `local function give_back(keys, from, to)
  for i = from, to do
    if redis.call('DECR', keys[i]) < 0 then redis.call('DEL', keys[i]) end
  end
end`;

const SCRIPTS = {
  // ARGV: data, ttlMs[, destinationKey[, accountKey]]
  otpgateCreateHandle: {
    keys: 1,
    // The id is 16 random bytes, new: no earlier key to clear first.
    lua: `if ARGV[4] then
  redis.call('HSET', KEYS[1], 'd', ARGV[1], 'a', 0, 'k', ARGV[3], 'u', ARGV[4])
elseif ARGV[3] then
  redis.call('HSET', KEYS[1], 'd', ARGV[1], 'a', 0, 'k', ARGV[3])
else
  redis.call('HSET', KEYS[1], 'd', ARGV[1], 'a', 0)
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`,
  },
  // ARGV: lockMs, token, countAttempt (0/1), nFirst, nReserve, nFirst x (key, limit, windowMs),
  // nReserve x (key or key prefix, mode, limit, windowMs) where mode 0 = the key as given, 1 = the
  // handle's destination completes it, 2 = the handle's account completes it (left out when the handle
  // has none) ->
  // {3, blocked...} first refused | {0} missing | {1, retryAfterMs} busy | {4, blocked...} reserve
  // exhausted | {2, data, attempts, reserved (0/1), destinationKey or false, accountKey or false} locked.
  //
  // The budget counters are not among KEYS (the reserved ones are named by the handle's k and u
  // fields), which Redis tolerates on a standalone server only: in Cluster the store passes no budgets.
  otpgateLockHandle: {
    keys: 1,
    lua: `${TAKE_STAGE}
local nFirst, nReserve = tonumber(ARGV[4]), tonumber(ARGV[5])
local first = {}
for i = 0, nFirst - 1 do
  local at = 6 + i * 3
  first[#first + 1] = {ARGV[at], tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])}
end
local refused = take_stage(first)
if #refused > 0 then return {3, refused} end
local f = redis.call('HMGET', KEYS[1], 'd', 'a', 't', 'x', 'k', 'u')
if not f[1] then return {0} end
${NOW_MS}
if f[3] and tonumber(f[4]) > now then return {1, tonumber(f[4]) - now} end
local reserved = 0
if nReserve > 0 and f[5] then
  local reserve = {}
  for i = 0, nReserve - 1 do
    local at = 6 + nFirst * 3 + i * 4
    local key, mode = ARGV[at], ARGV[at + 1]
    if mode == '1' then key = key .. f[5] elseif mode == '2' then key = f[6] and (key .. f[6]) end
    if key then reserve[#reserve + 1] = {key, tonumber(ARGV[at + 2]), tonumber(ARGV[at + 3]), i + 1} end
  end
  local exhausted = take_stage(reserve)
  if #exhausted > 0 then return {4, exhausted, f[5], f[6] or false} end
  reserved = 1
end
local attempts = tonumber(f[2])
if ARGV[3] == '1' then
  attempts = attempts + 1
  redis.call('HSET', KEYS[1], 'a', attempts, 't', ARGV[2], 'x', now + tonumber(ARGV[1]))
else
  redis.call('HSET', KEYS[1], 't', ARGV[2], 'x', now + tonumber(ARGV[1]))
end
return {2, f[1], attempts, reserved, f[5] or false, f[6] or false}`,
  },
  // KEYS: the counters (an account budget's: its key prefix), then the alias key if any; ARGV:
  // nStages, nStages counts, 0/1 an alias key is given, then per counter (limit, windowMs, 0/1 an
  // account budget) -> {0, account or false} taken | {1, stage (0-based), blocked..., account or false}
  otpgateTake: {
    keys: -1,
    lua: `${TAKE_STAGE}
local nStages = tonumber(ARGV[1])
local account = false
if ARGV[2 + nStages] == '1' then account = redis.call('GET', KEYS[#KEYS]) or false end
local k = 0
for s = 1, nStages do
  local list = {}
  for i = 1, tonumber(ARGV[1 + s]) do
    k = k + 1
    local at = 2 + nStages + (k - 1) * 3 + 1
    local key = KEYS[k]
    if ARGV[at + 2] == '1' then key = account and (key .. account) end
    if key then list[#list + 1] = {key, tonumber(ARGV[at]), tonumber(ARGV[at + 1]), i} end
  end
  local blocked = take_stage(list)
  if #blocked > 0 then return {1, s - 1, blocked, account} end
end
return {0, account}`,
  },
  // KEYS: the counters -> one point back from each that exists and is above 0
  otpgateGiveBack: {
    keys: -1,
    lua: `${GIVE_BACK}
give_back(KEYS, 1, #KEYS)
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
  // ARGV: token, maxAttempts, counted (0/1: the lock counted this one already) -> {attempts, burned, missing}
  otpgateRecordWrongCode: {
    keys: 1,
    lua: `if redis.call('EXISTS', KEYS[1]) == 0 then return {0, 0, 1} end
local a
if ARGV[3] == '1' then a = tonumber(redis.call('HGET', KEYS[1], 'a')) else a = redis.call('HINCRBY', KEYS[1], 'a', 1) end
if a >= tonumber(ARGV[2]) then
  redis.call('DEL', KEYS[1])
  return {a, 1, 0}
end
if redis.call('HGET', KEYS[1], 't') == ARGV[1] then redis.call('HDEL', KEYS[1], 't', 'x') end
return {a, 0, 0}`,
  },
  // KEYS: the handle, then counters to give a point back to; ARGV: token, uncount (0/1) -> 1 released | 0 not ours
  otpgateUnlockHandle: {
    keys: -1,
    lua: `${GIVE_BACK}
give_back(KEYS, 2, #KEYS)
if redis.call('HGET', KEYS[1], 't') == ARGV[1] then
  if ARGV[2] == '1' and tonumber(redis.call('HGET', KEYS[1], 'a')) > 0 then redis.call('HINCRBY', KEYS[1], 'a', -1) end
  redis.call('HDEL', KEYS[1], 't', 'x')
  return 1
end
return 0`,
  },
  // KEYS: the handle, nGiveBack counters, then alias keys; ARGV: token, nGiveBack, accountKey, aliasTtlMs
  // -> 1 consumed (deleted) | 0 gone or not our lock (the points and aliases are written either way)
  otpgateConsumeHandle: {
    keys: -1,
    lua: `${GIVE_BACK}
local n = tonumber(ARGV[2])
give_back(KEYS, 2, 1 + n)
for i = 2 + n, #KEYS do redis.call('SET', KEYS[i], ARGV[3], 'PX', ARGV[4]) end
if redis.call('HGET', KEYS[1], 't') == ARGV[1] then
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

/**
 * `budgets` with HANDLE_DESTINATION and HANDLE_ACCOUNT replaced by the handle's keys; an account budget
 * is left out when the handle has no account. Indices follow the script's (see toBlocked).
 */
function resolved(
  budgets: readonly HandleBudget[],
  destinationKey: string,
  accountKey: string | undefined,
): (Budget | undefined)[] {
  return budgets.map((budget) => {
    if (budget.subject === HANDLE_DESTINATION) return { ...budget, subject: destinationKey };
    if (budget.subject === HANDLE_ACCOUNT)
      return accountKey === undefined ? undefined : { ...budget, subject: accountKey };
    return budget as Budget;
  });
}

const isAccountBudget = (budget: TakeBudget): budget is AccountBudget => typeof budget.subject !== 'string';

/** The one identifier the account budgets of `stages` look up (they must agree), if any. */
function aliasOf(stages: readonly (readonly TakeBudget[])[]): string | undefined {
  let identifier: string | undefined;
  for (const budget of stages.flat()) {
    if (!isAccountBudget(budget)) continue;
    if (identifier !== undefined && identifier !== budget.subject.accountOf)
      throw new RangeError('the account budgets of one take must name the same identifier');
    identifier = budget.subject.accountOf;
  }
  return identifier;
}

/** `{index, ms, index, ms...}` of a script's blocked reply, as the budgets they name. */
function toBlocked(value: unknown, budgets: readonly (Budget | undefined)[]): Blocked[] {
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
 * first call of each script on a new connection is sent whole (ioredis sends EVAL where it has not yet
 * used the script on that socket, then EVALSHA), so a restarted or promoted node costs no NOSCRIPT
 * round trip.
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
  const lockToken = options.lockToken ?? (() => pooledRandomBytes(12).toString('base64url'));

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

  /**
   * A command started now and awaited later, after other awaits: marked as handled, so that when one
   * of those throws first, this one's own failure is not an unhandled rejection (which ends the
   * process: seen during a Cluster failover, "Too many Cluster redirections"). Awaiting it still throws.
   */
  function startedEarly<T>(promise: Promise<T>): Promise<T> {
    promise.catch(() => undefined);
    return promise;
  }

  /** The counter key of a budget; an account budget's is its prefix, completed by the account. */
  const takeKey = (budget: TakeBudget): string =>
    isAccountBudget(budget) ? redisBudgetKey(prefix, budget.name, '') : budgetKey(budget);

  /** One script over every stage: standalone Redis only (the counters may be on any shard). */
  async function takeInOneStep(stages: readonly (readonly TakeBudget[])[]): Promise<TakeResult> {
    const budgets = stages.flat();
    const identifier = aliasOf(stages);
    const keys = budgets.map(takeKey);
    if (identifier !== undefined) keys.push(redisAliasKey(prefix, identifier));
    const reply = (await scripts.otpgateTake(
      keys.length,
      ...keys,
      stages.length,
      ...stages.map((stage) => stage.length),
      identifier === undefined ? 0 : 1,
      ...budgets.flatMap((budget) => [budget.limit, budget.windowMs, isAccountBudget(budget) ? 1 : 0]),
    )) as unknown[];
    if (toNumber(reply[0]) === 0) {
      const account = reply[1];
      return typeof account === 'string' ? { ok: true, account } : { ok: true };
    }
    const stage = toNumber(reply[1]);
    // An account budget only blocks once the script found the account, which it then names.
    const account = reply[3];
    const named = (stages[stage] ?? []).map((budget) =>
      !isAccountBudget(budget)
        ? budget
        : typeof account === 'string'
          ? { ...budget, subject: account }
          : undefined,
    );
    return { ok: false, stage, blocked: toBlocked(reply[2], named) };
  }

  /**
   * Redis Cluster: the account alias first (beside the first stage), then each counter by its own
   * script, in parallel; a refused stage gives back the rest.
   */
  async function takeByCounter(stages: readonly (readonly TakeBudget[])[]): Promise<TakeResult> {
    const identifier = aliasOf(stages);
    let account: Promise<string | null> | undefined;
    if (identifier !== undefined) account = startedEarly(redis.get(redisAliasKey(prefix, identifier)));
    for (const [index, stage] of stages.entries()) {
      const plain = stage.filter((budget): budget is Budget => !isAccountBudget(budget));
      const found = stage.length === plain.length ? null : await account;
      const budgets =
        found === null || found === undefined
          ? plain
          : stage.map((budget) => (isAccountBudget(budget) ? { ...budget, subject: found } : budget));
      const replies = await Promise.allSettled(budgets.map((budget) => takeInOneStep([[budget]])));
      const failure = replies.find((reply) => reply.status === 'rejected');
      const taken = budgets.filter(
        (_, i) =>
          replies[i]?.status === 'fulfilled' && (replies[i] as PromiseFulfilledResult<TakeResult>).value.ok,
      );
      const blocked = replies.flatMap((reply, i) =>
        reply.status === 'fulfilled' && !reply.value.ok
          ? reply.value.blocked.map((one) => ({ ...one, budget: budgets[i] as Budget }))
          : [],
      );
      if (failure !== undefined || blocked.length > 0) {
        await giveBackAll(taken).catch(() => undefined);
        if (failure !== undefined) throw (failure as PromiseRejectedResult).reason;
        return { ok: false, stage: index, blocked };
      }
    }
    const found = account === undefined ? null : await account;
    return typeof found === 'string' ? { ok: true, account: found } : { ok: true };
  }

  function giveBackAll(budgets: readonly Budget[]): Promise<unknown> {
    if (budgets.length === 0) return Promise.resolve();
    if (!cluster) return scripts.otpgateGiveBack(budgets.length, ...budgets.map(budgetKey));
    return Promise.all(budgets.map((budget) => scripts.otpgateGiveBack(1, budgetKey(budget))));
  }

  return {
    kind: 'redis',

    async createHandle(
      id: string,
      data: Buffer,
      ttlMs: number,
      destinationKey?: string,
      accountKey?: string,
    ): Promise<void> {
      assertMs('ttlMs', ttlMs);
      const tags =
        destinationKey === undefined
          ? []
          : accountKey === undefined
            ? [destinationKey]
            : [destinationKey, accountKey];
      await run(() => scripts.otpgateCreateHandle(key(id), data, ttlMs, ...tags));
    },

    async lockHandle(id: string, lockMs: number, budgets: LockBudgets = {}): Promise<LockResult> {
      assertMs('lockMs', lockMs);
      const first = budgets.first ?? [];
      const reserve = cluster ? [] : (budgets.reserve ?? []);
      const countAttempt = budgets.countAttempt === true;
      assertBudgets(first);
      assertBudgets(reserve);
      const token = lockToken();
      return run(async () => {
        let firstTaken: Promise<TakeResult> | undefined;
        if (cluster && first.length > 0) firstTaken = startedEarly(takeByCounter([first]));
        const reply = (await scripts.otpgateLockHandleBuffer(
          key(id),
          lockMs,
          token,
          countAttempt ? 1 : 0,
          cluster ? 0 : first.length,
          reserve.length,
          ...(cluster ? [] : first.flatMap((budget) => [budgetKey(budget), budget.limit, budget.windowMs])),
          ...reserve.flatMap((budget) =>
            budget.subject === HANDLE_DESTINATION || budget.subject === HANDLE_ACCOUNT
              ? [
                  redisBudgetKey(prefix, budget.name, ''),
                  budget.subject === HANDLE_DESTINATION ? 1 : 2,
                  budget.limit,
                  budget.windowMs,
                ]
              : [budgetKey(budget as Budget), 0, budget.limit, budget.windowMs],
          ),
        )) as unknown[];
        const status = toNumber(reply[0]);
        if (firstTaken !== undefined) {
          // Cluster: the request budgets were taken beside the lock; a refusal there wins, and a lock
          // taken meanwhile is given back.
          const taken = await firstTaken;
          if (!taken.ok) {
            if (status === 2) await scripts.otpgateUnlockHandle(1, key(id), token, countAttempt ? 1 : 0);
            return { status: 'refused', blocked: taken.blocked };
          }
        }
        const text = (value: unknown) => (Buffer.isBuffer(value) ? value.toString('utf8') : undefined);
        switch (status) {
          case 3:
            return { status: 'refused', blocked: toBlocked(reply[1], first) };
          case 0:
            return { status: 'missing' };
          case 1:
            return { status: 'busy', retryAfterMs: Math.max(1, toNumber(reply[1])) };
          case 4:
            return {
              status: 'exhausted',
              blocked: toBlocked(reply[1], resolved(reserve, text(reply[2]) ?? '', text(reply[3]))),
            };
          default: {
            const data = reply[1];
            if (!Buffer.isBuffer(data)) throw new TypeError('unexpected reply from Redis: no handle data');
            const locked: LockResult = {
              status: 'locked',
              data,
              attempts: toNumber(reply[2]),
              lockToken: token,
            };
            const destinationKey = text(reply[4]);
            if (toNumber(reply[3]) === 1 && destinationKey !== undefined) {
              locked.reserved = resolved(reserve, destinationKey, text(reply[5])).filter(
                (budget): budget is Budget => budget !== undefined,
              );
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

    async recordWrongCode(
      id: string,
      token: string,
      maxAttempts: number,
      options: { counted?: boolean } = {},
    ): Promise<WrongCodeResult> {
      assertMaxAttempts(maxAttempts);
      return run(async () => {
        const reply = (await scripts.otpgateRecordWrongCode(
          key(id),
          token,
          maxAttempts,
          options.counted ? 1 : 0,
        )) as unknown[];
        return {
          attempts: toNumber(reply[0]),
          burned: toNumber(reply[1]) === 1,
          missing: toNumber(reply[2]) === 1,
        };
      });
    },

    async unlockHandle(
      id: string,
      token: string,
      options: SettleOptions & { uncount?: boolean } = {},
    ): Promise<void> {
      const giveBack = options.giveBack ?? [];
      assertBudgets(giveBack);
      const uncount = options.uncount ? 1 : 0;
      await run(async () => {
        if (!cluster) {
          const keys = [key(id), ...giveBack.map(budgetKey)];
          await scripts.otpgateUnlockHandle(keys.length, ...keys, token, uncount);
          return;
        }
        await Promise.all([scripts.otpgateUnlockHandle(1, key(id), token, uncount), giveBackAll(giveBack)]);
      });
    },

    async consumeHandle(
      id: string,
      token: string,
      options: SettleOptions & { alias?: AccountAlias } = {},
    ): Promise<boolean> {
      const giveBack = options.giveBack ?? [];
      assertBudgets(giveBack);
      const alias = options.alias;
      if (alias !== undefined) assertMs('alias.ttlMs', alias.ttlMs);
      const aliasKeys = (alias?.identifierKeys ?? []).map((identifier) => redisAliasKey(prefix, identifier));
      const account = alias?.accountKey ?? '';
      const ttl = alias?.ttlMs ?? 1;
      return run(async () => {
        if (!cluster) {
          const keys = [key(id), ...giveBack.map(budgetKey), ...aliasKeys];
          const reply = await scripts.otpgateConsumeHandle(
            keys.length,
            ...keys,
            token,
            giveBack.length,
            account,
            ttl,
          );
          return toNumber(reply) === 1;
        }
        const [reply] = await Promise.all([
          scripts.otpgateConsumeHandle(1, key(id), token, 0, account, ttl),
          giveBackAll(giveBack),
          ...aliasKeys.map((aliasKey) => redis.set(aliasKey, account, 'PX', ttl)),
        ]);
        return toNumber(reply) === 1;
      });
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
