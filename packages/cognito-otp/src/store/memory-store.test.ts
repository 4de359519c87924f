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

  it('runs its budgets on the injected clock, so moving the clock opens a new window', async () => {
    const clock = manualClock();
    const store = createMemoryStore({ clock });
    const budget = { name: 'test:30s', subject: 'k', limit: 1, windowMs: 30_000 };
    expect(await store.take([[budget]])).toEqual({ ok: true });
    expect(await store.take([[budget]])).toEqual({
      ok: false,
      stage: 0,
      blocked: [{ budget, retryAfterMs: 30_000 }],
    });
    clock.advance(29_999);
    expect(await store.take([[budget]])).toMatchObject({ ok: false, blocked: [{ retryAfterMs: 1 }] });
    clock.advance(1);
    expect(await store.usage([budget])).toEqual([0]);
    expect(await store.take([[budget]])).toEqual({ ok: true });
  });

  it('takes a stage all or nothing, keeps earlier stages, and gives points back down to 0', async () => {
    const store = createMemoryStore({ clock: manualClock() });
    const a = { name: 'a:60s', subject: 's', limit: 5, windowMs: 60_000 };
    const b = { name: 'b:60s', subject: 's', limit: 1, windowMs: 60_000 };
    const c = { name: 'c:60s', subject: 's', limit: 9, windowMs: 60_000 };
    expect(await store.take([[b]])).toEqual({ ok: true });
    // Stage 0 (a) is taken; stage 1 is refused by b, so c is left alone.
    expect(await store.take([[a], [c, b]])).toMatchObject({ ok: false, stage: 1, blocked: [{ budget: b }] });
    expect(await store.usage([a, b, c])).toEqual([1, 1, 0]);
    await store.giveBack([a, b, c, b]);
    expect(await store.usage([a, b, c])).toEqual([0, 0, 0]);
  });
});
