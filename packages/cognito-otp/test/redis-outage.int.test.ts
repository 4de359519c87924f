// Limits fail closed: with Redis down nothing reaches Cognito, and every call is SERVICE_UNAVAILABLE.

import { createTestEngine, startRedis } from '@otpgate/testing';
import { Redis } from 'ioredis';
import { expect, test } from 'vitest';
import { FAIL_FAST_REDIS_OPTIONS } from '../src/store/redis-store.js';
import { challengeOf, expectOtpError, newEmail, registeredUser, tokensOf } from './helpers.js';

test('Redis stopped: SERVICE_UNAVAILABLE and no code sent; service resumes when it is back', async () => {
  await using server = await startRedis();
  const redis = new Redis(server.url, FAIL_FAST_REDIS_OPTIONS);
  redis.on('error', () => undefined);
  await redis.connect();
  try {
    // Redis windows run on Redis' clock: relax the per-destination window the test cannot wait out.
    await using t = await createTestEngine({
      store: { redis },
      limits: { sendPerDestination: [{ points: 10, durationSeconds: 30 }] },
    });
    const email = newEmail();
    await registeredUser(t, email);
    t.clock.advance(30_000);
    const pending = challengeOf(await t.engine.startSignIn({ email }, t.ctx()));
    const code = t.lastCode(email);

    await server.stop();
    t.emulator.resetCalls();
    t.emulator.clearMessages();
    await expectOtpError(t.engine.signUp({ email: newEmail() }, t.ctx()), 'SERVICE_UNAVAILABLE');
    await expectOtpError(t.engine.startSignIn({ email }, t.ctx()), 'SERVICE_UNAVAILABLE');
    await expectOtpError(t.engine.resendOtp({ handle: pending.handle }, t.ctx()), 'SERVICE_UNAVAILABLE');
    await expectOtpError(
      t.engine.verifyOtp({ handle: pending.handle, code }, t.ctx()),
      'SERVICE_UNAVAILABLE',
    );
    expect(t.emulator.calls()).toEqual({});
    expect(t.emulator.messages()).toEqual([]);

    await server.start();
    await expect.poll(() => redis.status, { timeout: 10_000 }).toBe('ready');
    t.clock.advance(30_000);
    const step = challengeOf(await t.engine.startSignIn({ email }, t.ctx()));
    tokensOf(await t.engine.verifyOtp({ handle: step.handle, code: t.lastCode(email) }, t.ctx()));
  } finally {
    redis.disconnect();
  }
});
