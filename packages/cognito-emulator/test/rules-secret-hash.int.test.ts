// SECRET_HASH (docs/COGNITO.md): for a client with a secret, every passwordless operation needs
// Base64(HMAC-SHA256(secret, username + client id)); missing and wrong ones have Cognito's messages.
import {
  ConfirmSignUpCommand,
  InitiateAuthCommand,
  ResendConfirmationCodeCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { secretHash } from '../src/index.js';
import { expectTokens, newEmail, rejection } from './flows.js';
import { type Harness, harness } from './helpers.js';

describe('SECRET_HASH', () => {
  let h: Harness;
  let missing: object;
  let wrongHash: object;
  const hash = (username: string) => secretHash(h.clientSecret ?? '', username, h.clientId);
  // A hash computed for another name: well-formed, but not this request's.
  const badHash = () => hash('someone-else');

  beforeAll(async () => {
    h = await harness({ generateSecret: true });
    expect(h.clientSecret).toBeDefined();
    missing = rejection(
      'NotAuthorizedException',
      `Client ${h.clientId} is configured for secret but secret was not received`,
    );
    wrongHash = rejection('NotAuthorizedException', `Unable to verify secret hash for client ${h.clientId}`);
  });
  afterAll(async () => {
    await h[Symbol.asyncDispose]();
  });

  const signUp = (Username: string, SecretHash?: string) =>
    h.sdk.send(new SignUpCommand({ ClientId: h.clientId, Username, SecretHash }));
  const confirm = (Username: string, SecretHash?: string) =>
    h.sdk.send(
      new ConfirmSignUpCommand({
        ClientId: h.clientId,
        Username,
        SecretHash,
        ConfirmationCode: h.lastCode(Username),
      }),
    );
  const resend = (Username: string, SecretHash?: string) =>
    h.sdk.send(new ResendConfirmationCodeCommand({ ClientId: h.clientId, Username, SecretHash }));
  const initiate = (USERNAME: string, extra: Record<string, string>, Session?: string) =>
    h.sdk.send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_AUTH',
        ClientId: h.clientId,
        AuthParameters: { USERNAME, ...extra },
        Session,
      }),
    );
  const respond = (USERNAME: string, Session: string | undefined, extra: Record<string, string>) =>
    h.sdk.send(
      new RespondToAuthChallengeCommand({
        ClientId: h.clientId,
        ChallengeName: 'EMAIL_OTP',
        Session,
        ChallengeResponses: { USERNAME, EMAIL_OTP_CODE: h.lastCode(USERNAME), ...extra },
      }),
    );

  it('SignUp: missing, wrong, right', async () => {
    const email = newEmail();
    await expect(signUp(email)).rejects.toMatchObject(missing);
    await expect(signUp(email, badHash())).rejects.toMatchObject(wrongHash);
    await expect(signUp(email, hash(email))).resolves.toMatchObject({ UserConfirmed: false });
  });

  it('ResendConfirmationCode and ConfirmSignUp: missing, wrong, right', async () => {
    const email = newEmail();
    await signUp(email, hash(email));
    await expect(resend(email)).rejects.toMatchObject(missing);
    await expect(resend(email, badHash())).rejects.toMatchObject(wrongHash);
    await expect(resend(email, hash(email))).resolves.toBeDefined();
    await expect(confirm(email)).rejects.toMatchObject(missing);
    await expect(confirm(email, badHash())).rejects.toMatchObject(wrongHash);
    await expect(confirm(email, hash(email))).resolves.toMatchObject({ Session: expect.any(String) });
  });

  it('InitiateAuth (with and without a Session) and RespondToAuthChallenge: missing, wrong, right', async () => {
    const email = newEmail();
    await signUp(email, hash(email));
    const { Session: confirmed } = await confirm(email, hash(email));
    await expect(initiate(email, {}, confirmed)).rejects.toMatchObject(missing);
    await expect(initiate(email, { SECRET_HASH: badHash() }, confirmed)).rejects.toMatchObject(wrongHash);
    expectTokens((await initiate(email, { SECRET_HASH: hash(email) }, confirmed)).AuthenticationResult);

    await expect(initiate(email, {})).rejects.toMatchObject(missing);
    await expect(initiate(email, { SECRET_HASH: badHash() })).rejects.toMatchObject(wrongHash);
    const { Session } = await initiate(email, { SECRET_HASH: hash(email) });
    await expect(respond(email, Session, {})).rejects.toMatchObject(missing);
    await expect(respond(email, Session, { SECRET_HASH: badHash() })).rejects.toMatchObject(wrongHash);
    expectTokens((await respond(email, Session, { SECRET_HASH: hash(email) })).AuthenticationResult);
  });

  it('is computed over the name the request carries: the email in another case needs its own hash', async () => {
    const email = newEmail();
    await signUp(email, hash(email));
    await confirm(email, hash(email));
    const upper = email.toUpperCase();
    await expect(initiate(upper, { SECRET_HASH: hash(email) })).rejects.toMatchObject(wrongHash);
    await expect(initiate(upper, { SECRET_HASH: hash(upper) })).resolves.toMatchObject({
      ChallengeName: 'EMAIL_OTP',
    });
  });
});
