// Steps of the passwordless flows through the real AWS SDK, shared by the sign-up, sign-in and rule
// tests. Everything goes over HTTP; `userIn` reads emulator state only to check what the SDK cannot see.
import {
  type AuthenticationResultType,
  ConfirmSignUpCommand,
  CreateUserPoolClientCommand,
  type CreateUserPoolClientCommandInput,
  CreateUserPoolCommand,
  type CreateUserPoolCommandInput,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { expect } from 'vitest';
import { secretHash } from '../src/index.js';
import { findUser } from '../src/operations/context.js';
import type { PoolUser } from '../src/state.js';
import type { Harness } from './helpers.js';

export interface Client {
  clientId: string;
  clientSecret?: string;
}

export const ownClient = (h: Harness): Client => ({ clientId: h.clientId, clientSecret: h.clientSecret });

let counter = 0;
/** A fresh address per call, so tests sharing one emulator never meet each other's users. */
export const newEmail = (prefix = 'user') => `${prefix}${++counter}@example.com`;
/** A fresh E.164 number ending in 5678 (for the masking checks). */
export const newPhone = () => `+8190${String(1000 + (++counter % 9000))}5678`;

export function hashFor(client: Client, username: string): string | undefined {
  return client.clientSecret ? secretHash(client.clientSecret, username, client.clientId) : undefined;
}

const withHash = (client: Client, username: string): Record<string, string> => {
  const hash = hashFor(client, username);
  return hash ? { SECRET_HASH: hash } : {};
};

/** SignUp without a password, the username being the email (plus a phone number if given). */
export function signUp(
  h: Harness,
  email: string,
  options: { phone?: string; client?: Client; password?: string } = {},
) {
  const client = options.client ?? ownClient(h);
  const attributes = [{ Name: 'email', Value: email }];
  if (options.phone) attributes.push({ Name: 'phone_number', Value: options.phone });
  return h.sdk.send(
    new SignUpCommand({
      ClientId: client.clientId,
      Username: email,
      SecretHash: hashFor(client, email),
      Password: options.password,
      UserAttributes: attributes,
    }),
  );
}

export function confirm(
  h: Harness,
  username: string,
  code: string,
  client: Client = ownClient(h),
  session?: string,
) {
  return h.sdk.send(
    new ConfirmSignUpCommand({
      ClientId: client.clientId,
      Username: username,
      ConfirmationCode: code,
      SecretHash: hashFor(client, username),
      Session: session,
    }),
  );
}

/** A CONFIRMED user with a verified email (and the phone number if given); returns ConfirmSignUp's Session. */
export async function confirmedUser(
  h: Harness,
  email: string,
  options: { phone?: string; client?: Client; password?: string } = {},
): Promise<string | undefined> {
  await signUp(h, email, options);
  const confirmed = await confirm(h, email, h.lastCode(email), options.client);
  return confirmed.Session;
}

export function startSignIn(
  h: Harness,
  username: string,
  extra: Record<string, string> = {},
  client: Client = ownClient(h),
  session?: string,
) {
  return h.sdk.send(
    new InitiateAuthCommand({
      AuthFlow: 'USER_AUTH',
      ClientId: client.clientId,
      AuthParameters: { USERNAME: username, ...withHash(client, username), ...extra },
      Session: session,
    }),
  );
}

export function answer(
  h: Harness,
  session: string | undefined,
  username: string,
  code: string,
  challenge: 'EMAIL_OTP' | 'SMS_OTP' = 'EMAIL_OTP',
  client: Client = ownClient(h),
) {
  return h.sdk.send(
    new RespondToAuthChallengeCommand({
      ClientId: client.clientId,
      ChallengeName: challenge,
      Session: session,
      ChallengeResponses: {
        USERNAME: username,
        [challenge === 'EMAIL_OTP' ? 'EMAIL_OTP_CODE' : 'SMS_OTP_CODE']: code,
        ...withHash(client, username),
      },
    }),
  );
}

/** A code that is certainly not `code`, of the same length. */
export const wrong = (code: string) => code.replace(/\d$/, (d) => String((Number(d) + 1) % 10));

/** Access, ID and refresh tokens with Cognito's defaults (one hour, Bearer). */
export function expectTokens(result: AuthenticationResultType | undefined): void {
  expect(result).toEqual({
    AccessToken: expect.stringMatching(/^ey/),
    IdToken: expect.stringMatching(/^ey/),
    RefreshToken: expect.any(String),
    ExpiresIn: 3600,
    TokenType: 'Bearer',
  });
}

/** A rejection of the SDK with this exception name (and message, if given). */
export const rejection = (name: string, message?: string | RegExp) =>
  message === undefined
    ? { name }
    : { name, message: typeof message === 'string' ? message : expect.stringMatching(message) };

export const INVALID_SESSION = rejection(
  'NotAuthorizedException',
  'Invalid session for the user, session is expired.',
);

/** The stored user behind a sign-in name, for the checks the API cannot make. */
export function userIn(h: Harness, username: string): PoolUser {
  const pool = h.emulator.state.pools.get(h.poolId);
  const user = pool && findUser(pool, username);
  if (!user) throw new Error(`no user ${username}`);
  return user;
}

/** Another app client in the harness's pool, like the default one unless overridden. */
export async function addClient(
  h: Harness,
  overrides: Partial<CreateUserPoolClientCommandInput> = {},
  poolId = h.poolId,
): Promise<Client> {
  const created = await h.sdk.send(
    new CreateUserPoolClientCommand({
      UserPoolId: poolId,
      ClientName: 'extra',
      ExplicitAuthFlows: ['ALLOW_USER_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
      ...overrides,
    }),
  );
  return {
    clientId: created.UserPoolClient?.ClientId ?? '',
    clientSecret: created.UserPoolClient?.ClientSecret,
  };
}

/** Another pool in the harness's emulator, created as a client of the real API would. */
export async function addPool(h: Harness, input: Partial<CreateUserPoolCommandInput> = {}): Promise<string> {
  const created = await h.sdk.send(new CreateUserPoolCommand({ PoolName: 'extra', ...input }));
  return created.UserPool?.Id ?? '';
}
