// Unknown addresses must be indistinguishable from known ones: shape, masked-destination format and
// time, whether Cognito fakes them (PreventUserExistenceErrors ENABLED) or the engine does (LEGACY).
import { ConfirmSignUpCommand, SignUpCommand } from '@aws-sdk/client-cognito-identity-provider';
import { createTestEngine } from '@otpgate/testing';
import { describe, expect, test } from 'vitest';
import { CROSS_CHANNEL_MASK } from '../src/identifiers.js';
import type { AuthStep } from '../src/types.js';
import { challengeOf, expectOtpError, newEmail, registeredUser } from './helpers.js';

function shape(step: AuthStep) {
  const c = challengeOf(step);
  return {
    nextStep: step.nextStep,
    keys: Object.keys(c).sort(),
    codeLength: c.codeLength,
    medium: c.delivery?.medium,
    format: c.delivery?.destination.replace(/[a-z]/g, 'x').replace(/[0-9]/g, '9'),
    lifetime: c.expiresAt.getTime() - c.resendAvailableAt.getTime(),
  };
}

describe('enumeration safety', () => {
  test('LEGACY pool: the engine makes the challenge up; no code is sent, none accepted, resend "works"', async () => {
    await using t = await createTestEngine({ pool: { preventUserExistenceErrors: 'LEGACY' } });
    const known = newEmail('known');
    await registeredUser(t, known);
    const unknown = newEmail('nobody');
    t.clock.advance(30_000);
    const real = await t.engine.startSignIn({ email: known }, t.ctx());
    t.emulator.resetCalls();
    const fake = await t.engine.startSignIn({ email: unknown }, t.ctx());
    expect(shape(fake)).toEqual(shape(real));
    expect(challengeOf(fake).delivery?.destination).toBe('n***@e***');
    expect(t.emulator.calls()).toEqual({ InitiateAuth: 1 });
    const { handle } = challengeOf(fake);
    t.emulator.resetCalls();
    for (const attemptsRemaining of [2, 1]) {
      await expectOtpError(t.engine.verifyOtp({ handle, code: '12345678' }, t.ctx()), 'CODE_MISMATCH', {
        attemptsRemaining,
      });
    }
    t.clock.advance(30_000);
    expect(shape(await t.engine.resendOtp({ handle }, t.ctx()))).toEqual(shape(real));
    await expectOtpError(t.engine.verifyOtp({ handle, code: '12345678' }, t.ctx()), 'CODE_MISMATCH', {
      attemptsRemaining: 0,
    });
    await expectOtpError(t.engine.verifyOtp({ handle, code: '12345678' }, t.ctx()), 'SESSION_EXPIRED');
    // The made-up handle never reached Cognito after the start.
    expect(t.emulator.calls()).toEqual({});
    expect(t.emulator.messages(unknown)).toEqual([]);
  });

  test('an unconfirmed account (a squat) gets its confirmation code again, which its owner confirms', async () => {
    await using t = await createTestEngine();
    const email = newEmail();
    // Someone else signs the address up and never confirms.
    await t.engine.signUp({ email }, t.ctx({ clientIp: '198.51.100.66' }));
    t.clock.advance(30_000);
    const step = await t.engine.startSignIn({ email }, t.ctx());
    expect(step.nextStep).toBe('CONFIRM_SIGN_UP');
    const sent = t.emulator.messages(email);
    expect(sent.map((m) => m.kind)).toEqual(['SIGN_UP', 'SIGN_UP']);
    expect(sent.filter((m) => m.kind === 'SIGN_IN')).toEqual([]);
    const done = await t.engine.confirmSignUp(
      { handle: challengeOf(step).handle, code: t.lastCode(email) },
      t.ctx(),
    );
    expect(done.nextStep).toBe('DONE');
  });

  test('the other channel: the same stand-in mask for every address, nothing of the real one', async () => {
    await using t = await createTestEngine({ pool: { preventUserExistenceErrors: 'LEGACY' } });
    const email = newEmail();
    const first = challengeOf(await t.engine.startSignIn({ email, channel: 'SMS' }, t.ctx()));
    expect(first.delivery?.destination).toBe(CROSS_CHANNEL_MASK.SMS);
    const phone = challengeOf(
      await t.engine.startSignIn({ phoneNumber: '+15550001234', channel: 'EMAIL' }, t.ctx()),
    );
    expect(phone.delivery?.destination).toBe(CROSS_CHANNEL_MASK.EMAIL);
  });

  test('known and unknown identifiers answer with the same next step and mask on every channel', async () => {
    await using t = await createTestEngine({
      limits: { sendPerDestination: [{ points: 50, durationSeconds: 30 }] },
    });
    // Accounts: email-only, and email + phone (signed up with a phone number, signed in once by SMS).
    const emailOnly = newEmail('only');
    await registeredUser(t, emailOnly);
    const withPhone = newEmail('both');
    const phone = `+1555${String(Date.now()).slice(-7)}`;
    await registeredUser(t, withPhone, phone);
    const answer = async (input: Record<string, string>) => {
      const step = await t.engine.startSignIn(input as never, t.ctx());
      return `${step.nextStep} ${challengeOf(step).delivery?.destination.replace(/[a-z0-9]/g, 'x')}`;
    };
    for (const channel of ['EMAIL', 'SMS'] as const) {
      const unknownEmail = await answer({ email: newEmail('nobody'), channel });
      expect(await answer({ email: emailOnly, channel })).toBe(unknownEmail);
      expect(await answer({ email: withPhone, channel })).toBe(unknownEmail);
      const unknownPhone = await answer({ phoneNumber: '+15559876543', channel });
      expect(await answer({ phoneNumber: phone, channel })).toBe(unknownPhone);
    }
  });

  test('an account without the asked factor (SELECT_CHALLENGE without it) gets a made-up challenge', async () => {
    await using t = await createTestEngine();
    const email = newEmail();
    // A user with a password and email: asking for SMS makes Cognito answer SELECT_CHALLENGE without SMS_OTP.
    await t.cognitoClient.send(
      new SignUpCommand({
        ClientId: t.profile.clientId,
        Username: email,
        Password: 'Corr3ct-Horse-Battery',
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    await t.cognitoClient.send(
      new ConfirmSignUpCommand({
        ClientId: t.profile.clientId,
        Username: email,
        ConfirmationCode: t.lastCode(email),
      }),
    );
    t.clock.advance(30_000);
    t.emulator.clearMessages();
    const step = await t.engine.startSignIn({ email, channel: 'SMS' }, t.ctx());
    expect(step.nextStep).toBe('CONFIRM_SIGN_IN_WITH_SMS_CODE');
    expect(challengeOf(step).delivery?.destination).toBe(CROSS_CHANNEL_MASK.SMS);
    expect(t.emulator.messages()).toEqual([]);
  });

  test('a made-up answer takes as long as real ones do on average', async () => {
    await using t = await createTestEngine({ pool: { preventUserExistenceErrors: 'LEGACY' } });
    const email = newEmail();
    await registeredUser(t, email);
    // Real starts that take 300 ms each set the running average.
    for (let i = 0; i < 3; i++) {
      t.clock.advance(30_000);
      t.emulator.injectFault({ operation: 'InitiateAuth', latencyMs: 300 });
      await t.engine.startSignIn({ email }, t.ctx());
    }
    const started = performance.now();
    await t.engine.startSignIn({ email: newEmail('nobody') }, t.ctx());
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(230);
    expect(elapsed).toBeLessThan(1000);
  });
});
