// The engine against a scripted Cognito client (no network): the answers the emulator does not give.
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, test } from 'vitest';
import { secretHash } from './cognito/api.js';
import { createOtpEngine } from './engine.js';
import { createMemoryStore } from './store/memory-store.js';

type Sent = { name: string; input: Record<string, unknown> };

/** A client whose send() answers from `script` by command name, recording every call. */
function scriptedClient(script: Record<string, (input: Record<string, unknown>) => object>) {
  const sent: Sent[] = [];
  const client = {
    config: { maxAttempts: async () => 1 },
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const name = command.constructor.name.replace(/Command$/, '');
      sent.push({ name, input: command.input });
      const answer = script[name];
      if (!answer) throw new Error(`unscripted ${name}`);
      return answer(command.input);
    },
  };
  return { client: client as unknown as CognitoIdentityProviderClient, sent };
}

const CLIENT_ID = 'a1b2c3d4e5f6g7h8i9j0k1l2m3';
const CLIENT_SECRET = 'topsecret123';
const ctx = { clientProfile: 'shop', clientIp: '192.0.2.44' };

function engineWith(client: CognitoIdentityProviderClient) {
  const clock = { now: () => Date.UTC(2026, 0, 1) };
  return createOtpEngine({
    cognitoClient: client,
    profiles: {
      shop: { userPoolId: 'eu-west-1_AbC123xyz', clientId: CLIENT_ID, clientSecret: CLIENT_SECRET },
    },
    store: createMemoryStore({ clock }),
    hmacSecret: 'unit-test-secret-unit-test-secret!',
    clock,
  });
}

const tokens = {
  AccessToken: 'a.b.c',
  IdToken: 'd.e.f',
  RefreshToken: 'rrr',
  ExpiresIn: 3600,
  TokenType: 'Bearer',
};

describe('engine against a scripted Cognito', () => {
  test('SELECT_CHALLENGE is answered with the channel, Cognito USERNAME and SECRET_HASH are used', async () => {
    const { client, sent } = scriptedClient({
      InitiateAuth: () => ({
        ChallengeName: 'SELECT_CHALLENGE',
        Session: 'S1',
        AvailableChallenges: ['EMAIL_OTP', 'SMS_OTP'],
      }),
      RespondToAuthChallenge: (input) => {
        const responses = input.ChallengeResponses as Record<string, string>;
        if (responses.ANSWER) {
          return {
            ChallengeName: responses.ANSWER,
            Session: 'S2',
            ChallengeParameters: {
              CODE_DELIVERY_DELIVERY_MEDIUM: 'SMS',
              CODE_DELIVERY_DESTINATION: '+*********6789',
              USERNAME: 'b7c1-sub',
            },
          };
        }
        return { AuthenticationResult: tokens, ChallengeParameters: {} };
      },
    });
    const engine = engineWith(client);
    const step = await engine.startSignIn({ email: 'Yuki@Example.com', channel: 'SMS' }, ctx);
    expect(step).toMatchObject({
      nextStep: 'CONFIRM_SIGN_IN_WITH_SMS_CODE',
      // The other channel's number is never shown, not even its last digits.
      challenge: { codeLength: 8, delivery: { medium: 'SMS', destination: '+***********' } },
    });
    expect(sent.map((s) => s.name)).toEqual(['InitiateAuth', 'RespondToAuthChallenge']);
    expect(sent[0]!.input).toMatchObject({
      AuthFlow: 'USER_AUTH',
      ClientId: CLIENT_ID,
      AuthParameters: {
        USERNAME: 'yuki@example.com',
        PREFERRED_CHALLENGE: 'SMS_OTP',
        SECRET_HASH: secretHash(CLIENT_SECRET, 'yuki@example.com', CLIENT_ID),
      },
      UserContextData: { IpAddress: '192.0.2.44' },
    });
    expect(sent[1]!.input).toMatchObject({ ChallengeName: 'SELECT_CHALLENGE', Session: 'S1' });

    if (step.nextStep === 'DONE') throw new Error('unreachable');
    const done = await engine.verifyOtp({ handle: step.challenge.handle, code: '1234 5678' }, ctx);
    expect(done).toEqual({
      nextStep: 'DONE',
      tokens: {
        accessToken: 'a.b.c',
        idToken: 'd.e.f',
        refreshToken: 'rrr',
        expiresIn: 3600,
        tokenType: 'Bearer',
      },
    });
    expect(sent[2]!.input).toMatchObject({
      ChallengeName: 'SMS_OTP',
      Session: 'S2',
      ChallengeResponses: {
        USERNAME: 'b7c1-sub',
        SMS_OTP_CODE: '12345678',
        SECRET_HASH: secretHash(CLIENT_SECRET, 'b7c1-sub', CLIENT_ID),
      },
    });
  });

  test('tokens straight from USER_AUTH (no code asked) are refused', async () => {
    const { client } = scriptedClient({ InitiateAuth: () => ({ AuthenticationResult: tokens }) });
    await expect(engineWith(client).startSignIn({ email: 'a@example.com' }, ctx)).rejects.toMatchObject({
      code: 'INTERNAL_SERVER_ERROR',
    });
  });

  test('refresh and revoke send the raw ClientSecret', async () => {
    const { client, sent } = scriptedClient({
      GetTokensFromRefreshToken: () => ({ AuthenticationResult: { ...tokens, RefreshToken: undefined } }),
      RevokeToken: () => ({}),
    });
    const engine = engineWith(client);
    const step = await engine.refreshTokens({ refreshToken: 'rrr' }, ctx);
    expect(step).toEqual({
      nextStep: 'DONE',
      tokens: { accessToken: 'a.b.c', idToken: 'd.e.f', expiresIn: 3600, tokenType: 'Bearer' },
    });
    expect(await engine.signOut({ refreshToken: 'rrr' }, ctx)).toBe(true);
    expect(sent.map((s) => s.input)).toEqual([
      { ClientId: CLIENT_ID, RefreshToken: 'rrr', ClientSecret: CLIENT_SECRET },
      { ClientId: CLIENT_ID, Token: 'rrr', ClientSecret: CLIENT_SECRET },
    ]);
  });

  test('a client IP that does not parse is not sent to Cognito, and still counts', async () => {
    const { client, sent } = scriptedClient({
      InitiateAuth: () => ({ ChallengeName: 'EMAIL_OTP', Session: 'S', ChallengeParameters: {} }),
    });
    await engineWith(client).startSignIn({ email: 'a@example.com' }, { ...ctx, clientIp: 'unknown' });
    expect(sent[0]!.input.UserContextData).toBeUndefined();
  });
});
