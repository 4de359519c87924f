// The flow suite, written once and run against each store (memory, standalone Redis, Redis Cluster):
// the real AWS SDK against the emulator, codes read from the emulator's mailbox.
import { randomBytes } from 'node:crypto';
import { createTestEngine, type TestEngineOptions } from '@otpgate/testing';
import type { Cluster, Redis } from 'ioredis';
import { describe, expect, test } from 'vitest';
import type { LimitsConfig } from '../src/limits/limits.js';
import type { AuthStep } from '../src/types.js';
import {
  challengeOf,
  dumpRedis,
  expectNoSecrets,
  expectOtpError,
  newEmail,
  newPhone,
  registeredUser,
  tokensOf,
  wrongCodeFor,
} from './helpers.js';

export interface StoreFixture {
  name: string;
  /** The Redis client when the store is Redis (for dumps); undefined for the memory store. */
  redis?: Redis | Cluster;
}

/**
 * Limits for flow tests: the per-destination send budget is relaxed because a Redis window runs on
 * Redis' clock, which the tests cannot move; `resendAvailableAt` (engine clock) still applies.
 */
const FLOW_LIMITS: Partial<LimitsConfig> = { sendPerDestination: [{ points: 50, durationSeconds: 30 }] };

const RESEND_WAIT_MS = 30_000;

