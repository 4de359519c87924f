// Cognito failing: each injected fault gives its contract code, after exactly one Cognito call.

import { createTestEngine } from '@otpgate/testing';
import { describe, expect, test } from 'vitest';
import { challengeOf, expectOtpError, newEmail, registeredUser, tokensOf } from './helpers.js';

describe('Cognito faults', () => {
  test('TooManyRequestsException: UPSTREAM_UNAVAILABLE with retryAfterSeconds, one call, nothing retried', async () => {
    await using t = await createTestEngine();
    t.emulator.injectFault({ operation: 'InitiateAuth', error: 'TooManyRequestsException' });
    await expectOtpError(t.engine.startSignIn({ email: newEmail() }, t.ctx()), 'UPSTREAM_UNAVAILABLE', {
      retryAfterSeconds: 1,
    });
    expect(t.emulator.calls()).toEqual({ InitiateAuth: 1 });
  });

  test('latency past cognitoTimeoutMs: UPSTREAM_UNAVAILABLE in about the timeout, one call', async () => {
    await using t = await createTestEngine({ cognitoTimeoutMs: 150 });
    t.emulator.injectFault({ operation: 'SignUp', latencyMs: 1500 });
    const started = performance.now();
    await expectOtpError(t.engine.signUp({ email: newEmail() }, t.ctx()), 'UPSTREAM_UNAVAILABLE', {
      retryAfterSeconds: 1,
    });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(t.emulator.calls()).toEqual({ SignUp: 1 });
  });

  test('CodeDeliveryFailureException and the email quota: DELIVERY_FAILED, one call', async () => {
    await using t = await createTestEngine({ emulator: { defaultSenderDailyEmailQuota: 1 } });
    t.emulator.injectFault({ operation: 'SignUp', error: 'CodeDeliveryFailureException' });
    await expectOtpError(t.engine.signUp({ email: newEmail() }, t.ctx()), 'DELIVERY_FAILED');
    expect(t.emulator.calls()).toEqual({ SignUp: 1 });
    await t.engine.signUp({ email: newEmail() }, t.ctx());
    // The daily quota of the default sender is spent: Cognito answers LimitExceededException.
    t.emulator.resetCalls();
    await expectOtpError(t.engine.signUp({ email: newEmail() }, t.ctx()), 'DELIVERY_FAILED');
    expect(t.emulator.calls()).toEqual({ SignUp: 1 });
  });

  test('a failed verify leaves the handle usable: no attempt spent, lock released', async () => {
    await using t = await createTestEngine();
    const email = newEmail();
    await registeredUser(t, email);
    t.clock.advance(30_000);
    const { handle } = challengeOf(await t.engine.startSignIn({ email }, t.ctx()));
    t.emulator.injectFault({ operation: 'RespondToAuthChallenge', error: 'InternalErrorException' });
    t.emulator.resetCalls();
    await expectOtpError(
      t.engine.verifyOtp({ handle, code: t.lastCode(email) }, t.ctx()),
      'UPSTREAM_UNAVAILABLE',
    );
    expect(t.emulator.calls()).toEqual({ RespondToAuthChallenge: 1 });
    await expectOtpError(t.engine.verifyOtp({ handle, code: '00000000' }, t.ctx()), 'CODE_MISMATCH', {
      attemptsRemaining: 2,
    });
    tokensOf(await t.engine.verifyOtp({ handle, code: t.lastCode(email) }, t.ctx()));
  });

  test('an unknown Cognito exception is INTERNAL_SERVER_ERROR with the original as cause, and is logged by name only', async () => {
    const entries: unknown[] = [];
    await using t = await createTestEngine({ logger: (entry) => entries.push(entry) });
    t.emulator.injectFault({
      operation: 'InitiateAuth',
      error: 'BrandNewException',
      message: 'secret detail',
    });
    const error = await expectOtpError(
      t.engine.startSignIn({ email: newEmail() }, t.ctx()),
      'INTERNAL_SERVER_ERROR',
    );
    expect(error.message).not.toMatch(/BrandNew|secret detail/);
    expect((error.cause as Error).name).toBe('BrandNewException');
    expect(entries).toContainEqual(
      expect.objectContaining({
        event: 'engine.error',
        operation: 'startSignIn',
        errorCode: 'INTERNAL_SERVER_ERROR',
      }),
    );
    expect(JSON.stringify(entries)).not.toMatch(/@example\.com|secret detail/);
  });
});
