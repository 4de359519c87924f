// Tokens as a client of Cognito sees them, through the real AWS SDK only: issuance and claims (checked
// with jose against the published JWKS), refresh, RevokeToken, GlobalSignOut, GetUser, expiry.
import {
  AdminDeleteUserCommand,
  type AuthenticationResultType,
  type CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  CreateUserPoolClientCommand,
  GetTokensFromRefreshTokenCommand,
  GetUserCommand,
  GlobalSignOutCommand,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  RevokeTokenCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, type JWTPayload, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { secretHash } from '../src/index.js';
import { type Harness, harness } from './helpers.js';

const HOUR = 3600 * 1000;
const DAY = 24 * HOUR;

interface Client {
  clientId: string;
  clientSecret?: string;
}

const ownClient = (h: Harness): Client => ({ clientId: h.clientId, clientSecret: h.clientSecret });

function hashFor(client: Client, username: string): string | undefined {
  return client.clientSecret ? secretHash(client.clientSecret, username, client.clientId) : undefined;
}

/** SignUp without a password, ConfirmSignUp with the mailed code, then automatic sign-in (USER_AUTH + Session). */
async function signUpAndSignIn(h: Harness, email: string, client: Client = ownClient(h)) {
  const hash = hashFor(client, email);
  const signedUp = await h.sdk.send(
    new SignUpCommand({
      ClientId: client.clientId,
      Username: email,
      SecretHash: hash,
      UserAttributes: [{ Name: 'email', Value: email }],
    }),
  );
  const confirmed = await h.sdk.send(
    new ConfirmSignUpCommand({
      ClientId: client.clientId,
      Username: email,
      SecretHash: hash,
      ConfirmationCode: h.lastCode(email),
      Session: signedUp.Session,
    }),
  );
  const auth = await h.sdk.send(
    new InitiateAuthCommand({
      AuthFlow: 'USER_AUTH',
      ClientId: client.clientId,
      AuthParameters: { USERNAME: email, ...(hash ? { SECRET_HASH: hash } : {}) },
      Session: confirmed.Session,
    }),
  );
  return { sub: signedUp.UserSub ?? '', tokens: tokensOf(auth.AuthenticationResult) };
}

/** A later sign-in (another device): USER_AUTH, then the mailed EMAIL_OTP code. */
async function signIn(h: Harness, email: string, client: Client = ownClient(h)) {
  const hash = hashFor(client, email);
  const started = await h.sdk.send(
    new InitiateAuthCommand({
      AuthFlow: 'USER_AUTH',
      ClientId: client.clientId,
      AuthParameters: { USERNAME: email, ...(hash ? { SECRET_HASH: hash } : {}) },
    }),
  );
  expect(started.ChallengeName).toBe('EMAIL_OTP');
  const done = await h.sdk.send(
    new RespondToAuthChallengeCommand({
      ClientId: client.clientId,
      ChallengeName: 'EMAIL_OTP',
      Session: started.Session,
      ChallengeResponses: {
        USERNAME: email,
        EMAIL_OTP_CODE: h.lastCode(email),
        ...(hash ? { SECRET_HASH: hash } : {}),
      },
    }),
  );
  return tokensOf(done.AuthenticationResult);
}

function tokensOf(result: AuthenticationResultType | undefined) {
  const { AccessToken, IdToken, RefreshToken } = result ?? {};
  if (!AccessToken || !IdToken || !RefreshToken)
    throw new Error('authentication did not complete with tokens');
  return { AccessToken, IdToken, RefreshToken, result: result as AuthenticationResultType };
}

/** An extra app client in the harness's pool, set up like the default one unless overridden. */
async function addClient(h: Harness, overrides: Record<string, unknown> = {}): Promise<Client> {
  const created = await h.sdk.send(
    new CreateUserPoolClientCommand({
      UserPoolId: h.poolId,
      ClientName: 'second',
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

const getUser = (sdk: CognitoIdentityProviderClient, AccessToken: string) =>
  sdk.send(new GetUserCommand({ AccessToken }));

const refresh = (h: Harness, RefreshToken: string, client: Client = ownClient(h)) =>
  h.sdk.send(
    new GetTokensFromRefreshTokenCommand({
      ClientId: client.clientId,
      ClientSecret: client.clientSecret,
      RefreshToken,
    }),
  );

const refreshAuth = (
  h: Harness,
  REFRESH_TOKEN: string,
  extra: Record<string, string> = {},
  clientId = h.clientId,
) =>
  h.sdk.send(
    new InitiateAuthCommand({
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: clientId,
      AuthParameters: { REFRESH_TOKEN, ...extra },
    }),
  );

async function verifyWithJwks(h: Harness, token: string): Promise<JWTPayload> {
  const issuer = `${h.emulator.url}/${h.poolId}`;
  const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(token, jwks, {
    issuer,
    algorithms: ['RS256'],
    currentDate: new Date(h.clock.now()),
  });
  return payload;
}

const rejection = (name: string, message?: string) => (message === undefined ? { name } : { name, message });

describe('issued tokens', () => {
  it('are RS256 JWTs that verify against the pool JWKS and carry Cognito claims', async () => {
    await using h = await harness();
    const { sub, tokens } = await signUpAndSignIn(h, 'yuki@example.com');
    expect(tokens.result).toMatchObject({ ExpiresIn: 3600, TokenType: 'Bearer' });

    const now = Math.floor(h.clock.now() / 1000);
    const issuer = `${h.emulator.url}/${h.poolId}`;
    const access = await verifyWithJwks(h, tokens.AccessToken);
    expect(access).toEqual({
      sub,
      iss: issuer,
      client_id: h.clientId,
      origin_jti: expect.any(String),
      event_id: expect.any(String),
      token_use: 'access',
      scope: 'aws.cognito.signin.user.admin',
      auth_time: now,
      iat: now,
      exp: now + 3600,
      jti: expect.any(String),
      username: expect.any(String),
    });
    expect(access).not.toHaveProperty('aud');

    const id = await verifyWithJwks(h, tokens.IdToken);
    expect(id).toMatchObject({
      sub,
      iss: issuer,
      aud: h.clientId,
      token_use: 'id',
      email: 'yuki@example.com',
      email_verified: true,
      origin_jti: access.origin_jti,
      auth_time: now,
      iat: now,
      exp: now + 3600,
    });
    expect(id['cognito:username']).toBe(access.username);
    expect(id.jti).not.toBe(access.jti);

    const header = decodeProtectedHeader(tokens.AccessToken);
    expect(header).toEqual({ kid: expect.any(String), alg: 'RS256' });
    expect(decodeProtectedHeader(tokens.IdToken).kid).toBe(header.kid);
  });

  it('include a Cognito-sized opaque refresh token, unique per sign-in', async () => {
    await using h = await harness();
    const first = await signUpAndSignIn(h, 'ren@example.com');
    const second = await signIn(h, 'ren@example.com');
    for (const token of [first.tokens.RefreshToken, second.RefreshToken]) {
      expect(token.startsWith('eyJjdHkiOiJKV1QiLCJlbmMi')).toBe(true);
      expect(token.split('.')).toHaveLength(5);
      expect(token.length).toBeGreaterThan(1500);
      expect(token.length).toBeLessThan(2000);
    }
    expect(second.RefreshToken).not.toBe(first.tokens.RefreshToken);
    expect(decodeJwt(second.AccessToken).origin_jti).not.toBe(decodeJwt(first.tokens.AccessToken).origin_jti);
  });

  it('last as long as the client says (AccessTokenValidity in its unit)', async () => {
    await using h = await harness();
    const client = await addClient(h, {
      AccessTokenValidity: 5,
      IdTokenValidity: 10,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes' },
    });
    const { tokens } = await signUpAndSignIn(h, 'mio@example.com', client);
    expect(tokens.result.ExpiresIn).toBe(300);
    const access = decodeJwt(tokens.AccessToken);
    const id = decodeJwt(tokens.IdToken);
    expect((access.exp ?? 0) - (access.iat ?? 0)).toBe(300);
    expect((id.exp ?? 0) - (id.iat ?? 0)).toBe(600);
    h.clock.advance(301_000);
    await expect(getUser(h.sdk, tokens.AccessToken)).rejects.toMatchObject(
      rejection('NotAuthorizedException', 'Access Token has expired'),
    );
  });
});

describe('JWKS and OpenID configuration', () => {
  it('publish one 2048-bit RS256 signing key and the discovery document', async () => {
    await using h = await harness();
    const base = `${h.emulator.url}/${h.poolId}`;
    const jwks = (await (await fetch(`${base}/.well-known/jwks.json`)).json()) as {
      keys: Array<Record<string, string>>;
    };
    expect(jwks.keys).toHaveLength(1);
    const [key] = jwks.keys;
    expect(key).toEqual({
      alg: 'RS256',
      e: 'AQAB',
      kid: expect.any(String),
      kty: 'RSA',
      n: expect.any(String),
      use: 'sig',
    });
    expect(Buffer.from(key?.n ?? '', 'base64url').length * 8).toBe(2048);

    const config = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as Record<
      string,
      unknown
    >;
    expect(config).toMatchObject({
      issuer: base,
      jwks_uri: `${base}/.well-known/jwks.json`,
      id_token_signing_alg_values_supported: ['RS256'],
      subject_types_supported: ['public'],
      response_types_supported: expect.arrayContaining(['code']),
    });

    const missing = await fetch(`${h.emulator.url}/us-east-1_nothere/.well-known/jwks.json`);
    expect(missing.status).toBe(404);
  });

  it('give each pool its own key', async () => {
    await using h = await harness();
    const other = await h.emulator.createPasswordlessPool();
    const kid = async (poolId: string) =>
      (
        (await (await fetch(`${h.emulator.url}/${poolId}/.well-known/jwks.json`)).json()) as {
          keys: Array<{ kid: string }>;
        }
      ).keys[0]?.kid;
    expect(await kid(h.poolId)).not.toBe(await kid(other.userPoolId));
  });
});

describe('GetUser', () => {
  it('answers the token user with sub among the attributes', async () => {
    await using h = await harness();
    const { sub, tokens } = await signUpAndSignIn(h, 'sora@example.com');
    const user = await getUser(h.sdk, tokens.AccessToken);
    expect(user.Username).toBe(decodeJwt(tokens.AccessToken).username);
    expect(user.UserAttributes?.[0]).toEqual({ Name: 'sub', Value: sub });
    expect(user.UserAttributes).toEqual(
      expect.arrayContaining([
        { Name: 'email', Value: 'sora@example.com' },
        { Name: 'email_verified', Value: 'true' },
      ]),
    );
  });

  it('refuses an expired access token (one hour by default)', async () => {
    await using h = await harness();
    const { tokens } = await signUpAndSignIn(h, 'kai@example.com');
    h.clock.advance(HOUR - 1000);
    await getUser(h.sdk, tokens.AccessToken);
    h.clock.advance(1000);
    await expect(getUser(h.sdk, tokens.AccessToken)).rejects.toMatchObject(
      rejection('NotAuthorizedException', 'Access Token has expired'),
    );
  });

  it('refuses ID tokens, tampered tokens and tokens signed by another pool', async () => {
    await using h = await harness();
    const { tokens } = await signUpAndSignIn(h, 'aoi@example.com');
    const invalid = rejection('NotAuthorizedException', 'Invalid Access Token');
    await expect(getUser(h.sdk, tokens.IdToken)).rejects.toMatchObject(invalid);

    const [header, payload, signature] = tokens.AccessToken.split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString());
    const forged = Buffer.from(JSON.stringify({ ...claims, exp: claims.exp + 86400 })).toString('base64url');
    await expect(getUser(h.sdk, `${header}.${forged}.${signature}`)).rejects.toMatchObject(invalid);
    await expect(getUser(h.sdk, 'not.a.token')).rejects.toMatchObject(invalid);

    // A token of another pool, relabelled with this pool's key id and issuer, fails the signature.
    const other = await h.emulator.createPasswordlessPool();
    const foreign = await signUpAndSignIn(h, 'aoi@example.com', { clientId: other.clientId });
    const [, foreignPayload, foreignSignature] = foreign.tokens.AccessToken.split('.');
    const relabelled = Buffer.from(
      JSON.stringify({
        ...JSON.parse(Buffer.from(foreignPayload ?? '', 'base64url').toString()),
        iss: claims.iss,
      }),
    ).toString('base64url');
    await expect(getUser(h.sdk, `${header}.${relabelled}.${foreignSignature}`)).rejects.toMatchObject(
      invalid,
    );
    // Unchanged, it is valid for its own pool.
    await getUser(h.sdk, foreign.tokens.AccessToken);
  });

  it('answers UserNotFoundException once the user is deleted, and their refresh token is dead', async () => {
    await using h = await harness();
    const { tokens } = await signUpAndSignIn(h, 'haru@example.com');
    const username = decodeJwt(tokens.AccessToken).username as string;
    await h.sdk.send(new AdminDeleteUserCommand({ UserPoolId: h.poolId, Username: username }));
    await expect(getUser(h.sdk, tokens.AccessToken)).rejects.toMatchObject(
      rejection('UserNotFoundException'),
    );
    await expect(refresh(h, tokens.RefreshToken)).rejects.toMatchObject(
      rejection('NotAuthorizedException', 'Invalid Refresh Token.'),
    );
  });
});

describe('refresh', () => {
  it('GetTokensFromRefreshToken renews access and ID tokens of the same sign-in, without a new refresh token', async () => {
    await using h = await harness();
    const { tokens } = await signUpAndSignIn(h, 'nagi@example.com');
    const before = decodeJwt(tokens.AccessToken);
    h.clock.advance(2 * HOUR);
    await expect(getUser(h.sdk, tokens.AccessToken)).rejects.toMatchObject(
      rejection('NotAuthorizedException'),
    );

    const renewed = await refresh(h, tokens.RefreshToken);
    const result = renewed.AuthenticationResult;
    expect(result).toMatchObject({ ExpiresIn: 3600, TokenType: 'Bearer' });
    expect(result?.RefreshToken).toBeUndefined();
    const access = await verifyWithJwks(h, result?.AccessToken ?? '');
    const id = await verifyWithJwks(h, result?.IdToken ?? '');
    expect(access.origin_jti).toBe(before.origin_jti);
    expect(id.origin_jti).toBe(before.origin_jti);
    expect(access.jti).not.toBe(before.jti);
    expect(access.auth_time).toBe(before.auth_time);
    expect(access.iat).toBe((before.iat ?? 0) + 7200);
    await getUser(h.sdk, result?.AccessToken ?? '');
  });

  it('InitiateAuth REFRESH_TOKEN_AUTH (and its alias REFRESH_TOKEN) renews the tokens', async () => {
    await using h = await harness();
    const { tokens } = await signUpAndSignIn(h, 'riku@example.com');
    const renewed = await refreshAuth(h, tokens.RefreshToken);
    expect(renewed.ChallengeParameters).toEqual({});
    expect(renewed.ChallengeName).toBeUndefined();
    expect(renewed.AuthenticationResult?.RefreshToken).toBeUndefined();
    await getUser(h.sdk, renewed.AuthenticationResult?.AccessToken ?? '');

    const alias = await h.sdk.send(
      new InitiateAuthCommand({
        AuthFlow: 'REFRESH_TOKEN',
        ClientId: h.clientId,
        AuthParameters: { REFRESH_TOKEN: tokens.RefreshToken },
      }),
    );
    expect(alias.AuthenticationResult?.AccessToken).toBeDefined();
  });

  it('refuses an expired (30 days), unknown or other client’s refresh token', async () => {
    await using h = await harness();
    const { tokens } = await signUpAndSignIn(h, 'ema@example.com');
    const invalid = rejection('NotAuthorizedException', 'Invalid Refresh Token.');
    await expect(refresh(h, `${tokens.RefreshToken.slice(0, -4)}AAAA`)).rejects.toMatchObject(invalid);
    await expect(refreshAuth(h, 'garbage')).rejects.toMatchObject(invalid);

    const second = await addClient(h);
    await expect(refresh(h, tokens.RefreshToken, second)).rejects.toMatchObject(invalid);

    h.clock.advance(30 * DAY - 1000);
    await refresh(h, tokens.RefreshToken);
    h.clock.advance(1000);
    const expired = rejection('NotAuthorizedException', 'Refresh Token has expired');
    await expect(refresh(h, tokens.RefreshToken)).rejects.toMatchObject(expired);
    await expect(refreshAuth(h, tokens.RefreshToken)).rejects.toMatchObject(expired);
  });

  it('refuses a refresh token from another pool', async () => {
    await using h = await harness();
    const { tokens } = await signUpAndSignIn(h, 'tsubasa@example.com');
    const other = await h.emulator.createPasswordlessPool();
    await expect(refresh(h, tokens.RefreshToken, { clientId: other.clientId })).rejects.toMatchObject(
      rejection('NotAuthorizedException', 'Invalid Refresh Token.'),
    );
    await expect(refreshAuth(h, tokens.RefreshToken, {}, other.clientId)).rejects.toMatchObject(
      rejection('NotAuthorizedException', 'Invalid Refresh Token.'),
    );
    await expect(
      h.sdk.send(new RevokeTokenCommand({ ClientId: other.clientId, Token: tokens.RefreshToken })),
    ).rejects.toMatchObject(rejection('UnauthorizedException'));
    await refresh(h, tokens.RefreshToken);
  });

  it('REFRESH_TOKEN_AUTH needs ALLOW_REFRESH_TOKEN_AUTH on the client; GetTokensFromRefreshToken does not', async () => {
    await using h = await harness();
    const client = await addClient(h, { ExplicitAuthFlows: ['ALLOW_USER_AUTH'] });
    const { tokens } = await signUpAndSignIn(h, 'hina@example.com', client);
    await expect(refreshAuth(h, tokens.RefreshToken, {}, client.clientId)).rejects.toMatchObject(
      rejection('InvalidParameterException', 'REFRESH_TOKEN_AUTH flow not enabled for this client'),
    );
    await refresh(h, tokens.RefreshToken, client);
  });
});

describe('clients with a secret', () => {
  it('need the raw ClientSecret for GetTokensFromRefreshToken and RevokeToken', async () => {
    await using h = await harness({ generateSecret: true });
    const { tokens } = await signUpAndSignIn(h, 'kaede@example.com');
    const send = (ClientSecret?: string) =>
      h.sdk.send(
        new GetTokensFromRefreshTokenCommand({
          ClientId: h.clientId,
          ClientSecret,
          RefreshToken: tokens.RefreshToken,
        }),
      );
    await expect(send()).rejects.toMatchObject(
      rejection(
        'NotAuthorizedException',
        `Client ${h.clientId} is configured for secret but secret was not received`,
      ),
    );
    await expect(send('wrong')).rejects.toMatchObject(rejection('NotAuthorizedException'));
    expect((await send(h.clientSecret)).AuthenticationResult?.AccessToken).toBeDefined();

    const revoke = (ClientSecret?: string) =>
      h.sdk.send(new RevokeTokenCommand({ ClientId: h.clientId, ClientSecret, Token: tokens.RefreshToken }));
    await expect(revoke()).rejects.toMatchObject(rejection('UnauthorizedException'));
    await expect(revoke('wrong')).rejects.toMatchObject(rejection('UnauthorizedException'));
    await revoke(h.clientSecret);
    await expect(send(h.clientSecret)).rejects.toMatchObject(
      rejection('NotAuthorizedException', 'Refresh Token has been revoked'),
    );
  });

  it('need SECRET_HASH for REFRESH_TOKEN_AUTH, computed with the username or the sub', async () => {
    await using h = await harness({ generateSecret: true });
    const { sub, tokens } = await signUpAndSignIn(h, 'itsuki@example.com');
    const secret = h.clientSecret ?? '';
    const username = decodeJwt(tokens.AccessToken).username as string;
    await expect(refreshAuth(h, tokens.RefreshToken)).rejects.toMatchObject(
      rejection(
        'NotAuthorizedException',
        `Client ${h.clientId} is configured for secret but secret was not received`,
      ),
    );
    await expect(
      refreshAuth(h, tokens.RefreshToken, { SECRET_HASH: secretHash(secret, 'someone-else', h.clientId) }),
    ).rejects.toMatchObject(
      rejection('NotAuthorizedException', `SecretHash does not match for the client: ${h.clientId}`),
    );
    for (const name of [username, sub]) {
      const renewed = await refreshAuth(h, tokens.RefreshToken, {
        SECRET_HASH: secretHash(secret, name, h.clientId),
      });
      expect(renewed.AuthenticationResult?.AccessToken).toBeDefined();
    }
  });
});

describe('RevokeToken', () => {
  it('kills the refresh token and the access tokens minted from it, not the user’s other sign-ins', async () => {
    await using h = await harness();
    const phone = await signUpAndSignIn(h, 'yua@example.com');
    const laptop = await signIn(h, 'yua@example.com');
    const renewed = (await refresh(h, phone.tokens.RefreshToken)).AuthenticationResult?.AccessToken ?? '';

    await h.sdk.send(new RevokeTokenCommand({ ClientId: h.clientId, Token: phone.tokens.RefreshToken }));

    const revoked = rejection('NotAuthorizedException', 'Access Token has been revoked');
    await expect(getUser(h.sdk, phone.tokens.AccessToken)).rejects.toMatchObject(revoked);
    await expect(getUser(h.sdk, renewed)).rejects.toMatchObject(revoked);
    await expect(h.sdk.send(new GlobalSignOutCommand({ AccessToken: renewed }))).rejects.toMatchObject(
      revoked,
    );
    const refreshRevoked = rejection('NotAuthorizedException', 'Refresh Token has been revoked');
    await expect(refresh(h, phone.tokens.RefreshToken)).rejects.toMatchObject(refreshRevoked);
    await expect(refreshAuth(h, phone.tokens.RefreshToken)).rejects.toMatchObject(refreshRevoked);

    await getUser(h.sdk, laptop.AccessToken);
    await refresh(h, laptop.RefreshToken);
    // Revoking again, or revoking a token nobody issued, succeeds (RFC 7009).
    await h.sdk.send(new RevokeTokenCommand({ ClientId: h.clientId, Token: phone.tokens.RefreshToken }));
    await h.sdk.send(
      new RevokeTokenCommand({ ClientId: h.clientId, Token: 'eyJunknown.token.of.five.parts' }),
    );
  });

  it('takes only refresh tokens, and only where the client enables revocation', async () => {
    await using h = await harness();
    const { tokens } = await signUpAndSignIn(h, 'mei@example.com');
    await expect(
      h.sdk.send(new RevokeTokenCommand({ ClientId: h.clientId, Token: tokens.AccessToken })),
    ).rejects.toMatchObject(rejection('UnsupportedTokenTypeException'));
    await getUser(h.sdk, tokens.AccessToken);

    const noRevocation = await addClient(h, { EnableTokenRevocation: false });
    const other = await signIn(h, 'mei@example.com', noRevocation);
    await expect(
      h.sdk.send(new RevokeTokenCommand({ ClientId: noRevocation.clientId, Token: other.RefreshToken })),
    ).rejects.toMatchObject(rejection('UnsupportedOperationException'));
    await refresh(h, other.RefreshToken, noRevocation);
  });
});

describe('GlobalSignOut', () => {
  it('revokes every device’s tokens, on every client of the pool', async () => {
    await using h = await harness();
    const second = await addClient(h);
    const phone = await signUpAndSignIn(h, 'rin@example.com');
    const laptop = await signIn(h, 'rin@example.com');
    const tablet = await signIn(h, 'rin@example.com', second);
    const bystander = await signUpAndSignIn(h, 'other@example.com');

    await h.sdk.send(new GlobalSignOutCommand({ AccessToken: laptop.AccessToken }));

    const revoked = rejection('NotAuthorizedException', 'Access Token has been revoked');
    const refreshRevoked = rejection('NotAuthorizedException', 'Refresh Token has been revoked');
    for (const [tokens, client] of [
      [phone.tokens, ownClient(h)],
      [laptop, ownClient(h)],
      [tablet, second],
    ] as const) {
      await expect(getUser(h.sdk, tokens.AccessToken)).rejects.toMatchObject(revoked);
      await expect(refresh(h, tokens.RefreshToken, client)).rejects.toMatchObject(refreshRevoked);
    }
    await expect(
      h.sdk.send(new GlobalSignOutCommand({ AccessToken: laptop.AccessToken })),
    ).rejects.toMatchObject(revoked);
    await getUser(h.sdk, bystander.tokens.AccessToken);
  });

  it('leaves tokens issued afterwards valid, even within the same second', async () => {
    await using h = await harness();
    const { tokens } = await signUpAndSignIn(h, 'sara@example.com');
    await h.sdk.send(new GlobalSignOutCommand({ AccessToken: tokens.AccessToken }));
    // The ManualClock has not moved: the new sign-in shares iat and auth_time with the revoked one.
    const again = await signIn(h, 'sara@example.com');
    expect(decodeJwt(again.AccessToken).iat).toBe(decodeJwt(tokens.AccessToken).iat);
    await getUser(h.sdk, again.AccessToken);
    await refresh(h, again.RefreshToken);
    await expect(getUser(h.sdk, tokens.AccessToken)).rejects.toMatchObject(
      rejection('NotAuthorizedException'),
    );
  });

  it('refuses expired and malformed access tokens', async () => {
    await using h = await harness();
    const { tokens } = await signUpAndSignIn(h, 'nao@example.com');
    await expect(h.sdk.send(new GlobalSignOutCommand({ AccessToken: 'abc' }))).rejects.toMatchObject(
      rejection('NotAuthorizedException', 'Invalid Access Token'),
    );
    h.clock.advance(HOUR);
    await expect(
      h.sdk.send(new GlobalSignOutCommand({ AccessToken: tokens.AccessToken })),
    ).rejects.toMatchObject(rejection('NotAuthorizedException', 'Access Token has expired'));
    // The refresh token outlives the access token and was not signed out.
    await refresh(h, tokens.RefreshToken);
  });
});