export function flowSuite(fixture: () => StoreFixture): void {
  let prefixes = 0;
  /** A test engine on the fixture's store, under a fresh key prefix; the prefix is returned for dumps. */
  async function engine(options: Omit<TestEngineOptions, 'store'> = {}) {
    const { redis } = fixture();
    const prefix = `otpgate-t${process.pid}-${++prefixes}-${randomBytes(3).toString('hex')}`;
    const t = await createTestEngine({
      ...options,
      limits: { ...FLOW_LIMITS, ...options.limits },
      store: redis === undefined ? 'memory' : { redis, prefix },
    });
    return Object.assign(t, { prefix });
  }

  describe('sign-up and sign-in', () => {
    test('sign-up, confirmation and automatic sign-in: one code, DONE, the handle consumed', async () => {
      await using t = await engine();
      const email = newEmail('Yuki');
      const step = await t.engine.signUp({ email: email.toUpperCase(), locale: 'ja-JP' }, t.ctx());
      expect(step.nextStep).toBe('CONFIRM_SIGN_UP');
      const challenge = challengeOf(step);
      expect(challenge).toMatchObject({
        codeLength: 6,
        delivery: { medium: 'EMAIL', destination: 'y***@e***' },
      });
      expect(challenge.handle).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(challenge.expiresAt.getTime()).toBe(t.clock.now() + 86_400_000);
      expect(challenge.resendAvailableAt.getTime()).toBe(t.clock.now() + 30_000);
      const code = t.lastCode(email);
      expect(code).toMatch(/^[0-9]{6}$/);

      t.emulator.resetCalls();
      const done = await t.engine.confirmSignUp({ handle: challenge.handle, code }, t.ctx());
      const tokens = tokensOf(done);
      expect(tokens).toMatchObject({ tokenType: 'Bearer', expiresIn: 3600 });
      expect(tokens.refreshToken).toBeTypeOf('string');
      expect(t.emulator.calls()).toEqual({ ConfirmSignUp: 1, InitiateAuth: 1 });
      await expectOtpError(
        t.engine.confirmSignUp({ handle: challenge.handle, code }, t.ctx()),
        'SESSION_EXPIRED',
      );
    });

    test('sign-in by email: an 8-digit code, DONE, and the used handle is SESSION_EXPIRED', async () => {
      await using t = await engine();
      const email = newEmail();
      await registeredUser(t, email);
      t.emulator.resetCalls();
      const step = await t.engine.startSignIn({ email }, t.ctx());
      expect(step.nextStep).toBe('CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
      const challenge = challengeOf(step);
      expect(challenge).toMatchObject({
        codeLength: 8,
        delivery: { medium: 'EMAIL', destination: 'u***@e***' },
      });
      expect(challenge.expiresAt.getTime()).toBe(t.clock.now() + 180_000);
      const code = t.lastCode(email);
      expect(code).toMatch(/^[0-9]{8}$/);
      const done = await t.engine.verifyOtp({ handle: challenge.handle, code }, t.ctx());
      expect(tokensOf(done).accessToken).toBeTypeOf('string');
      expect(t.emulator.calls()).toEqual({ InitiateAuth: 1, RespondToAuthChallenge: 1 });
      await expectOtpError(
        t.engine.verifyOtp({ handle: challenge.handle, code }, t.ctx()),
        'SESSION_EXPIRED',
      );
    });

    test('SMS: sign-up with a phone number, then sign-in by phone and by email over SMS', async () => {
      await using t = await engine();
      const email = newEmail();
      const phone = newPhone();
      await registeredUser(t, email, phone);

      const byPhone = await t.engine.startSignIn({ phoneNumber: phone, channel: 'SMS' }, t.ctx());
      expect(byPhone.nextStep).toBe('CONFIRM_SIGN_IN_WITH_SMS_CODE');
      expect(challengeOf(byPhone).delivery).toEqual({
        medium: 'SMS',
        destination: `+*******${phone.slice(-4)}`,
      });
      const smsCode = t.emulator.messages(phone)[0];
      expect(smsCode).toMatchObject({ medium: 'SMS', kind: 'SIGN_IN' });
      tokensOf(
        await t.engine.verifyOtp({ handle: challengeOf(byPhone).handle, code: smsCode!.code }, t.ctx()),
      );

      t.clock.advance(RESEND_WAIT_MS);
      const byEmail = await t.engine.startSignIn({ email, channel: 'SMS' }, t.ctx());
      expect(byEmail.nextStep).toBe('CONFIRM_SIGN_IN_WITH_SMS_CODE');
      // A code on the account's other channel: its number is not shown, even masked.
      expect(challengeOf(byEmail).delivery).toEqual({ medium: 'SMS', destination: '+***********' });
      tokensOf(
        await t.engine.verifyOtp({ handle: challengeOf(byEmail).handle, code: t.lastCode(phone) }, t.ctx()),
      );

      // A phone number typed with spaces and dashes is the same number.
      t.clock.advance(RESEND_WAIT_MS);
      const spaced = `${phone.slice(0, 2)} ${phone.slice(2, 5)}-${phone.slice(5)}`;
      const again = await t.engine.startSignIn({ phoneNumber: spaced, channel: 'EMAIL' }, t.ctx());
      expect(again.nextStep).toBe('CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
      tokensOf(
        await t.engine.verifyOtp({ handle: challengeOf(again).handle, code: t.lastCode(email) }, t.ctx()),
      );
    });

    test('a handle presented through another profile is SESSION_EXPIRED and still works in its own', async () => {
      await using t = await engine({ profiles: { kiosk: { limits: FLOW_LIMITS } } });
      const email = newEmail();
      await registeredUser(t, email);
      const step = await t.engine.startSignIn({ email }, t.ctx());
      const { handle } = challengeOf(step);
      const code = t.lastCode(email);
      const kiosk = t.ctx({ clientProfile: 'kiosk' });
      await expectOtpError(t.engine.verifyOtp({ handle, code }, kiosk), 'SESSION_EXPIRED');
      await expectOtpError(t.engine.resendOtp({ handle }, kiosk), 'SESSION_EXPIRED');
      await expectOtpError(
        t.engine.verifyOtp({ handle, code }, t.ctx({ clientProfile: 'nope' })),
        'FORBIDDEN',
      );
      tokensOf(await t.engine.verifyOtp({ handle, code }, t.ctx()));
    });

    test('malformed input is BAD_USER_INPUT with its field and spends no attempt', async () => {
      await using t = await engine();
      const email = newEmail();
      const signUp = challengeOf(await t.engine.signUp({ email }, t.ctx()));
      const signUpCode = t.lastCode(email);
      await expectOtpError(t.engine.signUp({ email: 'not-an-email' }, t.ctx()), 'BAD_USER_INPUT', {
        field: 'email',
      });
      await expectOtpError(
        t.engine.signUp({ email: newEmail(), phoneNumber: '0901234' }, t.ctx()),
        'BAD_USER_INPUT',
        {
          field: 'phoneNumber',
        },
      );
      await expectOtpError(t.engine.startSignIn({}, t.ctx()), 'BAD_USER_INPUT', { field: 'input' });
      await expectOtpError(
        t.engine.startSignIn({ email, phoneNumber: newPhone() }, t.ctx()),
        'BAD_USER_INPUT',
        {
          field: 'input',
        },
      );
      await expectOtpError(
        t.engine.verifyOtp({ handle: 'abc', code: '12345678' }, t.ctx()),
        'BAD_USER_INPUT',
        {
          field: 'handle',
        },
      );
      // A sign-up handle belongs to confirmSignUp, and codes have a length.
      await expectOtpError(
        t.engine.verifyOtp({ handle: signUp.handle, code: '12345678' }, t.ctx()),
        'BAD_USER_INPUT',
        {
          field: 'handle',
        },
      );
      for (const code of ['12345', '1234567', 'abcdef', '']) {
        await expectOtpError(
          t.engine.confirmSignUp({ handle: signUp.handle, code }, t.ctx()),
          'BAD_USER_INPUT',
          {
            field: 'code',
          },
        );
      }
      // None of that cost an attempt: the first wrong code leaves 2.
      await expectOtpError(
        t.engine.confirmSignUp({ handle: signUp.handle, code: wrongCodeFor(signUpCode) }, t.ctx()),
        'CODE_MISMATCH',
        { attemptsRemaining: 2 },
      );
      const spaced = `${signUpCode.slice(0, 3)} ${signUpCode.slice(3)}`;
      const done = await t.engine.confirmSignUp({ handle: signUp.handle, code: spaced }, t.ctx());
      tokensOf(done);

      t.clock.advance(RESEND_WAIT_MS);
      const signIn = challengeOf(await t.engine.startSignIn({ email }, t.ctx()));
      await expectOtpError(
        t.engine.confirmSignUp({ handle: signIn.handle, code: '123456' }, t.ctx()),
        'BAD_USER_INPUT',
        {
          field: 'handle',
        },
      );
      await expectOtpError(
        t.engine.verifyOtp({ handle: signIn.handle, code: '123456' }, t.ctx()),
        'BAD_USER_INPUT',
        {
          field: 'code',
        },
      );
      tokensOf(await t.engine.verifyOtp({ handle: signIn.handle, code: t.lastCode(email) }, t.ctx()));
    });

    test('20 concurrent verifyOtp with the right code: exactly one DONE and one Cognito call', async () => {
      await using t = await engine();
      const email = newEmail();
      await registeredUser(t, email);
      const { handle } = challengeOf(await t.engine.startSignIn({ email }, t.ctx()));
      const code = t.lastCode(email);
      t.emulator.resetCalls();
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () => t.engine.verifyOtp({ handle, code }, t.ctx())),
      );
      const done = results.filter((r) => r.status === 'fulfilled');
      expect(done).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected') {
          expect(['RATE_LIMITED', 'SESSION_EXPIRED']).toContain(result.reason.code);
          if (result.reason.code === 'RATE_LIMITED') {
            expect(result.reason).toMatchObject({ scope: 'handle', retryAfterSeconds: 1 });
          }
        }
      }
      expect(t.emulator.calls()).toEqual({ RespondToAuthChallenge: 1 });
      await expectOtpError(t.engine.verifyOtp({ handle, code }, t.ctx()), 'SESSION_EXPIRED');
    });

    test('three wrong codes burn the handle; the right code is refused after', async () => {
      await using t = await engine();
      const email = newEmail();
      await registeredUser(t, email);
      const { handle } = challengeOf(await t.engine.startSignIn({ email }, t.ctx()));
      const code = t.lastCode(email);
      const wrong = wrongCodeFor(code);
      for (const attemptsRemaining of [2, 1, 0]) {
        await expectOtpError(t.engine.verifyOtp({ handle, code: wrong }, t.ctx()), 'CODE_MISMATCH', {
          attemptsRemaining,
        });
      }
      await expectOtpError(t.engine.verifyOtp({ handle, code }, t.ctx()), 'SESSION_EXPIRED');
      await expectOtpError(t.engine.resendOtp({ handle }, t.ctx()), 'SESSION_EXPIRED');
    });
  });

  describe('resendOtp', () => {
    test('sign-in: same handle, new code, times move; early resends are refused; attempts are not refilled', async () => {
      await using t = await engine();
      const email = newEmail();
      await registeredUser(t, email);
      const first = challengeOf(await t.engine.startSignIn({ email }, t.ctx()));
      const oldCode = t.lastCode(email);
      await expectOtpError(
        t.engine.verifyOtp({ handle: first.handle, code: wrongCodeFor(oldCode) }, t.ctx()),
        'CODE_MISMATCH',
        {
          attemptsRemaining: 2,
        },
      );
      await expectOtpError(t.engine.resendOtp({ handle: first.handle }, t.ctx()), 'RATE_LIMITED', {
        scope: 'destination',
        retryAfterSeconds: 30,
      });
      t.clock.advance(20_000);
      await expectOtpError(t.engine.resendOtp({ handle: first.handle }, t.ctx()), 'RATE_LIMITED', {
        scope: 'destination',
        retryAfterSeconds: 10,
      });
      t.clock.advance(10_000);
      t.emulator.resetCalls();
      const step = await t.engine.resendOtp({ handle: first.handle }, t.ctx());
      expect(t.emulator.calls()).toEqual({ InitiateAuth: 1 });
      expect(step.nextStep).toBe('CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
      const second = challengeOf(step);
      expect(second.handle).toBe(first.handle);
      expect(second.expiresAt.getTime()).toBe(first.expiresAt.getTime() + 30_000);
      expect(second.resendAvailableAt.getTime()).toBe(t.clock.now() + 30_000);
      const newCode = t.lastCode(email);
      expect(newCode).not.toBe(oldCode);
      // The old code belongs to the old Cognito session: wrong now, and it costs the second attempt.
      await expectOtpError(
        t.engine.verifyOtp({ handle: first.handle, code: wrongCodeFor(newCode) }, t.ctx()),
        'CODE_MISMATCH',
        {
          attemptsRemaining: 1,
        },
      );
      tokensOf(await t.engine.verifyOtp({ handle: first.handle, code: newCode }, t.ctx()));
    });

    test('sign-up: ResendConfirmationCode, and the new code confirms and signs in', async () => {
      await using t = await engine();
      const email = newEmail();
      const first = challengeOf(await t.engine.signUp({ email }, t.ctx()));
      const oldCode = t.lastCode(email);
      t.clock.advance(RESEND_WAIT_MS);
      t.emulator.resetCalls();
      const step = await t.engine.resendOtp({ handle: first.handle }, t.ctx());
      expect(t.emulator.calls()).toEqual({ ResendConfirmationCode: 1 });
      expect(step.nextStep).toBe('CONFIRM_SIGN_UP');
      expect(challengeOf(step).handle).toBe(first.handle);
      expect(challengeOf(step).expiresAt.getTime()).toBe(t.clock.now() + 86_400_000);
      const newCode = t.lastCode(email);
      expect(newCode).not.toBe(oldCode);
      tokensOf(await t.engine.confirmSignUp({ handle: first.handle, code: newCode }, t.ctx()));
    });
  });

  describe('confirmSignUp when the automatic sign-in cannot succeed', () => {
    test('Cognito refuses the session: a normal email sign-in under a new handle', async () => {
      await using t = await engine();
      const email = newEmail();
      const up = challengeOf(await t.engine.signUp({ email }, t.ctx()));
      t.emulator.injectFault({
        operation: 'InitiateAuth',
        error: 'NotAuthorizedException',
        message: 'Invalid session for the user, session is expired.',
      });
      t.emulator.resetCalls();
      const step = await t.engine.confirmSignUp({ handle: up.handle, code: t.lastCode(email) }, t.ctx());
      expect(step.nextStep).toBe('CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
      expect(t.emulator.calls()).toEqual({ ConfirmSignUp: 1, InitiateAuth: 2 });
      const signIn = challengeOf(step);
      expect(signIn.handle).not.toBe(up.handle);
      expect(signIn.codeLength).toBe(8);
      expect(t.emulator.messages(email)[0]).toMatchObject({ kind: 'SIGN_IN' });
      await expectOtpError(
        t.engine.confirmSignUp({ handle: up.handle, code: '123456' }, t.ctx()),
        'SESSION_EXPIRED',
      );
      tokensOf(await t.engine.verifyOtp({ handle: signIn.handle, code: t.lastCode(email) }, t.ctx()));
    });

    test('the automatic sign-in failed upstream: the next confirmSignUp resumes without a new code check', async () => {
      await using t = await engine();
      const email = newEmail();
      const up = challengeOf(await t.engine.signUp({ email }, t.ctx()));
      const code = t.lastCode(email);
      t.emulator.injectFault({ operation: 'InitiateAuth', error: 'TooManyRequestsException' });
      await expectOtpError(
        t.engine.confirmSignUp({ handle: up.handle, code }, t.ctx()),
        'UPSTREAM_UNAVAILABLE',
        {
          retryAfterSeconds: 1,
        },
      );
      t.emulator.resetCalls();
      tokensOf(await t.engine.confirmSignUp({ handle: up.handle, code }, t.ctx()));
      expect(t.emulator.calls()).toEqual({ InitiateAuth: 1 });
    });
  });

  test('an existing address: USER_EXISTS, or a sign-in code with onExistingUser SIGN_IN', async () => {
    await using t = await engine({
      profiles: { continue: { onExistingUser: 'SIGN_IN', limits: FLOW_LIMITS } },
    });
    const email = newEmail();
    await registeredUser(t, email);
    await expectOtpError(t.engine.signUp({ email }, t.ctx()), 'USER_EXISTS');
    t.emulator.resetCalls();
    // The "continue" profile has its own pool: register there too, then sign up again.
    const ctx = t.ctx({ clientProfile: 'continue' });
    const first = await t.engine.signUp({ email }, ctx);
    tokensOf(
      await t.engine.confirmSignUp({ handle: challengeOf(first).handle, code: t.lastCode(email) }, ctx),
    );
    t.clock.advance(RESEND_WAIT_MS);
    const step = await t.engine.signUp({ email }, ctx);
    expect(step.nextStep).toBe('CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
    expect(challengeOf(step).codeLength).toBe(8);
    tokensOf(await t.engine.verifyOtp({ handle: challengeOf(step).handle, code: t.lastCode(email) }, ctx));
  });

  test('refreshTokens and signOut', async () => {
    await using t = await engine();
    const email = newEmail();
    const { tokens } = await registeredUser(t, email);
    const refreshToken = tokens.refreshToken!;
    t.emulator.resetCalls();
    const refreshed = tokensOf(await t.engine.refreshTokens({ refreshToken }, t.ctx()));
    expect(refreshed.accessToken).toBeTypeOf('string');
    expect(t.emulator.calls()).toEqual({ GetTokensFromRefreshToken: 1 });
    await expectOtpError(
      t.engine.refreshTokens({ refreshToken: 'not a token!' }, t.ctx()),
      'UNAUTHENTICATED',
    );
    await expectOtpError(
      t.engine.refreshTokens({ refreshToken: 'x'.repeat(40) }, t.ctx()),
      'UNAUTHENTICATED',
    );

    expect(await t.engine.signOut({}, t.ctx())).toBe(false);
    await expectOtpError(t.engine.signOut({ refreshToken: tokens.accessToken }, t.ctx()), 'UNAUTHENTICATED');
    expect(await t.engine.signOut({ refreshToken }, t.ctx())).toBe(true);
    await expectOtpError(t.engine.refreshTokens({ refreshToken }, t.ctx()), 'UNAUTHENTICATED');

    // Global: GlobalSignOut with the access token ends every session of the user.
    t.clock.advance(RESEND_WAIT_MS);
    const a = challengeOf(await t.engine.startSignIn({ email }, t.ctx()));
    const deviceA = tokensOf(
      await t.engine.verifyOtp({ handle: a.handle, code: t.lastCode(email) }, t.ctx()),
    );
    t.clock.advance(RESEND_WAIT_MS);
    const b = challengeOf(await t.engine.startSignIn({ email }, t.ctx()));
    const deviceB = tokensOf(
      await t.engine.verifyOtp({ handle: b.handle, code: t.lastCode(email) }, t.ctx()),
    );
    await expectOtpError(t.engine.signOut({ global: true }, t.ctx()), 'UNAUTHENTICATED');
    t.emulator.resetCalls();
    expect(
      await t.engine.signOut(
        { global: true, accessToken: deviceA.accessToken, refreshToken: deviceA.refreshToken! },
        t.ctx(),
      ),
    ).toBe(true);
    expect(t.emulator.calls()).toEqual({ GlobalSignOut: 1, RevokeToken: 1 });
    await expectOtpError(
      t.engine.refreshTokens({ refreshToken: deviceB.refreshToken! }, t.ctx()),
      'UNAUTHENTICATED',
    );
  });

  test('getUser: the user of an access token as Cognito has them, until the token is signed out', async () => {
    await using t = await engine();
    const email = newEmail();
    const { tokens } = await registeredUser(t, email);
    t.emulator.resetCalls();
    const user = await t.engine.getUser({ accessToken: tokens.accessToken }, t.ctx());
    expect(user).toEqual({ sub: expect.any(String), email, emailVerified: true, phoneNumber: null });
    expect(t.emulator.calls()).toEqual({ GetUser: 1 });
    // Malformed tokens never reach Cognito.
    await expectOtpError(t.engine.getUser({ accessToken: 'not a token!' }, t.ctx()), 'UNAUTHENTICATED');
    await expectOtpError(t.engine.getUser({} as never, t.ctx()), 'UNAUTHENTICATED');
    expect(t.emulator.calls()).toEqual({ GetUser: 1 });
    // A well-formed token Cognito does not know, then a signed-out one: UNAUTHENTICATED, not stale data.
    await expectOtpError(t.engine.getUser({ accessToken: 'x'.repeat(40) }, t.ctx()), 'UNAUTHENTICATED');
    await t.engine.signOut({ global: true, accessToken: tokens.accessToken }, t.ctx());
    await expectOtpError(t.engine.getUser({ accessToken: tokens.accessToken }, t.ctx()), 'UNAUTHENTICATED');
  });

  test('an unknown address answers like a known one; nothing is sent; no code is ever accepted', async () => {
    await using t = await engine();
    const known = newEmail('known');
    await registeredUser(t, known);
    const unknown = newEmail('unkno');
    const real = await t.engine.startSignIn({ email: known }, t.ctx());
    const fake = await t.engine.startSignIn({ email: unknown }, t.ctx());
    expect(shape(fake)).toEqual(shape(real));
    expect(challengeOf(fake).delivery?.destination).toBe('u***@e***');
    expect(t.emulator.messages(unknown)).toEqual([]);
    const { handle } = challengeOf(fake);
    for (const attemptsRemaining of [2, 1]) {
      await expectOtpError(t.engine.verifyOtp({ handle, code: '12345678' }, t.ctx()), 'CODE_MISMATCH', {
        attemptsRemaining,
      });
    }
    t.clock.advance(RESEND_WAIT_MS);
    const resent = await t.engine.resendOtp({ handle }, t.ctx());
    expect(shape(resent)).toEqual(shape(real));
    expect(t.emulator.messages(unknown)).toEqual([]);
    await expectOtpError(t.engine.verifyOtp({ handle, code: '87654321' }, t.ctx()), 'CODE_MISMATCH', {
      attemptsRemaining: 0,
    });
  });

  describe('limits', () => {
    test('sends per destination: 1 per 30 s, then the hourly budget', async () => {
      await using t = await engine({
        limits: {
          sendPerDestination: [
            { points: 1, durationSeconds: 30 },
            { points: 2, durationSeconds: 3600 },
          ],
        },
      });
      const email = newEmail();
      await t.engine.startSignIn({ email }, t.ctx());
      t.emulator.resetCalls();
      const refused = await expectOtpError(t.engine.startSignIn({ email }, t.ctx()), 'RATE_LIMITED', {
        scope: 'destination',
      });
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(29);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(30);
      // The same address typed differently is the same destination.
      await expectOtpError(
        t.engine.startSignIn({ email: ` ${email.toUpperCase()}` }, t.ctx()),
        'RATE_LIMITED',
        {
          scope: 'destination',
        },
      );
      expect(t.emulator.calls()).toEqual({});
      if (fixture().redis === undefined) {
        // Windows run on the injected clock with the memory store.
        t.clock.advance(30_000);
        await t.engine.startSignIn({ email }, t.ctx());
        t.clock.advance(30_000);
        const hourly = await expectOtpError(t.engine.startSignIn({ email }, t.ctx()), 'RATE_LIMITED', {
          scope: 'destination',
        });
        expect(hourly.retryAfterSeconds).toBe(3600 - 60);
      }
    });

    test('racing wrong codes on many handles never pass the destination budget', async () => {
      await using t = await engine({
        limits: {
          sendPerDestination: [{ points: 50, durationSeconds: 30 }],
          wrongCodesPerDestination: [{ points: 4, durationSeconds: 3600 }],
        },
      });
      const email = newEmail();
      await registeredUser(t, email);
      const handles: string[] = [];
      for (let i = 0; i < 8; i++)
        handles.push(challengeOf(await t.engine.startSignIn({ email }, t.ctx())).handle);
      t.emulator.resetCalls();
      // One wrong code on each of 8 handles at once: the budget of 4 is reserved before each check.
      const results = await Promise.allSettled(
        handles.map((handle) => t.engine.verifyOtp({ handle, code: '00000000' }, t.ctx())),
      );
      const codes = results.map((result) => (result.status === 'rejected' ? result.reason.code : 'DONE'));
      expect(codes.filter((code) => code === 'CODE_MISMATCH')).toHaveLength(4);
      expect(codes.filter((code) => code === 'TOO_MANY_ATTEMPTS')).toHaveLength(4);
      expect(t.emulator.calls()).toEqual({ RespondToAuthChallenge: 4 });
    });

    test('sends per client IP and per client profile', async () => {
      await using t = await engine({
        limits: {
          sendPerIp: [{ points: 2, durationSeconds: 3600 }],
          sendPerProfile: [{ points: 3, durationSeconds: 600 }],
        },
      });
      await t.engine.startSignIn({ email: newEmail() }, t.ctx());
      await t.engine.startSignIn({ email: newEmail() }, t.ctx());
      const byIp = await expectOtpError(
        t.engine.startSignIn({ email: newEmail() }, t.ctx()),
        'RATE_LIMITED',
        {
          scope: 'ip',
        },
      );
      expect(byIp.retryAfterSeconds).toBeGreaterThanOrEqual(3599);
      // IPv6 addresses of one /64 share the IP budget.
      const v6 = (suffix: string) => t.ctx({ clientIp: `2001:db8:1:2::${suffix}` });
      await t.engine.startSignIn({ email: newEmail() }, v6('1'));
      const byProfile = await expectOtpError(
        t.engine.startSignIn({ email: newEmail() }, v6('2')),
        'RATE_LIMITED',
        {
          scope: 'profile',
        },
      );
      expect(byProfile.retryAfterSeconds).toBeGreaterThanOrEqual(599);
    });

    test('wrong codes per destination, across handles; resends do not refill the budget', async () => {
      await using t = await engine({
        limits: { wrongCodesPerDestination: [{ points: 3, durationSeconds: 3600 }] },
      });
      const email = newEmail();
      await registeredUser(t, email);
      const first = challengeOf(await t.engine.startSignIn({ email }, t.ctx()));
      for (const attemptsRemaining of [2, 1]) {
        await expectOtpError(
          t.engine.verifyOtp({ handle: first.handle, code: '00000000' }, t.ctx()),
          'CODE_MISMATCH',
          {
            attemptsRemaining,
          },
        );
      }
      t.clock.advance(RESEND_WAIT_MS);
      await t.engine.resendOtp({ handle: first.handle }, t.ctx());
      await expectOtpError(
        t.engine.verifyOtp({ handle: first.handle, code: '00000000' }, t.ctx()),
        'CODE_MISMATCH',
        {
          attemptsRemaining: 0,
        },
      );
      t.clock.advance(RESEND_WAIT_MS);
      const second = challengeOf(await t.engine.startSignIn({ email }, t.ctx()));
      t.emulator.resetCalls();
      const refused = await expectOtpError(
        t.engine.verifyOtp({ handle: second.handle, code: t.lastCode(email) }, t.ctx()),
        'TOO_MANY_ATTEMPTS',
        { scope: 'destination' },
      );
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(3500);
      expect(refused.retryAfterSeconds).toBeLessThanOrEqual(3600);
      expect(t.emulator.calls()).toEqual({});
    });

    test("an account's email and phone share its budgets once sign-ins linked them (issue 11, item 5)", async () => {
      await using t = await engine({
        limits: {
          wrongCodesPerDestination: [{ points: 4, durationSeconds: 3600 }],
          sendPerDestination: [{ points: 3, durationSeconds: 3600 }],
        },
      });
      const email = newEmail();
      const phoneNumber = newPhone();
      // Sign-up proves the email, a sign-in by SMS code proves the phone: both now name the account.
      await registeredUser(t, email, phoneNumber);
      const bySms = challengeOf(await t.engine.startSignIn({ phoneNumber, channel: 'SMS' }, t.ctx()));
      tokensOf(await t.engine.verifyOtp({ handle: bySms.handle, code: t.lastCode(phoneNumber) }, t.ctx()));

      // Sends: the account's 3 per hour, across its addresses (each address alone has room left).
      const sent: string[] = [];
      for (const identifier of [{ email }, { phoneNumber, channel: 'SMS' as const }, { email }]) {
        sent.push(challengeOf(await t.engine.startSignIn(identifier, t.ctx())).handle);
      }
      await expectOtpError(t.engine.startSignIn({ phoneNumber, channel: 'SMS' }, t.ctx()), 'RATE_LIMITED', {
        scope: 'destination',
      });

      // Wrong codes: 3 through the email (burning its handle), then the phone's handle has 1 left.
      for (const attemptsRemaining of [2, 1, 0]) {
        await expectOtpError(
          t.engine.verifyOtp({ handle: sent[0] as string, code: '00000000' }, t.ctx()),
          'CODE_MISMATCH',
          { attemptsRemaining },
        );
      }
      await expectOtpError(
        t.engine.verifyOtp({ handle: sent[1] as string, code: '00000000' }, t.ctx()),
        'CODE_MISMATCH',
        { attemptsRemaining: 2 },
      );
      t.emulator.resetCalls();
      await expectOtpError(
        t.engine.verifyOtp({ handle: sent[1] as string, code: t.lastCode(phoneNumber) }, t.ctx()),
        'TOO_MANY_ATTEMPTS',
        { scope: 'destination' },
      );
      expect(t.emulator.calls()).toEqual({});
    });

    test('wrong codes per client IP, across destinations', async () => {
      await using t = await engine({ limits: { wrongCodesPerIp: [{ points: 2, durationSeconds: 86_400 }] } });
      const a = challengeOf(await t.engine.startSignIn({ email: newEmail() }, t.ctx()));
      const b = challengeOf(await t.engine.startSignIn({ email: newEmail() }, t.ctx()));
      await expectOtpError(
        t.engine.verifyOtp({ handle: a.handle, code: '00000000' }, t.ctx()),
        'CODE_MISMATCH',
      );
      await expectOtpError(
        t.engine.verifyOtp({ handle: b.handle, code: '00000000' }, t.ctx()),
        'CODE_MISMATCH',
      );
      const refused = await expectOtpError(
        t.engine.verifyOtp({ handle: b.handle, code: '00000000' }, t.ctx()),
        'TOO_MANY_ATTEMPTS',
        { scope: 'ip' },
      );
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(86_399);
      // Another IP still has its budget.
      await expectOtpError(
        t.engine.verifyOtp({ handle: b.handle, code: '00000000' }, t.ctx({ clientIp: '198.51.100.7' })),
        'CODE_MISMATCH',
      );
    });

    test('any call per client IP', async () => {
      await using t = await engine({ limits: { requestsPerIp: [{ points: 3, durationSeconds: 60 }] } });
      await expectOtpError(t.engine.verifyOtp({ handle: 'x', code: '1' }, t.ctx()), 'BAD_USER_INPUT');
      await expectOtpError(t.engine.refreshTokens({ refreshToken: '' }, t.ctx()), 'UNAUTHENTICATED');
      expect(await t.engine.signOut({}, t.ctx())).toBe(false);
      const refused = await expectOtpError(
        t.engine.startSignIn({ email: newEmail() }, t.ctx()),
        'RATE_LIMITED',
        {
          scope: 'request',
        },
      );
      expect(refused.retryAfterSeconds).toBeGreaterThanOrEqual(59);
      expect(t.emulator.calls()).toEqual({});
    });
  });

  test('after full flows, no key or value in the store holds a handle, session, address or code in clear', async (ctx) => {
    const { redis } = fixture();
    if (redis === undefined) ctx.skip();
    await using t = await engine();
    const email = newEmail('dump');
    const phone = newPhone();
    const secrets: string[] = [email, email.split('@')[0]!, phone, phone.slice(1)];
    const up = challengeOf(await t.engine.signUp({ email, phoneNumber: phone }, t.ctx()));
    secrets.push(up.handle, t.lastCode(email));
    tokensOf(await t.engine.confirmSignUp({ handle: up.handle, code: t.lastCode(email) }, t.ctx()));
    t.clock.advance(RESEND_WAIT_MS);
    // Leave handles pending (sign-in by email and SMS, a made-up one, a sign-up) so the dump has records.
    const pending = [
      await t.engine.startSignIn({ email }, t.ctx()),
      await t.engine.startSignIn({ phoneNumber: phone, channel: 'SMS' }, t.ctx()),
      await t.engine.startSignIn({ email: newEmail('ghost') }, t.ctx()),
      await t.engine.signUp({ email: newEmail('pending') }, t.ctx()),
    ];
    for (const step of pending) secrets.push(challengeOf(step).handle);
    for (const message of t.emulator.messages()) secrets.push(message.code, message.to);
    await expectOtpError(
      t.engine.verifyOtp(
        { handle: challengeOf(pending[0]!).handle, code: wrongCodeFor(t.lastCode(email)) },
        t.ctx(),
      ),
      'CODE_MISMATCH',
    );
    const dump = await dumpRedis(redis!, t.prefix);
    expect(dump.filter((entry) => entry.type === 'hash').length).toBeGreaterThanOrEqual(4);
    // Cognito's (and the emulator's) sessions begin "AYAB"; none may be stored readable.
    expectNoSecrets(dump, [...secrets, 'AYAB', '203.0.113.10']);
  });
}

/** The parts of an answer that must not differ between a known and an unknown address. */
function shape(step: AuthStep) {
  const challenge = challengeOf(step);
  return {
    nextStep: step.nextStep,
    keys: Object.keys(challenge).sort(),
    handle: /^[A-Za-z0-9_-]{43}$/.test(challenge.handle),
    delivery: {
      medium: challenge.delivery?.medium,
      format: challenge.delivery?.destination.replace(/[a-z]/g, 'x'),
    },
    codeLength: challenge.codeLength,
    lifetime: challenge.expiresAt.getTime() - challenge.resendAvailableAt.getTime(),
  };
}
