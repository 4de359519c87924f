import { describe, expect, it } from 'vitest';
import { createMemoryStore } from './memory-store.js';

function manualClock() {
  let now = 1_000_000;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

describe('createMemoryStore', () => {
  it('expires a handle exactly at its TTL on the injected clock', async () => {
    const clock = manualClock();
    const store = createMemoryStore({ clock });
    await store.createHandle('id', Buffer.from('x'), 1_000);
    clock.advance(999);
    const held = await store.lockHandle('id', 10);
    expect(held.status).toBe('locked');
    clock.advance(1);
    expect(await store.lockHandle('id', 10)).toEqual({ status: 'missing' });
  });

  it('ends a lock lease exactly at lockMs and reports the time left while busy', async () => {
    const clock = manualClock();
    const store = createMemoryStore({ clock });
    await store.createHandle('id', Buffer.from('x'), 60_000);
    await store.lockHandle('id', 500);
    clock.advance(200);
    expect(await store.lockHandle('id', 500)).toEqual({ status: 'busy', retryAfterMs: 300 });
    clock.advance(300);
    expect((await store.lockHandle('id', 500)).status).toBe('locked');
  });

  it('hands out copies, so a caller mutating a buffer changes nothing stored', async () => {
    const store = createMemoryStore();
    const data = Buffer.from('abc');
    await store.createHandle('id', data, 60_000);
    data[0] = 0x7a;
    const held = await store.lockHandle('id', 1_000);
    if (held.status !== 'locked') throw new Error('not locked');
    expect(held.data.toString()).toBe('abc');
    held.data[0] = 0x7a;
    await store.unlockHandle('id', held.lockToken);
    const again = await store.lockHandle('id', 1_000);
    expect(again.status === 'locked' && again.data.toString()).toBe('abc');
  });

  it('runs its limiters on the injected clock, so moving the clock opens a new window', async () => {
    const clock = manualClock();
    const limiter = createMemoryStore({ clock }).limiter({ keyPrefix: 'test', points: 1, duration: 30 });
    await limiter.consume('k');
    const refused = await limiter.consume('k').then(
      () => undefined,
      (res: { msBeforeNext: number }) => res,
    );
    expect(refused?.msBeforeNext).toBe(30_000);
    clock.advance(29_999);
    expect((await limiter.get('k'))?.msBeforeNext).toBe(1);
    clock.advance(1);
    expect(await limiter.get('k')).toBeNull();
    await expect(limiter.consume('k')).resolves.toMatchObject({ consumedPoints: 1, remainingPoints: 0 });
  });

  it('rewards and penalises like rate-limiter-flexible', async () => {
    const limiter = createMemoryStore({ clock: manualClock() }).limiter({
      keyPrefix: 'test',
      points: 2,
      duration: 60,
    });
    await limiter.penalty('k', 2);
    await expect(limiter.consume('k')).rejects.toMatchObject({ consumedPoints: 3 });
    await limiter.reward('k', 2);
    await expect(limiter.consume('k')).resolves.toMatchObject({ consumedPoints: 2, remainingPoints: 0 });
  });
});
