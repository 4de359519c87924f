import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { handleId, newHandle, parseHandle, sealBytes } from '../src/handles/handle-crypto.js';
import {
  type Budget,
  HANDLE_ACCOUNT,
  HANDLE_DESTINATION,
  type HandleBudget,
  type LockResult,
  type OtpStore,
} from '../src/store/types.js';
import type { StoreBackend } from './store-backends.js';

/** A fresh id per test, so tests share one store without seeing each other. */
const freshId = () => handleId(randomBytes(32));
/** Every byte value, so a Lua or encoding slip that mangles binary data shows. */
const BINARY = Buffer.from(Array.from({ length: 512 }, (_, i) => i % 256));

function locked(result: LockResult): Extract<LockResult, { status: 'locked' }> {
  if (result.status !== 'locked') throw new Error(`expected locked, got ${JSON.stringify(result)}`);
  return result;
}

/**
 * The OtpStore contract: the same behaviour from the memory store, a standalone Redis and a Redis
 * Cluster. Call inside a describe; `setup` runs once in beforeAll.
 */
export function storeContract(setup: () => Promise<StoreBackend>): void {
  let backend: StoreBackend;
  let store: OtpStore;
  const LONG_TTL = 600_000;

  beforeAll(async () => {
    backend = await setup();
    store = backend.store;
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('creates a handle and locks it: data intact (binary), attempts 0, a token', async () => {
    const id = freshId();
    await store.createHandle(id, BINARY, LONG_TTL);
    const result = locked(await store.lockHandle(id, 5_000));
    expect(result.data.equals(BINARY)).toBe(true);
    expect(result.attempts).toBe(0);
    expect(result.lockToken).toEqual(expect.any(String));
    expect(result.lockToken.length).toBeGreaterThan(8);
  });

  it('answers missing for an unknown handle, on every method', async () => {
    const id = freshId();
    expect(await store.lockHandle(id, 5_000)).toEqual({ status: 'missing' });
    expect(await store.replaceHandle(id, 'token', BINARY, LONG_TTL)).toBe(false);
    expect(await store.consumeHandle(id, 'token')).toBe(false);
    expect(await store.recordWrongCode(id, 'token', 3)).toEqual({
      attempts: 0,
      burned: false,
      missing: true,
    });
    await store.unlockHandle(id, 'token');
    await store.deleteHandle(id);
    expect(await store.lockHandle(id, 5_000)).toEqual({ status: 'missing' });
  });

  it('answers busy while another holder has the lock, with retryAfterMs within the lease', async () => {
    const id = freshId();
    await store.createHandle(id, BINARY, LONG_TTL);
    locked(await store.lockHandle(id, 5_000));
    const busy = await store.lockHandle(id, 5_000);
    expect(busy.status).toBe('busy');
    if (busy.status !== 'busy') return;
    expect(busy.retryAfterMs).toBeGreaterThanOrEqual(1);
    expect(busy.retryAfterMs).toBeLessThanOrEqual(5_000);
  });

  it('lets the lock be taken over once its lease ran out; the old token then ends nothing', async () => {
    const id = freshId();
    await store.createHandle(id, BINARY, LONG_TTL);
    const first = locked(await store.lockHandle(id, backend.shortMs));
    await backend.elapse(backend.shortMs + 50);
    const second = locked(await store.lockHandle(id, 60_000));
    expect(second.lockToken).not.toBe(first.lockToken);
    expect(await store.replaceHandle(id, first.lockToken, Buffer.from('stale'), LONG_TTL)).toBe(false);
    expect(await store.consumeHandle(id, first.lockToken)).toBe(false);
    await store.unlockHandle(id, first.lockToken);
    expect((await store.lockHandle(id, 60_000)).status).toBe('busy');
    expect(await store.consumeHandle(id, second.lockToken)).toBe(true);
  });

  it('unlockHandle releases our lock and only ours', async () => {
    const id = freshId();
    await store.createHandle(id, BINARY, LONG_TTL);
    const held = locked(await store.lockHandle(id, 60_000));
    await store.unlockHandle(id, 'not-the-token');
    expect((await store.lockHandle(id, 60_000)).status).toBe('busy');
    await store.unlockHandle(id, held.lockToken);
    const again = locked(await store.lockHandle(id, 60_000));
    expect(again.attempts).toBe(0);
  });

  it('replaceHandle swaps data and TTL, keeps attempts and releases the lock', async () => {
    const id = freshId();
    await store.createHandle(id, BINARY, backend.shortMs * 2);
    const first = locked(await store.lockHandle(id, 60_000));
    await store.recordWrongCode(id, first.lockToken, 3);
    const second = locked(await store.lockHandle(id, 60_000));
    expect(await store.replaceHandle(id, 'not-the-token', Buffer.from('x'), LONG_TTL)).toBe(false);
    const next = Buffer.from([0, 1, 2, 255, 0]);
    expect(await store.replaceHandle(id, second.lockToken, next, LONG_TTL)).toBe(true);
    if (backend.pttl) {
      const ttl = await backend.pttl(id);
      expect(ttl).toBeGreaterThan(LONG_TTL - 5_000);
      expect(ttl).toBeLessThanOrEqual(LONG_TTL);
    }
    // Past the old TTL: the new one holds.
    await backend.elapse(backend.shortMs * 2 + 50);
    const third = locked(await store.lockHandle(id, 60_000));
    expect(third.data.equals(next)).toBe(true);
    expect(third.attempts).toBe(1);
    // The lock we replaced under is gone: a second replace with it fails.
    expect(await store.replaceHandle(id, second.lockToken, next, LONG_TTL)).toBe(false);
  });

  it('recordWrongCode counts, releases the lock, and burns the handle at maxAttempts', async () => {
    const id = freshId();
    await store.createHandle(id, BINARY, LONG_TTL);
    const one = locked(await store.lockHandle(id, 60_000));
    expect(await store.recordWrongCode(id, one.lockToken, 3)).toEqual({
      attempts: 1,
      burned: false,
      missing: false,
    });
    const two = locked(await store.lockHandle(id, 60_000));
    expect(two.attempts).toBe(1);
    expect(await store.recordWrongCode(id, two.lockToken, 3)).toEqual({
      attempts: 2,
      burned: false,
      missing: false,
    });
    const three = locked(await store.lockHandle(id, 60_000));
    expect(await store.recordWrongCode(id, three.lockToken, 3)).toEqual({
      attempts: 3,
      burned: true,
      missing: false,
    });
    expect(await store.lockHandle(id, 60_000)).toEqual({ status: 'missing' });
    expect(await store.consumeHandle(id, three.lockToken)).toBe(false);
  });

  it('recordWrongCode with a stale token still counts but leaves the new holder locked', async () => {
    const id = freshId();
    await store.createHandle(id, BINARY, LONG_TTL);
    const stale = locked(await store.lockHandle(id, backend.shortMs));
    await backend.elapse(backend.shortMs + 50);
    const current = locked(await store.lockHandle(id, 60_000));
    expect(await store.recordWrongCode(id, stale.lockToken, 3)).toEqual({
      attempts: 1,
      burned: false,
      missing: false,
    });
    expect((await store.lockHandle(id, 60_000)).status).toBe('busy');
    expect(await store.consumeHandle(id, current.lockToken)).toBe(true);
  });

  it('consumeHandle is true exactly once under 20 concurrent consumers with the token', async () => {
    const id = freshId();
    await store.createHandle(id, BINARY, LONG_TTL);
    const held = locked(await store.lockHandle(id, 60_000));
    const results = await Promise.all(
      Array.from({ length: 20 }, () => store.consumeHandle(id, held.lockToken)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await store.lockHandle(id, 60_000)).toEqual({ status: 'missing' });
  });

  it('of 20 concurrent verifiers (lock, then consume) exactly one succeeds', async () => {
    const id = freshId();
    await store.createHandle(id, BINARY, LONG_TTL);
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, async () => {
        const result = await store.lockHandle(id, 60_000);
        return result.status === 'locked' ? store.consumeHandle(id, result.lockToken) : result.status;
      }),
    );
    expect(outcomes.filter((outcome) => outcome === true)).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'busy' || outcome === 'missing')).toHaveLength(19);
  });

  it('deleteHandle removes a handle, locked or not', async () => {
    const id = freshId();
    await store.createHandle(id, BINARY, LONG_TTL);
    locked(await store.lockHandle(id, 60_000));
    await store.deleteHandle(id);
    expect(await store.lockHandle(id, 60_000)).toEqual({ status: 'missing' });
  });

  it('expires a handle after its TTL', async () => {
    const id = freshId();
    await store.createHandle(id, BINARY, backend.shortMs);
    if (backend.pttl) {
      const ttl = await backend.pttl(id);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(backend.shortMs);
    }
    await backend.elapse(backend.shortMs + 50);
    expect(await store.lockHandle(id, 60_000)).toEqual({ status: 'missing' });
  });

  it('takes a lock lease shorter than, and independent of, the handle TTL', async () => {
    const id = freshId();
    await store.createHandle(id, BINARY, LONG_TTL);
    locked(await store.lockHandle(id, 1_000));
    if (backend.pttl) expect(await backend.pttl(id)).toBeGreaterThan(LONG_TTL - 5_000);
  });

  it('refuses durations that are not whole positive milliseconds, before touching the store', async () => {
    await expect(store.createHandle(freshId(), BINARY, 0)).rejects.toThrow(RangeError);
    await expect(store.createHandle(freshId(), BINARY, 1.5)).rejects.toThrow(RangeError);
    await expect(store.lockHandle(freshId(), -1)).rejects.toThrow(RangeError);
    await expect(store.recordWrongCode(freshId(), 't', 0)).rejects.toThrow(RangeError);
  });

  const budget = (name: string, limit: number, subject = randomBytes(8).toString('base64url')): Budget => ({
    name: `${name}:3600s`,
    subject,
    limit,
    windowMs: 3_600_000,
  });

  it('takes the first budgets, the lock and the reserve in one step where it can (not in Cluster)', async () => {
    const id = freshId();
    const destination = randomBytes(32).toString('base64url');
    await store.createHandle(id, BINARY, LONG_TTL, destination);
    const request = budget('req', 5);
    const ip = budget('wrong-ip', 5);
    const result = locked(
      await store.lockHandle(id, 5_000, {
        first: [request],
        reserve: [{ ...budget('wrong-dst', 5), subject: HANDLE_DESTINATION }, ip],
      }),
    );
    expect(result.data.equals(BINARY)).toBe(true);
    const dst = { ...budget('wrong-dst', 5), subject: destination };
    expect(await store.usage([request])).toEqual([1]);
    if (backend.name === 'cluster') {
      // The counters live on other shards than the handle: the caller reserves itself.
      expect(result.reserved).toBeUndefined();
      expect(await store.usage([dst, ip])).toEqual([0, 0]);
      return;
    }
    expect(result.reserved).toEqual([dst, ip]);
    expect(await store.usage([dst, ip])).toEqual([1, 1]);
    // A rewrite keeps the destination: the next lock reserves from it again.
    expect(await store.replaceHandle(id, result.lockToken, BINARY, LONG_TTL)).toBe(true);
    locked(await store.lockHandle(id, 5_000, { reserve: [{ ...dst, subject: HANDLE_DESTINATION }] }));
    expect(await store.usage([dst])).toEqual([2]);
  });

  it('a full first budget refuses before the handle is looked at; a full reserve leaves it unlocked', async () => {
    const id = freshId();
    await store.createHandle(id, BINARY, LONG_TTL, 'dst');
    const request = budget('req', 1);
    expect((await store.take([[request]])).ok).toBe(true);
    const refused = await store.lockHandle(id, 5_000, { first: [request] });
    expect(refused).toMatchObject({ status: 'refused', blocked: [{ budget: request }] });
    if (refused.status === 'refused') expect(refused.blocked[0]?.retryAfterMs).toBeGreaterThan(3_500_000);
    // Not locked by the refused call:
    const lock = locked(await store.lockHandle(id, 5_000));
    await store.unlockHandle(id, lock.lockToken);
    if (backend.name === 'cluster') return;
    const full = budget('wrong-ip', 1);
    expect((await store.take([[full]])).ok).toBe(true);
    const exhausted = await store.lockHandle(id, 5_000, {
      reserve: [{ ...budget('wrong-dst', 9), subject: HANDLE_DESTINATION }, full],
    });
    expect(exhausted).toMatchObject({ status: 'exhausted', blocked: [{ budget: full }] });
    // Nothing was reserved from the budget that had room, and the handle is free.
    expect(await store.usage([{ ...budget('wrong-dst', 9), subject: 'dst' }])).toEqual([0]);
    locked(await store.lockHandle(id, 5_000));
  });

  it('countAttempt counts the answer with the lock; recordWrongCode then only settles it, unlock takes it back', async () => {
    const id = freshId();
    await store.createHandle(id, BINARY, LONG_TTL, 'dst');
    const first = locked(await store.lockHandle(id, 60_000, { countAttempt: true }));
    expect(first.attempts).toBe(1);
    // Upstream failure: the counted answer is taken back with the lock.
    await store.unlockHandle(id, first.lockToken, { uncount: true });
    const second = locked(await store.lockHandle(id, 60_000, { countAttempt: true }));
    expect(second.attempts).toBe(1);
    expect(await store.recordWrongCode(id, second.lockToken, 2, { counted: true })).toEqual({
      attempts: 1,
      burned: false,
      missing: false,
    });
    const third = locked(await store.lockHandle(id, 60_000, { countAttempt: true }));
    expect(third.attempts).toBe(2);
    expect(await store.recordWrongCode(id, third.lockToken, 2, { counted: true })).toEqual({
      attempts: 2,
      burned: true,
      missing: false,
    });
    expect(await store.lockHandle(id, 60_000)).toEqual({ status: 'missing' });
  });

  it('unlockHandle and consumeHandle give points back in the same call', async () => {
    const a = budget('settle', 5);
    await store.take([[a], [a], [a]]);
    const id = freshId();
    await store.createHandle(id, BINARY, LONG_TTL);
    const held = locked(await store.lockHandle(id, 60_000));
    await store.unlockHandle(id, held.lockToken, { giveBack: [a] });
    expect(await store.usage([a])).toEqual([2]);
    const again = locked(await store.lockHandle(id, 60_000));
    expect(await store.consumeHandle(id, again.lockToken, { giveBack: [a] })).toBe(true);
    expect(await store.usage([a])).toEqual([1]);
    // Not ours any more: the handle is untouched (gone), the points are still given back.
    expect(await store.consumeHandle(id, again.lockToken, { giveBack: [a] })).toBe(false);
    expect(await store.usage([a])).toEqual([0]);
  });

  it('an alias written at consume makes account budgets count, in take and in the lock', async () => {
    const email = randomBytes(16).toString('base64url');
    const phone = randomBytes(16).toString('base64url');
    const account = randomBytes(16).toString('base64url');
    const send = { name: 'send-acct:3600s', limit: 2, windowMs: 3_600_000 };
    const ofEmail = { ...send, subject: { accountOf: email } };
    const ofPhone = { ...send, subject: { accountOf: phone } };
    // Before any sign-in the identifiers name no account: account budgets are left out.
    expect(await store.take([[ofEmail]])).toEqual({ ok: true });
    expect(await store.usage([{ ...send, subject: account }])).toEqual([0]);

    const id = freshId();
    await store.createHandle(id, BINARY, LONG_TTL, email);
    const held = locked(await store.lockHandle(id, 60_000));
    const alias = { identifierKeys: [email, phone], accountKey: account, ttlMs: LONG_TTL };
    expect(await store.consumeHandle(id, held.lockToken, { alias })).toBe(true);

    // Email and phone now share the account's budget.
    expect(await store.take([[ofEmail]])).toEqual({ ok: true, account });
    expect(await store.take([[budget('req', 9)], [ofPhone]])).toEqual({ ok: true, account });
    const refused = await store.take([[ofPhone]]);
    expect(refused).toMatchObject({
      ok: false,
      stage: 0,
      blocked: [{ budget: { ...send, subject: account } }],
    });
    expect(await store.usage([{ ...send, subject: account }])).toEqual([2]);

    // A handle stored with the account reserves from the account's budget in the lock (not in Cluster,
    // where the caller reserves), and a handle without one skips it.
    const wrong = { name: 'wrong-acct:3600s', limit: 1, windowMs: 3_600_000 };
    const withAccount = freshId();
    await store.createHandle(withAccount, BINARY, LONG_TTL, phone, account);
    const without = freshId();
    await store.createHandle(without, BINARY, LONG_TTL, phone);
    const reserve: HandleBudget[] = [{ ...wrong, subject: HANDLE_ACCOUNT }];
    const plain = locked(await store.lockHandle(without, 60_000, { reserve }));
    const reserved = locked(await store.lockHandle(withAccount, 60_000, { reserve }));
    if (backend.name === 'cluster') {
      expect(reserved.reserved).toBeUndefined();
      return;
    }
    expect(plain.reserved).toEqual([]);
    expect(reserved.reserved).toEqual([{ ...wrong, subject: account }]);
    await store.unlockHandle(withAccount, reserved.lockToken);
    expect(await store.lockHandle(withAccount, 60_000, { reserve })).toMatchObject({
      status: 'exhausted',
      blocked: [{ budget: { ...wrong, subject: account } }],
    });
  });

  it('never takes a budget past its limit, however many calls race for it', async () => {
    const shared = budget('race', 10);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) => store.take([[shared, budget('own', 5, `own-${i}`)]])),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(10);
    expect(await store.usage([shared])).toEqual([10]);
    // A refused stage took nothing from its other budgets.
    const own = await store.usage(Array.from({ length: 40 }, (_, i) => budget('own', 5, `own-${i}`)));
    expect(own.reduce((sum, points) => sum + points, 0)).toBe(10);
  });

  it('gives points back, never below zero', async () => {
    const a = budget('give', 3);
    await store.take([[a], [a]]);
    await store.giveBack([a]);
    expect(await store.usage([a])).toEqual([1]);
    await store.giveBack([a]);
    await store.giveBack([a]);
    expect(await store.usage([a])).toEqual([0]);
    expect((await store.take([[a], [a], [a], [a]])).ok).toBe(false);
    expect(await store.usage([a])).toEqual([3]);
  });

  it('leaves no counter behind for a point given back after its window ended; a refused take counts nothing', async () => {
    const ended = budget('ended', 3);
    await store.giveBack([ended]);
    expect(await store.usage([ended])).toEqual([0]);
    const full = budget('full', 1);
    const spare = budget('spare', 5);
    expect((await store.take([[full]])).ok).toBe(true);
    // `spare` was counted and then uncounted by the refused take (in Cluster, given back): it reads 0.
    expect(await store.take([[spare, full]])).toMatchObject({ ok: false, blocked: [{ budget: full }] });
    expect(await store.usage([spare, full])).toEqual([0, 1]);
    if (backend.dump) {
      // The point given back to a counter that was gone left no key (a -1 without a TTL would stay).
      const names = (await backend.dump()).map((value) => value.toString('latin1'));
      expect(names.filter((name) => name.includes(':b:ended'))).toEqual([]);
    }
    // The counter that came back to life opens a full window again.
    expect(await store.take([[ended], [ended], [ended]])).toEqual({ ok: true });
    expect((await store.take([[ended]])).ok).toBe(false);
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('keeps a pending handle with a 1 KB Cognito session under 3 KB of Redis memory', async (context) => {
    if (!backend.memoryUsage) return context.skip();
    const handle = parseHandle(newHandle(randomBytes))!;
    const id = handleId(handle);
    const record = {
      v: 1,
      kind: 'SIGN_IN',
      session: randomBytes(768).toString('base64'), // 1024 characters, like a Cognito session
      username: '7d1e9c3a-5b2f-4e8a-9c1d-2f3a4b5c6d7e',
      profile: 'default',
      medium: 'EMAIL',
      destination: 'y***@e***',
      destinationKey: randomBytes(32).toString('base64url'),
      sends: 1,
      createdAt: Date.now(),
      expiresAt: Date.now() + 180_000,
      resendAt: Date.now() + 30_000,
    };
    const sealed = sealBytes(handle, 'default', Buffer.from(JSON.stringify(record)));
    await store.createHandle(id, sealed, LONG_TTL);
    const held = locked(await store.lockHandle(id, 60_000));
    const bytes = await backend.memoryUsage(id);
    console.info(
      `${backend.name}: sealed record ${sealed.length} B, Redis MEMORY USAGE of the locked handle ${bytes} B`,
    );
    expect(bytes).toBeLessThan(3 * 1024);
    await store.consumeHandle(id, held.lockToken);
  });
}
