import {
  AdminDeleteUserCommand,
  AdminGetUserCommand,
  AdminSetUserMFAPreferenceCommand,
  type CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  InitiateAuthCommand,
  ListUsersCommand,
  RespondToAuthChallengeCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../src/emulator.js';
import { type Harness, harness, sdkFor } from './helpers.js';

/** The exception name the SDK raised, so assertions read as Cognito's error names. */
async function errorOf(promise: Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('pool management through the AWS SDK', () => {
  let emulator: Emulator;
  let sdk: CognitoIdentityProviderClient;
  let poolId: string;

  beforeAll(async () => {
    emulator = await startEmulator();
    sdk = sdkFor(emulator);
    const created = await sdk.send(
      new CreateUserPoolCommand({
        PoolName: 'passwordless',
        UserPoolTier: 'ESSENTIALS',
        MfaConfiguration: 'OPTIONAL',
        Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP', 'SMS_OTP'] } },
        UsernameAttributes: ['email', 'phone_number'],
        AutoVerifiedAttributes: ['email'],
        UsernameConfiguration: { CaseSensitive: false },
      }),
    );
    poolId = created.UserPool?.Id ?? '';
  });
  afterAll(async () => {
    sdk.destroy();
    await emulator.close();
  });

  it('CreateUserPool answers the pool as DescribeUserPool does, with tier, factors, MFA and case sensitivity', async () => {
    expect(poolId).toMatch(/^us-east-1_[0-9A-Za-z]{9}$/);
    const { UserPool } = await sdk.send(new DescribeUserPoolCommand({ UserPoolId: poolId }));
    expect(UserPool).toMatchObject({
      Id: poolId,
      Name: 'passwordless',
      Arn: `arn:aws:cognito-idp:us-east-1:000000000000:userpool/${poolId}`,
      UserPoolTier: 'ESSENTIALS',
      MfaConfiguration: 'OPTIONAL',
      Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP', 'SMS_OTP'] } },
      UsernameAttributes: ['email', 'phone_number'],
      AutoVerifiedAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: false },
      EstimatedNumberOfUsers: 0,
    });
    // The SDK turns Cognito's epoch seconds into Dates.
    expect(UserPool?.CreationDate).toBeInstanceOf(Date);
  });

  it('defaults to what the API documents: ESSENTIALS, PASSWORD only, MFA OFF, case-sensitive usernames', async () => {
    const { UserPool } = await sdk.send(new CreateUserPoolCommand({ PoolName: 'defaults' }));
    expect(UserPool).toMatchObject({
      UserPoolTier: 'ESSENTIALS',
      MfaConfiguration: 'OFF',
      Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD'] } },
      UsernameConfiguration: { CaseSensitive: true },
    });
  });

  it('refuses passwordless factors on the LITE tier, under required MFA, and factors without PASSWORD', async () => {
    const lite = await errorOf(
      sdk.send(
        new CreateUserPoolCommand({
          PoolName: 'lite',
          UserPoolTier: 'LITE',
          Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] } },
        }),
      ),
    );
    expect(lite.name).toBe('FeatureUnavailableInTierException');

    const mfaOn = await errorOf(
      sdk.send(
        new CreateUserPoolCommand({
          PoolName: 'mfa-on',
          MfaConfiguration: 'ON',
          Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] } },
        }),
      ),
    );
    expect(mfaOn.name).toBe('InvalidParameterException');
    expect(mfaOn.message).toMatch(/MFA/);

    const noPassword = await errorOf(
      sdk.send(
        new CreateUserPoolCommand({
          PoolName: 'no-password',
          Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['EMAIL_OTP'] } },
        }),
      ),
    );
    expect(noPassword.name).toBe('InvalidParameterException');

    const badTier = await errorOf(
      sdk.send(new CreateUserPoolCommand({ PoolName: 'x', UserPoolTier: 'GOLD' as 'LITE' })),
    );
    expect(badTier).toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringMatching(/userPoolTier/),
    });
  });

  it('CreateUserPoolClient: generated secret, AuthSessionValidity, PreventUserExistenceErrors, token validity', async () => {
    const { UserPoolClient } = await sdk.send(
      new CreateUserPoolClientCommand({
        UserPoolId: poolId,
        ClientName: 'web',
        GenerateSecret: true,
        ExplicitAuthFlows: ['ALLOW_USER_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        AuthSessionValidity: 15,
        PreventUserExistenceErrors: 'ENABLED',
        AccessTokenValidity: 30,
        IdTokenValidity: 30,
        RefreshTokenValidity: 7,
        TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
      }),
    );
    expect(UserPoolClient?.ClientId).toMatch(/^[a-z0-9]{26}$/);
    expect(UserPoolClient?.ClientSecret).toMatch(/^[a-z0-9]{40,}$/);

    const described = await sdk.send(
      new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: UserPoolClient?.ClientId }),
    );
    expect(described.UserPoolClient).toMatchObject({
      UserPoolId: poolId,
      ClientName: 'web',
      ClientSecret: UserPoolClient?.ClientSecret,
      ExplicitAuthFlows: ['ALLOW_USER_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      AuthSessionValidity: 15,
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
      AccessTokenValidity: 30,
      IdTokenValidity: 30,
      RefreshTokenValidity: 7,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'days' },
    });
  });

  it("a client's defaults: no secret, 3-minute sessions, LEGACY existence errors, 1 h / 1 h / 30 d tokens", async () => {
    const { UserPoolClient } = await sdk.send(
      new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'plain' }),
    );
    expect(UserPoolClient?.ClientSecret).toBeUndefined();
    expect(UserPoolClient).toMatchObject({
      AuthSessionValidity: 3,
      PreventUserExistenceErrors: 'LEGACY',
      ExplicitAuthFlows: ['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH', 'ALLOW_CUSTOM_AUTH'],
      AccessTokenValidity: 1,
      IdTokenValidity: 1,
      RefreshTokenValidity: 30,
      TokenValidityUnits: { AccessToken: 'hours', IdToken: 'hours', RefreshToken: 'days' },
    });
  });

  it.each([2, 16, 0])(
    'AuthSessionValidity %i is outside 3..15: InvalidParameterException naming the field',
    async (minutes) => {
      const error = await errorOf(
        sdk.send(
          new CreateUserPoolClientCommand({
            UserPoolId: poolId,
            ClientName: 'c',
            AuthSessionValidity: minutes,
          }),
        ),
      );
      expect(error.name).toBe('InvalidParameterException');
      expect(error.message).toContain('authSessionValidity');
    },
  );

  it('refuses token validity outside Cognito ranges and a mix of legacy and ALLOW_ auth flows', async () => {
    const tooShort = await errorOf(
      sdk.send(
        new CreateUserPoolClientCommand({
          UserPoolId: poolId,
          ClientName: 'c',
          AccessTokenValidity: 4,
          TokenValidityUnits: { AccessToken: 'minutes' },
        }),
      ),
    );
    expect(tooShort).toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('AccessTokenValidity'),
    });
    const tooLong = await errorOf(
      sdk.send(new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'c', IdTokenValidity: 25 })),
    );
    expect(tooLong).toMatchObject({
      name: 'InvalidParameterException',
      message: expect.stringContaining('IdTokenValidity'),
    });
    const mixed = await errorOf(
      sdk.send(
        new CreateUserPoolClientCommand({
          UserPoolId: poolId,
          ClientName: 'c',
          ExplicitAuthFlows: ['USER_PASSWORD_AUTH', 'ALLOW_USER_AUTH'],
        }),
      ),
    );
    expect(mixed.name).toBe('InvalidParameterException');
  });

  it('answers ResourceNotFoundException for an unknown pool, an unknown client and a client of another pool', async () => {
    expect(
      (await errorOf(sdk.send(new DescribeUserPoolCommand({ UserPoolId: 'us-east-1_nope00000' })))).name,
    ).toBe('ResourceNotFoundException');
    expect(
      (
        await errorOf(
          sdk.send(new CreateUserPoolClientCommand({ UserPoolId: 'us-east-1_nope00000', ClientName: 'c' })),
        )
      ).name,
    ).toBe('ResourceNotFoundException');
    expect(
      (await errorOf(sdk.send(new DescribeUserPoolClientCommand({ UserPoolId: poolId, ClientId: 'nope' }))))
        .name,
    ).toBe('ResourceNotFoundException');

    const other = await sdk.send(new CreateUserPoolCommand({ PoolName: 'other' }));
    const client = await sdk.send(
      new CreateUserPoolClientCommand({ UserPoolId: poolId, ClientName: 'mine' }),
    );
    const crossed = await errorOf(
      sdk.send(
        new DescribeUserPoolClientCommand({
          UserPoolId: other.UserPool?.Id,
          ClientId: client.UserPoolClient?.ClientId,
        }),
      ),
    );
    expect(crossed.name).toBe('ResourceNotFoundException');
  });
});

