// Passkeys through the engine: the real AWS SDK against the emulator, which verifies every WebAuthn
// response for real; credentials come from a software authenticator.
import { SoftwareAuthenticator } from '@otpgate/cognito-emulator/testing';
import { createTestEngine, type TestEngine, type TestEngineOptions } from '@otpgate/testing';
import { describe, expect, test } from 'vitest';
import type { AuthStep, JsonObject } from '../src/types.js';
import { challengeOf, expectOtpError, newEmail, registeredUser, tokensOf } from './helpers.js';

const ORIGIN = 'http://localhost:5173';

function passkeyEngine(options: TestEngineOptions = {}): Promise<TestEngine> {
  return createTestEngine({
    pool: { webAuthn: { relyingPartyId: 'localhost', userVerification: 'required' } },
    webAuthnOrigins: [ORIGIN],
    ...options,
  });
}

function requestOptionsOf(step: AuthStep): JsonObject & { challenge: string; rpId: string } {
  expect(step.nextStep).toBe('CONFIRM_SIGN_IN_WITH_PASSKEY');
  const challenge = challengeOf(step);
  expect(challenge.delivery).toBeNull();
  return challenge.credentialRequestOptions as JsonObject & { challenge: string; rpId: string };
}

/** A confirmed user with one passkey registered through the engine; returns its authenticator. */
async function userWithPasskey(t: TestEngine, email: string) {
  const { tokens } = await registeredUser(t, email);
  const authenticator = new SoftwareAuthenticator();
  const options = await t.engine.startPasskeyRegistration({ accessToken: tokens.accessToken }, t.ctx());
  const credential = authenticator.register(options as never, ORIGIN);
  const passkey = await t.engine.completePasskeyRegistration(
    { accessToken: tokens.accessToken, credential: credential as unknown as JsonObject },
    t.ctx(),
  );
  return { tokens, authenticator, passkey };
}

async function assertWith(
  t: TestEngine,
  email: string,
  authenticator: SoftwareAuthenticator,
  overrides = {},
) {
  const step = await t.engine.startSignIn({ email, method: 'PASSKEY' }, t.ctx());
  const options = requestOptionsOf(step);
  const credential = authenticator.assert(options, ORIGIN, overrides) as unknown as JsonObject;
  return { handle: challengeOf(step).handle, credential, options };
}

