// PreventUserExistenceErrors (docs/COGNITO.md): with ENABLED an unknown user looks like a real one and
// nothing is sent; with LEGACY Cognito says UserNotFoundException.
import { ResendConfirmationCodeCommand } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addClient,
  answer,
  type Client,
  confirm,
  confirmedUser,
  INVALID_SESSION,
  newEmail,
  rejection,
  startSignIn,
} from './flows.js';
import { type Harness, harness } from './helpers.js';

describe('PreventUserExistenceErrors', () => {
  let h: Harness;
  let legacy: Client;
  beforeAll(async () => {
    h = await harness();
    legacy = await addClient(h, { PreventUserExistenceErrors: 'LEGACY' });
  });
  afterAll(async () => {
    await h[Symbol.asyncDispose]();
  });

  it('ENABLED: USER_AUTH for an unknown email answers a challenge of the same shape and sends nothing', async () => {
    const real = newEmail('real');
    await confirmedUser(h, real);
    const known = await startSignIn(h, real);
    const sent = h.emulator.messages().length;

    const unknown = 'nobody@example.com';
    const fake = await startSignIn(h, unknown);
    expect(Object.keys(fake).sort()).toEqual(Object.keys(known).sort());
    expect(fake).toMatchObject({
      ChallengeName: 'EMAIL_OTP',
      ChallengeParameters: { CODE_DELIVERY_DELIVERY_MEDIUM: 'EMAIL', CODE_DELIVERY_DESTINATION: 'n***@e***' },
      AvailableChallenges: ['EMAIL_OTP'],
    });
    expect(fake.Session).toMatch(/^AYAB/);
    expect(Math.abs((fake.Session?.length ?? 0) - (known.Session?.length ?? 0))).toBeLessThan(8);
    expect(h.emulator.messages()).toHaveLength(sent);
    // The same destination every time, as a real user's.
    const again = await startSignIn(h, unknown);
    expect(again.ChallengeParameters).toEqual(fake.ChallengeParameters);
  });

  it('ENABLED: every code fails as a wrong code, then the Session is dead', async () => {
    const unknown = newEmail('ghost');
    const { Session } = await startSignIn(h, unknown);
    for (let i = 0; i < 3; i++) {
      await expect(answer(h, Session, unknown, String(10_000_000 + i))).rejects.toMatchObject(
        rejection('CodeMismatchException', 'Invalid code received for user'),
      );
    }
    await expect(answer(h, Session, unknown, '12345678')).rejects.toMatchObject(INVALID_SESSION);
  });

  it('ENABLED: an unknown phone number gets an SMS_OTP challenge masked to its last four digits', async () => {
    const fake = await startSignIn(h, '+15550001234');
    expect(fake).toMatchObject({
      ChallengeName: 'SMS_OTP',
      ChallengeParameters: {
        CODE_DELIVERY_DELIVERY_MEDIUM: 'SMS',
        CODE_DELIVERY_DESTINATION: '+*******1234',
      },
    });
    const named = await startSignIn(h, 'not-an-address');
    expect(named.ChallengeParameters?.CODE_DELIVERY_DESTINATION).toMatch(/^n\*\*\*@[a-z]\*\*\*$/);
  });

  it('LEGACY: USER_AUTH for an unknown user is UserNotFoundException', async () => {
    await expect(startSignIn(h, newEmail(), {}, legacy)).rejects.toMatchObject(
      rejection('UserNotFoundException', 'User does not exist.'),
    );
  });

  it('ENABLED: ResendConfirmationCode for an unknown user answers a simulated CodeDeliveryDetails, nothing sent', async () => {
    const sent = h.emulator.messages().length;
    const out = await h.sdk.send(
      new ResendConfirmationCodeCommand({ ClientId: h.clientId, Username: 'nobody@example.com' }),
    );
    expect(out.CodeDeliveryDetails).toEqual({
      Destination: 'n***@e***',
      DeliveryMedium: 'EMAIL',
      AttributeName: 'email',
    });
    expect(h.emulator.messages()).toHaveLength(sent);
  });

  it('LEGACY: ResendConfirmationCode for an unknown user is UserNotFoundException', async () => {
    await expect(
      h.sdk.send(new ResendConfirmationCodeCommand({ ClientId: legacy.clientId, Username: newEmail() })),
    ).rejects.toMatchObject(rejection('UserNotFoundException'));
  });

  it('ConfirmSignUp for an unknown user: CodeMismatchException under ENABLED, UserNotFoundException under LEGACY', async () => {
    await expect(confirm(h, newEmail(), '123456')).rejects.toMatchObject(rejection('CodeMismatchException'));
    await expect(confirm(h, newEmail(), '123456', legacy)).rejects.toMatchObject(
      rejection('UserNotFoundException'),
    );
  });
});