describe('user administration through the AWS SDK', () => {
  let h: Harness;
  const emails = [
    'yuki@example.com',
    'yoko@example.com',
    'ken@example.org',
    'aiko@example.org',
    'mai@example.net',
  ];

  async function signUp(email: string): Promise<string> {
    const out = await h.sdk.send(
      new SignUpCommand({
        ClientId: h.clientId,
        Username: email,
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    return out.UserSub ?? '';
  }

  beforeAll(async () => {
    h = await harness();
    for (const email of emails) {
      await signUp(email);
      // Distinct creation times make the ListUsers order (creation order) deterministic.
      h.clock.advance(1000);
    }
    await h.sdk.send(
      new ConfirmSignUpCommand({
        ClientId: h.clientId,
        Username: 'yuki@example.com',
        ConfirmationCode: h.lastCode('yuki@example.com'),
      }),
    );
  });
  afterAll(async () => {
    await h[Symbol.asyncDispose]();
  });

  it('AdminGetUser finds a user by email alias; the stored username is the sub', async () => {
    const user = await h.sdk.send(
      new AdminGetUserCommand({ UserPoolId: h.poolId, Username: 'YUKI@example.com' }),
    );
    const sub = user.UserAttributes?.find((a) => a.Name === 'sub')?.Value;
    expect(sub).toMatch(/^[0-9a-f-]{36}$/);
    expect(user).toMatchObject({ Username: sub, Enabled: true, UserStatus: 'CONFIRMED' });
    expect(user.UserAttributes).toContainEqual({ Name: 'email', Value: 'yuki@example.com' });
    expect(user.UserCreateDate).toEqual(new Date(Date.UTC(2026, 0, 1)));
    expect(user.UserLastModifiedDate).toBeInstanceOf(Date);
    expect(user.UserMFASettingList).toBeUndefined();

    // The sub itself is the username too.
    const bySub = await h.sdk.send(new AdminGetUserCommand({ UserPoolId: h.poolId, Username: sub }));
    expect(bySub.Username).toBe(sub);

    const pending = await h.sdk.send(
      new AdminGetUserCommand({ UserPoolId: h.poolId, Username: 'ken@example.org' }),
    );
    expect(pending.UserStatus).toBe('UNCONFIRMED');
  });

  it('AdminGetUser: UserNotFoundException for an unknown user, ResourceNotFoundException for an unknown pool', async () => {
    expect(
      (
        await errorOf(
          h.sdk.send(new AdminGetUserCommand({ UserPoolId: h.poolId, Username: 'nobody@example.com' })),
        )
      ).name,
    ).toBe('UserNotFoundException');
    expect(
      (
        await errorOf(
          h.sdk.send(new AdminGetUserCommand({ UserPoolId: 'us-east-1_nope00000', Username: 'x' })),
        )
      ).name,
    ).toBe('ResourceNotFoundException');
  });

  it('ListUsers filters on email (= and ^=), username, sub and cognito:user_status', async () => {
    const list = async (Filter?: string) =>
      (await h.sdk.send(new ListUsersCommand({ UserPoolId: h.poolId, Filter }))).Users ?? [];
    const email = (u: { Attributes?: Array<{ Name?: string; Value?: string }> }) =>
      u.Attributes?.find((a) => a.Name === 'email')?.Value;

    expect((await list()).map(email)).toEqual(emails);
    expect((await list('email = "ken@example.org"')).map(email)).toEqual(['ken@example.org']);
    expect((await list('email ^= "yo"')).map(email)).toEqual(['yoko@example.com']);
    expect((await list('email^="y"')).map(email)).toEqual(['yuki@example.com', 'yoko@example.com']);
    expect(await list('email = "nobody@example.com"')).toEqual([]);
    expect((await list('cognito:user_status = "confirmed"')).map(email)).toEqual(['yuki@example.com']);
    expect((await list('cognito:user_status = "UNCONFIRMED"')).length).toBe(4);
    expect((await list('status = "Enabled"')).length).toBe(5);

    const [mai] = await list('email = "mai@example.net"');
    const sub = mai?.Attributes?.find((a) => a.Name === 'sub')?.Value ?? '';
    expect((await list(`sub = "${sub}"`)).map(email)).toEqual(['mai@example.net']);
    expect((await list(`username = "${sub}"`)).map(email)).toEqual(['mai@example.net']);
    expect(mai).toMatchObject({ Username: sub, Enabled: true, UserStatus: 'UNCONFIRMED' });
  });

  it('ListUsers refuses a filter it cannot parse or an attribute Cognito cannot search', async () => {
    for (const Filter of ['email = ken@example.org', 'email != "x"', 'custom:team = "a"']) {
      const error = await errorOf(h.sdk.send(new ListUsersCommand({ UserPoolId: h.poolId, Filter })));
      expect(error.name, Filter).toBe('InvalidParameterException');
    }
    const limit = await errorOf(h.sdk.send(new ListUsersCommand({ UserPoolId: h.poolId, Limit: 61 })));
    expect(limit.name).toBe('InvalidParameterException');
  });

  it('ListUsers pages with Limit and an opaque PaginationToken, and trims attributes to AttributesToGet', async () => {
    const seen: string[] = [];
    let PaginationToken: string | undefined;
    let pages = 0;
    do {
      const page = await h.sdk.send(
        new ListUsersCommand({ UserPoolId: h.poolId, Limit: 2, PaginationToken, AttributesToGet: ['email'] }),
      );
      pages += 1;
      for (const user of page.Users ?? []) {
        expect(user.Attributes?.map((a) => a.Name)).toEqual(['email']);
        seen.push(user.Attributes?.[0]?.Value ?? '');
      }
      PaginationToken = page.PaginationToken;
    } while (PaginationToken);
    expect(pages).toBe(3);
    expect(seen).toEqual(emails);

    const bad = await errorOf(
      h.sdk.send(new ListUsersCommand({ UserPoolId: h.poolId, PaginationToken: 'not-a-token' })),
    );
    expect(bad.name).toBe('InvalidParameterException');
  });

  it('AdminSetUserMFAPreference gives a user MFA, which takes EMAIL_OTP away as a first factor', async () => {
    const username = 'yuki@example.com';
    const before = await h.sdk.send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_AUTH',
        ClientId: h.clientId,
        AuthParameters: { USERNAME: username },
      }),
    );
    expect(before.ChallengeName).toBe('EMAIL_OTP');

    await h.sdk.send(
      new AdminSetUserMFAPreferenceCommand({
        UserPoolId: h.poolId,
        Username: username,
        SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
      }),
    );
    const user = await h.sdk.send(new AdminGetUserCommand({ UserPoolId: h.poolId, Username: username }));
    expect(user.PreferredMfaSetting).toBe('SOFTWARE_TOKEN_MFA');
    expect(user.UserMFASettingList).toEqual(['SOFTWARE_TOKEN_MFA']);

    // Which answer Cognito gives is undocumented (behaviour.mfaRestriction); either way no EMAIL_OTP code.
    h.emulator.clearMessages();
    try {
      const after = await h.sdk.send(
        new InitiateAuthCommand({
          AuthFlow: 'USER_AUTH',
          ClientId: h.clientId,
          AuthParameters: { USERNAME: username },
        }),
      );
      expect(after.ChallengeName).not.toBe('EMAIL_OTP');
      expect(after.AvailableChallenges ?? []).not.toContain('EMAIL_OTP');
    } catch (error) {
      expect((error as Error).name).toBe('InvalidParameterException');
    }
    expect(h.emulator.messages(username)).toEqual([]);

    // Switching MFA off again gives the factor back.
    await h.sdk.send(
      new AdminSetUserMFAPreferenceCommand({
        UserPoolId: h.poolId,
        Username: username,
        SoftwareTokenMfaSettings: { Enabled: false },
      }),
    );
    const cleared = await h.sdk.send(new AdminGetUserCommand({ UserPoolId: h.poolId, Username: username }));
    expect(cleared.PreferredMfaSetting).toBeUndefined();
    expect(cleared.UserMFASettingList).toBeUndefined();
    const again = await h.sdk.send(
      new InitiateAuthCommand({
        AuthFlow: 'USER_AUTH',
        ClientId: h.clientId,
        AuthParameters: { USERNAME: username },
      }),
    );
    expect(again.ChallengeName).toBe('EMAIL_OTP');
  });

  it('AdminSetUserMFAPreference: SMS preferred over TOTP, and refuses two preferred types or email MFA', async () => {
    const username = 'yoko@example.com';
    await h.sdk.send(
      new AdminSetUserMFAPreferenceCommand({
        UserPoolId: h.poolId,
        Username: username,
        SMSMfaSettings: { Enabled: true, PreferredMfa: true },
        SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: false },
      }),
    );
    const user = await h.sdk.send(new AdminGetUserCommand({ UserPoolId: h.poolId, Username: username }));
    expect(user.PreferredMfaSetting).toBe('SMS_MFA');
    expect(user.UserMFASettingList).toEqual(['SMS_MFA', 'SOFTWARE_TOKEN_MFA']);

    const both = await errorOf(
      h.sdk.send(
        new AdminSetUserMFAPreferenceCommand({
          UserPoolId: h.poolId,
          Username: username,
          SMSMfaSettings: { Enabled: true, PreferredMfa: true },
          SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
        }),
      ),
    );
    expect(both.name).toBe('InvalidParameterException');
    const email = await errorOf(
      h.sdk.send(
        new AdminSetUserMFAPreferenceCommand({
          UserPoolId: h.poolId,
          Username: username,
          EmailMfaSettings: { Enabled: true },
        }),
      ),
    );
    expect(email.name).toBe('InvalidParameterException');
    const unknown = await errorOf(
      h.sdk.send(
        new AdminSetUserMFAPreferenceCommand({
          UserPoolId: h.poolId,
          Username: 'nobody@example.com',
          SMSMfaSettings: { Enabled: true },
        }),
      ),
    );
    expect(unknown.name).toBe('UserNotFoundException');
  });

  it('AdminDeleteUser removes the user, their pending sign-in Session and their refresh tokens', async () => {
    const username = 'aiko@example.org';
    const extra = 'nana@example.com';
    await signUp(extra);
    await h.sdk.send(
      new ConfirmSignUpCommand({
        ClientId: h.clientId,
        Username: extra,
        ConfirmationCode: h.lastCode(extra),
      }),
    );
    const auth = {
      AuthFlow: 'USER_AUTH' as const,
      ClientId: h.clientId,
      AuthParameters: { USERNAME: extra },
    };
    const first = await h.sdk.send(new InitiateAuthCommand(auth));
    const signedIn = await h.sdk.send(
      new RespondToAuthChallengeCommand({
        ClientId: h.clientId,
        ChallengeName: 'EMAIL_OTP',
        Session: first.Session,
        ChallengeResponses: { USERNAME: extra, EMAIL_OTP_CODE: h.lastCode(extra) },
      }),
    );
    const refreshToken = signedIn.AuthenticationResult?.RefreshToken;
    expect(refreshToken).toBeTruthy();
    const pending = await h.sdk.send(new InitiateAuthCommand(auth));
    expect(pending.ChallengeName).toBe('EMAIL_OTP');

    await h.sdk.send(new AdminDeleteUserCommand({ UserPoolId: h.poolId, Username: username }));
    await h.sdk.send(new AdminDeleteUserCommand({ UserPoolId: h.poolId, Username: extra }));
    for (const gone of [username, extra]) {
      const error = await errorOf(
        h.sdk.send(new AdminGetUserCommand({ UserPoolId: h.poolId, Username: gone })),
      );
      expect(error.name).toBe('UserNotFoundException');
    }
    const twice = await errorOf(
      h.sdk.send(new AdminDeleteUserCommand({ UserPoolId: h.poolId, Username: username })),
    );
    expect(twice.name).toBe('UserNotFoundException');
    const list = await h.sdk.send(new ListUsersCommand({ UserPoolId: h.poolId, Filter: 'email ^= "aiko"' }));
    expect(list.Users).toEqual([]);

    // Nothing issued before the deletion completes afterwards.
    const late = await errorOf(
      h.sdk.send(
        new RespondToAuthChallengeCommand({
          ClientId: h.clientId,
          ChallengeName: 'EMAIL_OTP',
          Session: pending.Session,
          ChallengeResponses: { USERNAME: extra, EMAIL_OTP_CODE: h.lastCode(extra) },
        }),
      ),
    );
    expect(['NotAuthorizedException', 'UserNotFoundException', 'CodeMismatchException']).toContain(late.name);
    const refresh = await errorOf(
      h.sdk.send(
        new InitiateAuthCommand({
          AuthFlow: 'REFRESH_TOKEN_AUTH',
          ClientId: h.clientId,
          AuthParameters: { REFRESH_TOKEN: refreshToken ?? '' },
        }),
      ),
    );
    expect(['NotAuthorizedException', 'UserNotFoundException']).toContain(refresh.name);
  });

  it('a deleted user can sign up again under the same email, as a new user with a new sub', async () => {
    const before = await h.sdk.send(
      new ListUsersCommand({ UserPoolId: h.poolId, Filter: 'email = "mai@example.net"' }),
    );
    const oldSub = before.Users?.[0]?.Username;
    await h.sdk.send(new AdminDeleteUserCommand({ UserPoolId: h.poolId, Username: 'mai@example.net' }));
    const newSub = await signUp('mai@example.net');
    expect(newSub).not.toBe(oldSub);
  });
});
