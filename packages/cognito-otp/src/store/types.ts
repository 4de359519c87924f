/**
 * One fixed-window counter: at most `limit` points per window of `windowMs`, the window starting at
 * the counter's first point. The store names it from `name` and `subject` (a keyed hash, never an
 * address); `name` holds the rule's window, so rules of one list never share a counter.
 */
export interface Budget {
  /** The rule, e.g. `wrong-dst:3600s`. Letters, digits and `:_.-`. */
  name: string;
  /** Whose budget: a keyed hash of a destination or IP, a profile name. */
  subject: string;
  /** Points per window, >= 1. */
  limit: number;
  /** Window length, ms >= 1. */
  windowMs: number;
}

/**
 * In `lockHandle`'s `reserve`: the budget of the destination stored with the handle (createHandle's
 * `destinationKey`), which the caller cannot name before the record is opened.
 */
export const HANDLE_DESTINATION: unique symbol = Symbol('the destination stored with the handle');

/**
 * In `lockHandle`'s `reserve`: the account stored with the handle (createHandle's `accountKey`). A
 * budget naming it is skipped for a handle stored without an account.
 */
export const HANDLE_ACCOUNT: unique symbol = Symbol('the account stored with the handle');

/** A budget whose subject may be the handle's destination or account (see HANDLE_DESTINATION, HANDLE_ACCOUNT). */
export type HandleBudget = Omit<Budget, 'subject'> & {
  subject: string | typeof HANDLE_DESTINATION | typeof HANDLE_ACCOUNT;
};

/**
 * In `take`: a budget of the account an identifier key is an alias of (see `AccountAlias`), which the
 * store looks up in the same step. Skipped when the identifier has no alias (an unknown account).
 */
export type AccountBudget = Omit<Budget, 'subject'> & { subject: { accountOf: string } };

/** A budget `take` accepts: named outright, or through an identifier's account alias. */
export type TakeBudget = Budget | AccountBudget;

/**
 * Identifier keys (keyed hashes of an account's verified addresses) that name one account (a keyed
 * hash of its Cognito `sub`), for `ttlMs`: what lets budgets count per account before a sign-in
 * tells the engine whose account an address is.
 */
export interface AccountAlias {
  identifierKeys: readonly string[];
  accountKey: string;
  ttlMs: number;
}

/** A full budget, and how long until its window ends (>= 1 ms). */
export interface Blocked {
  budget: Budget;
  retryAfterMs: number;
}

/**
 * What `take` did. Stages are taken in order, each all or nothing: a stage whose budgets all have room
 * takes one point from each; the first stage that has a full budget takes nothing and ends the call
 * (`stage` is its index; earlier stages keep their points), naming every full budget of that stage.
 */
export type TakeResult =
  /** `account`: the account an AccountBudget resolved to, if any did. */
  { ok: true; account?: string } | { ok: false; stage: number; blocked: Blocked[] };

/** What `lockHandle` found. */
export type LockResult =
  /** `first` had a full budget: nothing else was done. */
  | { status: 'refused'; blocked: Blocked[] }
  | { status: 'missing' }
  /** Someone else holds the lock; it expires in `retryAfterMs` (>= 1) at the latest. */
  | { status: 'busy'; retryAfterMs: number }
  /** `reserve` had a full budget: the handle was left unlocked and nothing was reserved. */
  | { status: 'exhausted'; blocked: Blocked[] }
  /**
   * We hold the lock: pass `lockToken` to the call that ends it. `reserved` lists the budgets a point
   * was taken from (HANDLE_DESTINATION resolved); undefined when the store could not reserve with the
   * lock (Redis Cluster: the counters live on other shards), and the caller reserves itself.
   */
  | {
      status: 'locked';
      data: Buffer;
      /** Answers counted on the handle so far, including the one `countAttempt` counted. */
      attempts: number;
      lockToken: string;
      reserved?: Budget[];
    };

/** What `lockHandle` takes beside the lock. */
export interface LockBudgets {
  /** Taken before anything else; a full one refuses the call. */
  first?: readonly Budget[];
  /** Taken once the handle is found free; a full one leaves the handle untouched (exhausted). */
  reserve?: readonly HandleBudget[];
  /**
   * Counts one answer on the handle with the lock (attempts + 1), before the answer is checked, so a
   * lost reply can never hand out an uncounted guess. Settle it with recordWrongCode(..., { counted:
   * true }), unlockHandle(..., { uncount: true }) or consumeHandle.
   */
  countAttempt?: boolean;
}

/** What ends a lock besides releasing it. */
export interface SettleOptions {
  /** Points to give back (see giveBack), in the same step where the store can. */
  giveBack?: readonly Budget[];
}

