// The two flows of the reference transcript (docs/COGNITO.md: an AWS CLI session against real Cognito),
// request for request, with each answer compared to the transcript's. Codes come from the dev mailbox.
import {
  ConfirmSignUpCommand,
  InitiateAuthCommand,
  ResendConfirmationCodeCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DevMessage } from '../src/index.js';
import { expectTokens } from './flows.js';
import { type Harness, harness } from './helpers.js';

const EMAIL = 'yuki@example.com';

/** Drops the SDK's `$metadata`, leaving what Cognito answered. */
function body<T extends { $metadata: unknown }>(output: T): Omit<T, '$metadata'> {
  const { $metadata: _, ...rest } = output;
  return rest;
}

/** The dev mailbox over HTTP, newest first, as a developer or the CLI reads it. */
async function mailbox(h: Harness, to: string): Promise<DevMessage[]> {
  const response = await fetch(`${h.emulator.url}/_dev/messages?to=${encodeURIComponent(to)}`);
  expect(response.status).toBe(200);
  return (await response.json()) as DevMessage[];
}

describe('reference transcript', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h[Symbol.asyncDispose]();
  });

  it('A: sign-up, resend, confirmation, then automatic sign-in with SESSION in the auth parameters', async () => {
    // (1) sign-up --username <email> --user-attributes Name=email,Value=<email>
    const signedUp = await h.sdk.send(
      new SignUpCommand({
        ClientId: h.clientId,
        Username: EMAIL,
        UserAttributes: [{ Name: 'email', Value: EMAIL }],
      }),
    );
    expect(body(signedUp)).toEqual({
      UserConfirmed: false,
      CodeDeliveryDetails: { Destination: 'y***@e***', DeliveryMedium: 'EMAIL', AttributeName: 'email' },
      UserSub: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/),
      Session: expect.stringMatching(/^AYAB/),
    });
    const [first] = await mailbox(h, EMAIL);
    expect(first).toMatchObject({
      to: EMAIL,
      medium: 'EMAIL',
      kind: 'SIGN_UP',
      code: expect.stringMatching(/^\d{6}$/),
    });

    // (2-supplement) resend-confirmation-code
    const resent = await h.sdk.send(
      new ResendConfirmationCodeCommand({ ClientId: h.clientId, Username: EMAIL }),
    );
    expect(body(resent)).toEqual({
      CodeDeliveryDetails: { Destination: 'y***@e***', DeliveryMedium: 'EMAIL', AttributeName: 'email' },
    });
    const messages = await mailbox(h, EMAIL);
    expect(messages).toHaveLength(2);
    const code = messages[0]?.code ?? '';

    // (2) confirm-sign-up --confirmation-code <code>, with no Session, still answers one
    const confirmed = await h.sdk.send(
      new ConfirmSignUpCommand({ ClientId: h.clientId, Username: EMAIL, ConfirmationCode: code }),
    );
    expect(body(confirmed)).toEqual({ Session: expect.stringMatching(/^AYAB/) });

    // (3) initiate-auth --auth-flow USER_AUTH --auth-parameters USERNAME=<email>,SESSION=<session>
    const signedIn = await h.sdk.send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_AUTH',
        ClientId: h.clientId,
        AuthParameters: { USERNAME: EMAIL, SESSION: confirmed.Session ?? '' },
      }),
    );
    expect(Object.keys(body(signedIn)).sort()).toEqual(['AuthenticationResult', 'ChallengeParameters']);
    expect(signedIn.ChallengeParameters).toEqual({});
    expectTokens(signedIn.AuthenticationResult);
  });

  it('B: sign-in with EMAIL_OTP, resent by calling InitiateAuth again', async () => {
    // (4) initiate-auth --auth-flow USER_AUTH --auth-parameters USERNAME=<email>
    const start = () =>
      h.sdk.send(
        new InitiateAuthCommand({
          AuthFlow: 'USER_AUTH',
          ClientId: h.clientId,
          AuthParameters: { USERNAME: EMAIL },
        }),
      );
    const started = await start();
    expect(body(started)).toEqual({
      ChallengeName: 'EMAIL_OTP',
      Session: expect.stringMatching(/^AYAB/),
      ChallengeParameters: { CODE_DELIVERY_DELIVERY_MEDIUM: 'EMAIL', CODE_DELIVERY_DESTINATION: 'y***@e***' },
      AvailableChallenges: ['EMAIL_OTP'],
    });
    const [mailed] = await mailbox(h, EMAIL);
    expect(mailed).toMatchObject({
      medium: 'EMAIL',
      kind: 'SIGN_IN',
      code: expect.stringMatching(/^\d{8}$/),
    });

    // (5-supplement) resend: initiate-auth again gives a new code and a new Session
    const again = await start();
    expect(again.Session).not.toBe(started.Session);
    const [resent] = await mailbox(h, EMAIL);
    expect(resent?.code).toMatch(/^\d{8}$/);
    expect(resent?.sentAt).toBeDefined();

    // (5) respond-to-auth-challenge --challenge-name EMAIL_OTP --session <session>
    //     --challenge-responses USERNAME=<email>,EMAIL_OTP_CODE=<code>
    const done = await h.sdk.send(
      new RespondToAuthChallengeCommand({
        ClientId: h.clientId,
        ChallengeName: 'EMAIL_OTP',
        Session: again.Session,
        ChallengeResponses: { USERNAME: EMAIL, EMAIL_OTP_CODE: resent?.code ?? '' },
      }),
    );
    expect(Object.keys(body(done)).sort()).toEqual(['AuthenticationResult', 'ChallengeParameters']);
    expect(done.ChallengeParameters).toEqual({});
    expectTokens(done.AuthenticationResult);
  });

  it("A with the API model's fields: SignUp's Session passed to ConfirmSignUp, the top-level Session to InitiateAuth", async () => {
    const email = 'yoko@example.net';
    const signedUp = await h.sdk.send(
      new SignUpCommand({
        ClientId: h.clientId,
        Username: email,
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    const confirmed = await h.sdk.send(
      new ConfirmSignUpCommand({
        ClientId: h.clientId,
        Username: email,
        ConfirmationCode: h.lastCode(email),
        Session: signedUp.Session,
      }),
    );
    const signedIn = await h.sdk.send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_AUTH',
        ClientId: h.clientId,
        AuthParameters: { USERNAME: email },
        Session: confirmed.Session,
      }),
    );
    expect(signedIn.ChallengeName).toBeUndefined();
    expect(signedIn.Session).toBeUndefined();
    expectTokens(signedIn.AuthenticationResult);
  });
});
