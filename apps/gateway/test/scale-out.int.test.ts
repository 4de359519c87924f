import { type Emulator, type PasswordlessPool, startEmulator } from '@otpgate/cognito-emulator';
import { startRedis, startRedisCluster } from '@otpgate/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayProcess, LOAD_LIMITS, profileEnv, sleep, startGatewayProcess } from './process.js';
import {
  confirmSignUp,
  newAddress,
  newestCode,
  register,
  resendOtp,
  signUp,
  startSignIn,
  verifyOtp,
  wrongCode,
} from './process-flows.js';

// Issue 4: the gateway holds no state. Two real gateway processes (src/main.ts) share one Redis, first a
// standalone server, then a 3-master cluster; a flow started on one finishes on the other. Codes come
// from the emulator's mailbox, as a user would read them.

let emulator: Emulator;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
});
afterAll(async () => {
  await emulator?.close();
});

/** Waits until the challenge's resendAvailableAt has passed (LOAD_LIMITS: 2 s after a send). */
async function untilResendable(resendAvailableAt: string | undefined): Promise<void> {
  await sleep(Math.max(0, Date.parse(resendAvailableAt ?? '') - Date.now()) + 100);
}

describe.each([
  ['a standalone Redis', 'standalone'],
  ['a 3-master Redis Cluster', 'cluster'],
] as const)('two gateway processes on %s', (_title, backend) => {
  let a: GatewayProcess;
  let b: GatewayProcess;
  let pool: PasswordlessPool;
  let disposeRedis: () => Promise<void>;

  beforeAll(async () => {
    pool = await emulator.createPasswordlessPool();
    let redisEnv: Record<string, string>;
    if (backend === 'standalone') {
      const redis = await startRedis();
      redisEnv = { REDIS_URL: redis.url };
      disposeRedis = async () => {
        await redis[Symbol.asyncDispose]();
      };
    } else {
      const cluster = await startRedisCluster({ masters: 3 });
      redisEnv = { REDIS_CLUSTER_NODES: cluster.seeds.map((node) => `${node.host}:${node.port}`).join(',') };
      disposeRedis = async () => {
        await cluster[Symbol.asyncDispose]();
      };
    }
    const env = { ...profileEnv(pool, emulator.url, { limits: LOAD_LIMITS }), ...redisEnv };
    [a, b] = await Promise.all([
      startGatewayProcess({ name: `${backend}-a`, env }),
      startGatewayProcess({ name: `${backend}-b`, env }),
    ]);
  });

  afterAll(async () => {
    // Both still serve and stop cleanly: nothing in the flows above disturbed either process.
    const codes = await Promise.all([a?.stop(), b?.stop()]);
    await disposeRedis?.();
    expect(codes).toEqual([0, 0]);
  });

  it('signUp on A, confirmSignUp on B: DONE with tokens (the automatic sign-in works across processes)', async () => {
    const email = newAddress('up');
    const up = await signUp(a, email);
    expect(up.step?.nextStep).toBe('CONFIRM_SIGN_UP');
    const done = await confirmSignUp(b, up.step?.challenge?.handle, newestCode(emulator, email));
    expect(done.error).toBeUndefined();
    expect(done.step).toMatchObject({ nextStep: 'DONE', tokens: { tokenType: 'Bearer' } });
    // Consumed on B: A no longer knows it either.
    const again = await confirmSignUp(a, up.step?.challenge?.handle, newestCode(emulator, email));
    expect(again.error).toBe('SESSION_EXPIRED');
  });

  it('signUp on A, resendOtp on B keeps the handle, confirmSignUp on A with the new code: DONE', async () => {
    const email = newAddress('resend-up');
    const up = await signUp(a, email);
    const handle = up.step?.challenge?.handle;
    const first = newestCode(emulator, email);
    // resendAvailableAt is stored with the handle, so B refuses an early resend just as A would.
    const early = await resendOtp(b, handle);
    expect(early.error).toBe('RATE_LIMITED');
    await untilResendable(up.step?.challenge?.resendAvailableAt);
    const resent = await resendOtp(b, handle);
    expect(resent.error).toBeUndefined();
    expect(resent.step).toMatchObject({ nextStep: 'CONFIRM_SIGN_UP', challenge: { handle } });
    expect(emulator.messages(email)).toHaveLength(2);
    const second = newestCode(emulator, email);
    expect(second).not.toBe(first);
    const done = await confirmSignUp(a, handle, second);
    expect(done.step?.nextStep).toBe('DONE');
  });

  it('startSignIn on B, a wrong code on A, resendOtp on B, verifyOtp on A: DONE; the attempt count is shared', async () => {
    const email = newAddress('in');
    await register(a, emulator, email);
    const start = await startSignIn(b, email);
    expect(start.step?.nextStep).toBe('CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
    const handle = start.step?.challenge?.handle;

    const wrong = await verifyOtp(a, handle, wrongCode(newestCode(emulator, email)));
    expect(wrong.extensions).toMatchObject({ code: 'CODE_MISMATCH', attemptsRemaining: 2 });
    const wrongAgain = await verifyOtp(b, handle, wrongCode(newestCode(emulator, email)));
    expect(wrongAgain.extensions).toMatchObject({ code: 'CODE_MISMATCH', attemptsRemaining: 1 });

    await untilResendable(start.step?.challenge?.resendAvailableAt);
    const resent = await resendOtp(b, handle);
    expect(resent.step).toMatchObject({ nextStep: 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE', challenge: { handle } });
    const done = await verifyOtp(a, handle, newestCode(emulator, email));
    expect(done.step).toMatchObject({ nextStep: 'DONE', tokens: { tokenType: 'Bearer' } });
    const reuse = await verifyOtp(b, handle, newestCode(emulator, email));
    expect(reuse.error).toBe('SESSION_EXPIRED');
  });

  it('two concurrent verifyOtp of one handle on A and B: exactly one DONE', async () => {
    const email = newAddress('race');
    await register(b, emulator, email);
    const start = await startSignIn(a, email);
    const handle = start.step?.challenge?.handle;
    const code = newestCode(emulator, email);
    const results = await Promise.all([verifyOtp(a, handle, code), verifyOtp(b, handle, code)]);
    const done = results.filter((result) => result.step?.nextStep === 'DONE');
    expect(done).toHaveLength(1);
    // The loser is told the handle is busy (the winner holds its lock) or already used.
    const loser = results.find((result) => result.step?.nextStep !== 'DONE');
    expect(['RATE_LIMITED', 'SESSION_EXPIRED']).toContain(loser?.error);
  });

  it('confirmSignUp on B falls back to a new sign-in code when Cognito refuses the automatic sign-in; verifyOtp on A: DONE', async () => {
    const email = newAddress('fallback');
    const up = await signUp(a, email);
    const before = emulator.calls();
    // What Cognito answers once the Session window has passed (docs/COGNITO.md), for the next InitiateAuth:
    // the automatic sign-in. The fallback's own InitiateAuth then succeeds.
    emulator.injectFault({
      operation: 'InitiateAuth',
      error: 'NotAuthorizedException',
      message: 'Invalid session for the user, session is expired.',
      count: 1,
    });
    const fallback = await confirmSignUp(b, up.step?.challenge?.handle, newestCode(emulator, email));
    expect(fallback.error).toBeUndefined();
    expect(fallback.step).toMatchObject({
      nextStep: 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE',
      challenge: { codeLength: 8, delivery: { medium: 'EMAIL' } },
      tokens: null,
    });
    const handle = fallback.step?.challenge?.handle;
    expect(handle).not.toBe(up.step?.challenge?.handle);
    expect(emulator.messages(email)[0]?.kind).toBe('SIGN_IN');
    const after = emulator.calls();
    expect((after.ConfirmSignUp ?? 0) - (before.ConfirmSignUp ?? 0)).toBe(1);
    expect((after.InitiateAuth ?? 0) - (before.InitiateAuth ?? 0)).toBe(2);

    const done = await verifyOtp(a, handle, newestCode(emulator, email));
    expect(done.step).toMatchObject({ nextStep: 'DONE', tokens: { tokenType: 'Bearer' } });
    // The sign-up handle was consumed by the fallback.
    const old = await confirmSignUp(a, up.step?.challenge?.handle, '123456');
    expect(old.error).toBe('SESSION_EXPIRED');
  });
});