/** What `recordWrongCode` did. */
export interface WrongCodeResult {
  /** Wrong codes counted on the handle so far, this one included. 0 when `missing`. */
  attempts: number;
  /** This wrong code reached `maxAttempts`: the handle is deleted. */
  burned: boolean;
  /** The handle was already gone (expired, consumed or burned meanwhile): nothing was counted. */
  missing: boolean;
}

/**
 * Where pending handles and limiter counters live. Ids are `handleId(handle)`, data is a sealed
 * record: implementations never see a handle, an address or a session in clear.
 *
 * Every method is atomic on its handle. A handle has at most one lock holder at a time; the lock is
 * a lease (`lockMs`) so a crashed holder cannot wedge a handle, and every call that ends a lock takes
 * the token it got, so a holder whose lease ran out cannot end someone else's.
 *
 * Failure: every method rejects with `OtpError('SERVICE_UNAVAILABLE')` (the store's error as `cause`)
 * when the store cannot answer. A rejected call may still have taken effect (the reply was lost), so
 * callers must treat it as "unknown", never as "nothing happened" or "allowed".
 */
export interface OtpStore {
  readonly kind: 'redis' | 'memory';
  /**
   * New handle: data + attempts 0, TTL. `destinationKey` (the keyed hash the per-destination budgets
   * count under; not a secret, it already names their counters) is stored beside the sealed data, in
   * clear, so that `lockHandle` can reserve from the destination's budgets without opening the record.
   */
  createHandle(
    id: string,
    data: Buffer,
    ttlMs: number,
    destinationKey?: string,
    accountKey?: string,
  ): Promise<void>;
  /**
   * Atomically, in order: take one point from each `first` budget (all or nothing; a full one ends the
   * call: refused); missing -> missing; locked by someone else and lock not expired -> busy; take one
   * point from each `reserve` budget (all or nothing; a full one: exhausted, the handle untouched);
   * with `countAttempt`, attempts + 1; take the lock for lockMs and return data+attempts.
   *
   * A store that cannot reserve in the same step (Redis Cluster: other shards) takes `first` and the
   * lock only, and answers `locked` without `reserved`.
   */
  lockHandle(id: string, lockMs: number, budgets?: LockBudgets): Promise<LockResult>;
  /** Resend/rewrite: replace data and TTL of a handle we hold the lock of, keep attempts, release the lock. false if gone or not our lock. */
  replaceHandle(id: string, lockToken: string, data: Buffer, ttlMs: number): Promise<boolean>;
  /**
   * Wrong code: attempts+1 (unless the lock `counted` it already), release the lock; when attempts reach
   * maxAttempts delete the handle (burned). Counts even when our lease was taken over meanwhile (the
   * code was wrong all the same), but then leaves the new holder's lock alone.
   */
  recordWrongCode(
    id: string,
    lockToken: string,
    maxAttempts: number,
    options?: { counted?: boolean },
  ): Promise<WrongCodeResult>;
  /**
   * Release without counting (upstream failure): with `uncount`, the attempt the lock counted is taken
   * back. No-op on the handle if gone or not our lock; `giveBack` is given back either way.
   */
  unlockHandle(id: string, lockToken: string, options?: SettleOptions & { uncount?: boolean }): Promise<void>;
  /**
   * The DONE step: delete iff we hold the lock. true exactly once per handle even under concurrency.
   * `giveBack` and `alias` are done whatever the answer (the sign-in succeeded at Cognito).
   */
  consumeHandle(
    id: string,
    lockToken: string,
    options?: SettleOptions & { alias?: AccountAlias },
  ): Promise<boolean>;
  deleteHandle(id: string): Promise<void>;
  /**
   * Takes one point from each budget, stage by stage, each stage all or nothing (see TakeResult). A
   * budget is never taken past its limit, whatever the concurrency: on a standalone Redis and in memory
   * the whole call is one atomic step; in Redis Cluster each counter is (its stage's points are given
   * back when another of its counters is full).
   */
  take(stages: readonly (readonly TakeBudget[])[]): Promise<TakeResult>;
  /** One point back to each budget (never below 0); a counter that is gone stays gone. */
  giveBack(budgets: readonly Budget[]): Promise<void>;
  /** Points used in each budget's current window (0 when it has none): for operators and tests. */
  usage(budgets: readonly Budget[]): Promise<number[]>;
  /** Throws when the store cannot answer (readiness, fail-closed checks). */
  ping(): Promise<void>;
}

/** Milliseconds since the epoch. */
export interface StoreClock {
  now(): number;
}

/** Lock tokens only tell holders apart; they grant nothing on their own, so 96 random bits are plenty. */
export type LockTokenSource = () => string;