describe('passkeys through the engine', () => {
  test('register, list, sign in with it, delete it, then it is refused', async () => {
    await using t = await passkeyEngine();
    const email = newEmail('pk');
    const { tokens, authenticator, passkey } = await userWithPasskey(t, email);
    expect(passkey).toEqual({
      id: authenticator.credentialId,
      name: expect.any(String),
      createdAt: expect.any(Date),
      attachment: 'platform',
    });
    expect(await t.engine.listPasskeys({ accessToken: tokens.accessToken }, t.ctx())).toEqual([passkey]);

    const { handle, credential, options } = await assertWith(t, email, authenticator);
    expect(Object.keys(options).sort()).toEqual(['challenge', 'rpId', 'timeout', 'userVerification']);
    expect(options).toMatchObject({ rpId: 'localhost', userVerification: 'required', timeout: 180_000 });
    const done = tokensOf(await t.engine.verifyPasskey({ handle, credential }, t.ctx()));
    expect(done.accessToken).toMatch(/\./);
    // The handle is spent.
    await expectOtpError(t.engine.verifyPasskey({ handle, credential }, t.ctx()), 'SESSION_EXPIRED');

    expect(await t.engine.deletePasskey({ accessToken: done.accessToken, id: passkey.id }, t.ctx())).toBe(
      true,
    );
    expect(await t.engine.deletePasskey({ accessToken: done.accessToken, id: passkey.id }, t.ctx())).toBe(
      false,
    );
    expect(await t.engine.listPasskeys({ accessToken: done.accessToken }, t.ctx())).toEqual([]);
    const after = await assertWith(t, email, authenticator);
    await expectOtpError(
      t.engine.verifyPasskey({ handle: after.handle, credential: after.credential }, t.ctx()),
      'CODE_MISMATCH',
      { attemptsRemaining: 0 },
    );
  });

  test('a wrong credential counts like a wrong code: handle ended, destination budget spent', async () => {
    await using t = await passkeyEngine({
      limits: { wrongCodesPerDestination: [{ points: 2, durationSeconds: 3600 }] },
    });
    const email = newEmail('pk');
    const { authenticator } = await userWithPasskey(t, email);
    const stranger = new SoftwareAuthenticator();
    for (let i = 0; i < 2; i++) {
      const { handle, credential } = await assertWith(t, email, stranger);
      await expectOtpError(t.engine.verifyPasskey({ handle, credential }, t.ctx()), 'CODE_MISMATCH', {
        attemptsRemaining: 0,
      });
      await expectOtpError(t.engine.verifyPasskey({ handle, credential }, t.ctx()), 'SESSION_EXPIRED');
    }
    // The destination's wrong-attempt budget is spent: even the right passkey waits.
    const { handle, credential } = await assertWith(t, email, authenticator);
    await expectOtpError(t.engine.verifyPasskey({ handle, credential }, t.ctx()), 'TOO_MANY_ATTEMPTS', {
      scope: 'destination',
    });
  });

  test('an unknown address and one without a passkey get the same shape, and fail like a wrong credential', async () => {
    await using t = await passkeyEngine();
    const withPasskey = newEmail('pk');
    const { authenticator } = await userWithPasskey(t, withPasskey);
    const real = requestOptionsOf(
      await t.engine.startSignIn({ email: withPasskey, method: 'PASSKEY' }, t.ctx()),
    );
    const codeOnly = newEmail('code');
    await registeredUser(t, codeOnly);
    for (const email of [newEmail('nobody'), codeOnly]) {
      const step = await t.engine.startSignIn({ email, method: 'PASSKEY' }, t.ctx());
      const options = requestOptionsOf(step);
      expect(Object.keys(options).sort()).toEqual(Object.keys(real).sort());
      expect({ ...options, challenge: '' }).toEqual({ ...real, challenge: '' });
      expect(options.challenge).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Object.keys(challengeOf(step)).sort()).toEqual(
        Object.keys(
          challengeOf(await t.engine.startSignIn({ email: withPasskey, method: 'PASSKEY' }, t.ctx())),
        ).sort(),
      );
      const credential = authenticator.assert(options, ORIGIN) as unknown as JsonObject;
      await expectOtpError(
        t.engine.verifyPasskey({ handle: challengeOf(step).handle, credential }, t.ctx()),
        'CODE_MISMATCH',
        { attemptsRemaining: 0 },
      );
    }
  });

  test('another origin or relying party is BAD_USER_INPUT credential and costs no attempt', async () => {
    await using t = await passkeyEngine({
      limits: { wrongCodesPerDestination: [{ points: 1, durationSeconds: 3600 }] },
    });
    const email = newEmail('pk');
    const { authenticator } = await userWithPasskey(t, email);
    const step = await t.engine.startSignIn({ email, method: 'PASSKEY' }, t.ctx());
    const options = requestOptionsOf(step);
    const handle = challengeOf(step).handle;
    for (const overrides of [{ origin: 'https://evil.example' }, { rpId: 'evil.example' }]) {
      const credential = authenticator.assert(options, ORIGIN, overrides) as unknown as JsonObject;
      await expectOtpError(t.engine.verifyPasskey({ handle, credential }, t.ctx()), 'BAD_USER_INPUT', {
        field: 'credential',
      });
    }
    await expectOtpError(
      t.engine.verifyPasskey({ handle, credential: { id: 'x' } }, t.ctx()),
      'BAD_USER_INPUT',
      { field: 'credential' },
    );
    // Nothing was counted and the Session is intact: the right assertion still signs in.
    const credential = authenticator.assert(options, ORIGIN) as unknown as JsonObject;
    tokensOf(await t.engine.verifyPasskey({ handle, credential }, t.ctx()));
  });

  test('a passkey handle takes no code and no resend; code handles take no passkey', async () => {
    await using t = await passkeyEngine();
    const email = newEmail('pk');
    const { authenticator } = await userWithPasskey(t, email);
    const { handle, credential } = await assertWith(t, email, authenticator);
    await expectOtpError(t.engine.verifyOtp({ handle, code: '12345678' }, t.ctx()), 'BAD_USER_INPUT', {
      field: 'handle',
    });
    await expectOtpError(t.engine.resendOtp({ handle }, t.ctx()), 'BAD_USER_INPUT', { field: 'handle' });
    t.clock.advance(31_000); // past the sign-up code's 30-second send window
    const codeStep = await t.engine.startSignIn({ email, method: 'EMAIL_CODE' }, t.ctx());
    expect(codeStep.nextStep).toBe('CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
    await expectOtpError(
      t.engine.verifyPasskey({ handle: challengeOf(codeStep).handle, credential }, t.ctx()),
      'BAD_USER_INPUT',
      { field: 'handle' },
    );
    await expectOtpError(
      t.engine.startSignIn({ email, method: 'SMS_CODE', channel: 'EMAIL' }, t.ctx()),
      'BAD_USER_INPUT',
      { field: 'method' },
    );
    // The passkey handle survived all of that.
    tokensOf(await t.engine.verifyPasskey({ handle, credential }, t.ctx()));
  });

  test('registration checks the origin and the token; a profile without origins has passkeys off', async () => {
    await using t = await passkeyEngine({
      profiles: { plain: { pool: { webAuthn: { relyingPartyId: 'localhost' } } } },
    });
    const email = newEmail('pk');
    const { tokens } = await registeredUser(t, email);
    const options = await t.engine.startPasskeyRegistration({ accessToken: tokens.accessToken }, t.ctx());
    expect(options).toMatchObject({ rp: { id: 'localhost' }, challenge: expect.any(String) });
    const wrongOrigin = new SoftwareAuthenticator().register(options as never, 'https://evil.example');
    await expectOtpError(
      t.engine.completePasskeyRegistration(
        { accessToken: tokens.accessToken, credential: wrongOrigin as unknown as JsonObject },
        t.ctx(),
      ),
      'BAD_USER_INPUT',
      { field: 'credential' },
    );
    await expectOtpError(t.engine.listPasskeys({ accessToken: 'not-a-token' }, t.ctx()), 'UNAUTHENTICATED');
    await expectOtpError(
      t.engine.deletePasskey({ accessToken: tokens.accessToken, id: 'not base64url!' }, t.ctx()),
      'BAD_USER_INPUT',
      { field: 'id' },
    );
    const plain = t.ctx({ clientProfile: 'plain' });
    await expectOtpError(t.engine.startSignIn({ email, method: 'PASSKEY' }, plain), 'FORBIDDEN');
    await expectOtpError(
      t.engine.startPasskeyRegistration({ accessToken: tokens.accessToken }, plain),
      'FORBIDDEN',
    );
  });
});
