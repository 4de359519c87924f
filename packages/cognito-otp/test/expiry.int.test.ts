// Time: the engine, the memory store and the emulator share one ManualClock, so handle TTLs and
// Cognito session and code lifetimes agree.

import { createTestEngine } from '@otpgate/testing';
import { describe, expect, test } from 'vitest';
import { createOtpEngine } from '../src/engine.js';
import { challengeOf, expectOtpError, newEmail, registeredUser, tokensOf, wrongCodeFor } from './helpers.js';

describe('expiry', () => {
  test('a sign-in handle ends with its Cognito session; a resend renews both', async () => {
    await using t = await createTestEngine();
    const email = newEmail();
    await registeredUser(t, email);
    t.clock.advance(30_000);
    const expired = challengeOf(await t.engine.startSignIn({ email }, t.ctx()));
    const code = t.lastCode(email);
    t.clock.advance(180_000);
    await expectOtpError(t.engine.verifyOtp({ handle: expired.handle, code }, t.ctx()), 'SESSION_EXPIRED');
    await expectOtpError(t.engine.resendOtp({ handle: expired.handle }, t.ctx()), 'SESSION_EXPIRED');

    const renewed = challengeOf(await t.engine.startSignIn({ email }, t.ctx()));
    t.clock.advance(150_000);
    await t.engine.resendOtp({ handle: renewed.handle }, t.ctx());
    t.clock.advance(150_000);
    tokensOf(await t.engine.verifyOtp({ handle: renewed.handle, code: t.lastCode(email) }, t.ctx()));
  });

  test('a sign-up handle ends after signUpHandleTtlSeconds', async () => {
    await using t = await createTestEngine({ profiles: { short: { signUpHandleTtlSeconds: 60 } } });
    const email = newEmail();
    const ctx = t.ctx({ clientProfile: 'short' });
    const { handle, expiresAt } = challengeOf(await t.engine.signUp({ email }, ctx));
    expect(expiresAt.getTime()).toBe(t.clock.now() + 60_000);
    t.clock.advance(60_000);
    await expectOtpError(t.engine.confirmSignUp({ handle, code: t.lastCode(email) }, ctx), 'SESSION_EXPIRED');
  });

  test('an expired confirmation code is CODE_EXPIRED, and resendOtp helps', async () => {
    await using t = await createTestEngine({
      emulator: { behaviour: { confirmationCodeValiditySeconds: 60 } },
    });
    const email = newEmail();
    const { handle } = challengeOf(await t.engine.signUp({ email }, t.ctx()));
    t.clock.advance(61_000);
    await expectOtpError(
      t.engine.confirmSignUp({ handle, code: t.lastCode(email) }, t.ctx()),
      'CODE_EXPIRED',
    );
    await t.engine.resendOtp({ handle }, t.ctx());
    tokensOf(await t.engine.confirmSignUp({ handle, code: t.lastCode(email) }, t.ctx()));
  });

  test('confirmation after the automatic sign-in window: a new sign-in code under a new handle', async () => {
    // The emulator's default: the window opens at SignUp, as the transcript's Sessions suggest.
    await using t = await createTestEngine({ emulator: { behaviour: { autoSignInWindowFrom: 'sign-up' } } });
    const email = newEmail();
    const up = challengeOf(await t.engine.signUp({ email }, t.ctx()));
    t.clock.advance(10 * 60_000);
    t.emulator.resetCalls();
    const step = await t.engine.confirmSignUp({ handle: up.handle, code: t.lastCode(email) }, t.ctx());
    expect(step.nextStep).toBe('CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
    const signIn = challengeOf(step);
    expect(signIn.handle).not.toBe(up.handle);
    expect(t.emulator.messages(email)[0]).toMatchObject({ kind: 'SIGN_IN' });
    // ConfirmSignUp once (SignUp's expired Session not sent), the refused automatic sign-in, the new one.
    expect(t.emulator.calls()).toEqual({ ConfirmSignUp: 1, InitiateAuth: 2 });
    tokensOf(await t.engine.verifyOtp({ handle: signIn.handle, code: t.lastCode(email) }, t.ctx()));
  });

  test('confirmation after the SignUp session window, on a pool whose window opens at confirmation', async () => {
    await using t = await createTestEngine({
      emulator: { behaviour: { autoSignInWindowFrom: 'confirmation' } },
    });
    const email = newEmail();
    const { handle } = challengeOf(await t.engine.signUp({ email }, t.ctx()));
    t.clock.advance(10 * 60_000);
    t.emulator.resetCalls();
    tokensOf(await t.engine.confirmSignUp({ handle, code: t.lastCode(email) }, t.ctx()));
    // SignUp's Session had expired, so it was not sent; ConfirmSignUp still returned one.
    expect(t.emulator.calls()).toEqual({ ConfirmSignUp: 1, InitiateAuth: 1 });
  });

  test('a SignUp session Cognito refuses (validity misconfigured): ConfirmSignUp is repeated without it', async () => {
    await using t = await createTestEngine({
      emulator: { behaviour: { autoSignInWindowFrom: 'confirmation' } },
    });
    // This engine believes sessions live 15 minutes; the pool's live 3.
    const engine = createOtpEngine({
      cognitoClient: t.cognitoClient,
      profiles: {
        default: {
          userPoolId: t.profile.userPoolId,
          clientId: t.profile.clientId,
          authSessionValiditySeconds: 900,
        },
      },
      store: t.store,
      hmacSecret: 'another-test-secret-of-at-least-32-bytes',
      clock: t.clock,
    });
    const email = newEmail();
    const { handle } = challengeOf(await engine.signUp({ email }, t.ctx()));
    t.clock.advance(5 * 60_000);
    t.emulator.resetCalls();
    tokensOf(await engine.confirmSignUp({ handle, code: t.lastCode(email) }, t.ctx()));
    expect(t.emulator.calls()).toEqual({ ConfirmSignUp: 2, InitiateAuth: 1 });
  });

  test('when Cognito kills the session after a wrong code, the right code is CODE_EXPIRED until a resend', async () => {
    await using t = await createTestEngine({ emulator: { behaviour: { newSessionAfterWrongCode: true } } });
    const email = newEmail();
    await registeredUser(t, email);
    t.clock.advance(30_000);
    const { handle } = challengeOf(await t.engine.startSignIn({ email }, t.ctx()));
    const code = t.lastCode(email);
    await expectOtpError(t.engine.verifyOtp({ handle, code: wrongCodeFor(code) }, t.ctx()), 'CODE_MISMATCH', {
      attemptsRemaining: 2,
    });
    await expectOtpError(t.engine.verifyOtp({ handle, code }, t.ctx()), 'CODE_EXPIRED');
    t.clock.advance(30_000);
    await t.engine.resendOtp({ handle }, t.ctx());
    tokensOf(await t.engine.verifyOtp({ handle, code: t.lastCode(email) }, t.ctx()));
  });

  test("Cognito's lockout answers like a wrong code (it must not reveal the account); it passes with time", async () => {
    await using t = await createTestEngine({
      emulator: { behaviour: { lockoutThreshold: 2 } },
      limits: { sendPerDestination: [{ points: 50, durationSeconds: 30 }] },
    });
    const email = newEmail();
    await registeredUser(t, email);
    t.clock.advance(30_000);
    const { handle } = challengeOf(await t.engine.startSignIn({ email }, t.ctx()));
    const code = t.lastCode(email);
    await expectOtpError(t.engine.verifyOtp({ handle, code: wrongCodeFor(code) }, t.ctx()), 'CODE_MISMATCH');
    await expectOtpError(t.engine.verifyOtp({ handle, code: wrongCodeFor(code) }, t.ctx()), 'CODE_MISMATCH');
    // Locked out: even the right code is refused, as a wrong one (an unknown address's handle would be).
    await expectOtpError(t.engine.verifyOtp({ handle, code }, t.ctx()), 'CODE_MISMATCH', {
      attemptsRemaining: 0,
    });
    // While locked, a new start looks like any other and sends nothing; afterwards a fresh code works.
    t.emulator.clearMessages();
    const locked = await t.engine.startSignIn({ email }, t.ctx());
    expect(locked.nextStep).toBe('CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
    expect(t.emulator.messages(email)).toEqual([]);
    t.clock.advance(30_000);
    const fresh = challengeOf(await t.engine.startSignIn({ email }, t.ctx()));
    tokensOf(await t.engine.verifyOtp({ handle: fresh.handle, code: t.lastCode(email) }, t.ctx()));
  });
});
