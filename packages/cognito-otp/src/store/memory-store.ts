import { pooledRandomBytes } from '../random.js';
import {
  type AccountAlias,
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
  type StoreClock,
  type TakeBudget,
  type TakeResult,
  type WrongCodeResult,
} from './types.js';
import { assertBudgets, assertMaxAttempts, assertMs } from './validate.js';

export interface MemoryStoreOptions {
  /**
   * Time source for handle TTLs, lock leases and budget windows (epoch ms). Tests pass a manual clock
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
  /** For lockHandle's reserve. */
  destinationKey?: string;
  accountKey?: string;
}

interface Counter {
  points: number;
  /** Epoch ms when the window ends and the counter is gone. */
  expiresAt: number;
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
  const lockToken = options.lockToken ?? (() => pooledRandomBytes(12).toString('base64url'));
  const entries = new Map<string, Entry>();
  const counters = new Map<string, Counter>();
  /** Identifier key -> account key, with its expiry. */
  const aliases = new Map<string, { account: string; expiresAt: number }>();
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
    for (const [key, counter] of counters) if (counter.expiresAt <= now) counters.delete(key);
    for (const [key, alias] of aliases) if (alias.expiresAt <= now) aliases.delete(key);
  }

  function accountOf(identifierKey: string): string | undefined {
    const alias = aliases.get(identifierKey);
    if (alias === undefined) return undefined;
    if (alias.expiresAt <= clock.now()) {
      aliases.delete(identifierKey);
      return undefined;
    }
    return alias.account;
  }

  function giveBackAll(budgets: readonly Budget[]): void {
    for (const budget of budgets) {
      const found = counter(budget);
      if (found !== undefined && found.points > 0) found.points -= 1;
    }
  }

  const counterKey = (budget: Budget) => `${budget.name}\u0000${budget.subject}`;

  function counter(budget: Budget): Counter | undefined {
    const key = counterKey(budget);
    const found = counters.get(key);
    if (found !== undefined && found.expiresAt <= clock.now()) {
      counters.delete(key);
      return undefined;
    }
    return found;
  }

  /** One stage: the full budgets, or none after taking a point from each. Synchronous, so atomic. */
  function takeStage(budgets: readonly Budget[]): Blocked[] {
    const now = clock.now();
    const blocked: Blocked[] = [];
    for (const budget of budgets) {
      const found = counter(budget);
      if (found !== undefined && found.points >= budget.limit) {
        blocked.push({ budget, retryAfterMs: Math.max(1, found.expiresAt - now) });
      }
    }
    if (blocked.length > 0) return blocked;
    for (const budget of budgets) {
      const found = counter(budget);
      if (found === undefined)
        counters.set(counterKey(budget), { points: 1, expiresAt: now + budget.windowMs });
      else found.points += 1;
    }
    return [];
  }

  function resolve(budgets: readonly HandleBudget[], entry: Entry): Budget[] | undefined {
    const resolved: Budget[] = [];
    for (const budget of budgets) {
      if (budget.subject === HANDLE_ACCOUNT) {
        if (entry.accountKey !== undefined) resolved.push({ ...budget, subject: entry.accountKey });
      } else if (budget.subject !== HANDLE_DESTINATION) resolved.push(budget as Budget);
      else if (entry.destinationKey === undefined) return undefined;
      else resolved.push({ ...budget, subject: entry.destinationKey });
    }
    return resolved;
  }

  // `async` so that argument errors reject like every other failure instead of throwing synchronously.
  return {
    kind: 'memory',

    async createHandle(
      id: string,
      data: Buffer,
      ttlMs: number,
      destinationKey?: string,
      accountKey?: string,
    ): Promise<void> {
      assertMs('ttlMs', ttlMs);
      if (++creations % SWEEP_EVERY === 0) sweep();
      entries.set(id, {
        data: Buffer.from(data),
        attempts: 0,
        expiresAt: clock.now() + ttlMs,
        ...(destinationKey === undefined ? {} : { destinationKey }),
        ...(accountKey === undefined ? {} : { accountKey }),
      });
    },

    async lockHandle(id: string, lockMs: number, budgets: LockBudgets = {}): Promise<LockResult> {
      assertMs('lockMs', lockMs);
      assertBudgets(budgets.first ?? []);
      assertBudgets(budgets.reserve ?? []);
      const refused = takeStage(budgets.first ?? []);
      if (refused.length > 0) return { status: 'refused', blocked: refused };
      const entry = live(id);
      if (entry === undefined) return { status: 'missing' };
      const now = clock.now();
      if (entry.lockToken !== undefined && entry.lockExpiresAt !== undefined && entry.lockExpiresAt > now) {
        return { status: 'busy', retryAfterMs: Math.max(1, entry.lockExpiresAt - now) };
      }
      let reserved: Budget[] | undefined;
      if (budgets.reserve !== undefined && budgets.reserve.length > 0) {
        // A handle stored without a destination cannot name its destination's budgets: the caller
        // reserves once it has opened the record.
        reserved = resolve(budgets.reserve, entry);
        if (reserved !== undefined) {
          const exhausted = takeStage(reserved);
          if (exhausted.length > 0) return { status: 'exhausted', blocked: exhausted };
        }
      }
      if (budgets.countAttempt) entry.attempts += 1;
      const token = lockToken();
      entry.lockToken = token;
      entry.lockExpiresAt = now + lockMs;
      return {
        status: 'locked',
        data: Buffer.from(entry.data),
        attempts: entry.attempts,
        lockToken: token,
        ...(reserved !== undefined && { reserved }),
      };
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

    async recordWrongCode(
      id: string,
      token: string,
      maxAttempts: number,
      options: { counted?: boolean } = {},
    ): Promise<WrongCodeResult> {
      assertMaxAttempts(maxAttempts);
      const entry = live(id);
      if (entry === undefined) return { attempts: 0, burned: false, missing: true };
      if (!options.counted) entry.attempts += 1;
      if (entry.attempts >= maxAttempts) {
        entries.delete(id);
        return { attempts: entry.attempts, burned: true, missing: false };
      }
      if (entry.lockToken === token) release(entry);
      return { attempts: entry.attempts, burned: false, missing: false };
    },

    async unlockHandle(
      id: string,
      token: string,
      options: SettleOptions & { uncount?: boolean } = {},
    ): Promise<void> {
      assertBudgets(options.giveBack ?? []);
      giveBackAll(options.giveBack ?? []);
      const entry = ours(id, token);
      if (entry === undefined) return;
      if (options.uncount && entry.attempts > 0) entry.attempts -= 1;
      release(entry);
    },

    async consumeHandle(
      id: string,
      token: string,
      options: SettleOptions & { alias?: AccountAlias } = {},
    ): Promise<boolean> {
      assertBudgets(options.giveBack ?? []);
      giveBackAll(options.giveBack ?? []);
      const alias = options.alias;
      if (alias !== undefined) {
        assertMs('alias.ttlMs', alias.ttlMs);
        const expiresAt = clock.now() + alias.ttlMs;
        for (const key of alias.identifierKeys) aliases.set(key, { account: alias.accountKey, expiresAt });
      }
      if (ours(id, token) === undefined) return false;
      entries.delete(id);
      return true;
    },

    async deleteHandle(id: string): Promise<void> {
      entries.delete(id);
    },

    async take(stages: readonly (readonly TakeBudget[])[]): Promise<TakeResult> {
      for (const stage of stages) assertBudgets(stage);
      let account: string | undefined;
      const resolved = stages.map((stage) =>
        stage.flatMap((budget): Budget[] => {
          if (typeof budget.subject === 'string') return [budget as Budget];
          const found = accountOf(budget.subject.accountOf);
          if (found === undefined) return [];
          account = found;
          return [{ ...budget, subject: found }];
        }),
      );
      for (const [index, stage] of resolved.entries()) {
        const blocked = takeStage(stage);
        if (blocked.length > 0) return { ok: false, stage: index, blocked };
      }
      return account === undefined ? { ok: true } : { ok: true, account };
    },

    async giveBack(budgets: readonly Budget[]): Promise<void> {
      assertBudgets(budgets);
      giveBackAll(budgets);
    },

    async usage(budgets: readonly Budget[]): Promise<number[]> {
      assertBudgets(budgets);
      return budgets.map((budget) => counter(budget)?.points ?? 0);
    },

    async ping(): Promise<void> {},
  };
}
