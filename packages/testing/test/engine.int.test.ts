import { FAIL_FAST_REDIS_OPTIONS } from '@otpgate/cognito-otp';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createTestEngine, startRedis } from '../src/index.js';

describe('createTestEngine', () => {
  it('signs a user up on the emulator with a Redis store (the README example)', async () => {
    await using redis = await startRedis();
    const client = new Redis(redis.url, FAIL_FAST_REDIS_OPTIONS);
    try {
      await client.connect();
      await using t = await createTestEngine({ store: { redis: client } });
      const email = 'ada@example.com';
      const up = await t.engine.signUp({ email }, t.ctx());
      if (up.nextStep !== 'CONFIRM_SIGN_UP') throw new Error(`expected a code, got ${up.nextStep}`);
      const done = await t.engine.confirmSignUp(
        { handle: up.challenge.handle, code: t.lastCode(email) },
        t.ctx(),
      );
      expect(done.nextStep).toBe('DONE');
      // Handles live in Redis under the test engine's fresh prefix.
      expect((await client.keys('otpgate-test-*')).length).toBeGreaterThan(0);
    } finally {
      client.disconnect();
    }
  });

  it('closes its emulator when disposed', async () => {
    let url: string;
    {
      await using t = await createTestEngine();
      url = t.emulator.url;
      expect(t.profile.name).toBe('default');
      expect(() => t.lastCode('nobody@example.com')).toThrow('no code was sent to that address');
    }
    await expect(fetch(url)).rejects.toThrow();
  });
});
