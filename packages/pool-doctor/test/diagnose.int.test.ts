// diagnose against the emulator through the real AWS SDK: a correct pool passes; each misconfiguration
// fails with its own message and fix; each warning warns; unreadable pools and clients fail cleanly.
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { type Emulator, startEmulator } from '@otpgate/cognito-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnose } from '../src/diagnose.js';
import { formatReport, summarizeReport } from '../src/format.js';
import type { DoctorReport, ProfileToCheck } from '../src/types.js';
import { check, createPool, problems, sdkFor } from './helpers.js';

let emulator: Emulator;
let sdk: CognitoIdentityProviderClient;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  sdk = sdkFor(emulator);
});
afterAll(async () => {
  sdk.destroy();
  await emulator.close();
});

/** Makes a pool and client (good settings, overrides on top) and diagnoses it as profile "web". */
async function diagnosePool(
  pool: Parameters<typeof createPool>[1] = {},
  client: Parameters<typeof createPool>[2] = {},
  profile: Partial<ProfileToCheck> & { knowsSecret?: boolean } = {},
): Promise<DoctorReport> {
  const made = await createPool(sdk, pool, client);
  const { knowsSecret = true, ...rest } = profile;
  return diagnose({
    client: sdk,
    profiles: [
      {
        name: 'web',
        userPoolId: made.userPoolId,
        clientId: made.clientId,
        authSessionValiditySeconds: 300,
        ...(knowsSecret && made.clientSecret !== undefined && { clientSecret: made.clientSecret }),
        ...rest,
      },
    ],
  });
}

describe('a correctly made pool', () => {
  it('passes every check, with no warning', async () => {
    const report = await diagnosePool();
    expect(problems(report)).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.pools[0]?.checks.map((c) => c.id)).toEqual([
      'pool.tier',
      'pool.first-factors',
      'pool.mfa',
      'pool.username-case',
      'pool.email-username',
      'pool.email-auto-verify',
      'pool.email-sender',
    ]);
    expect(report.profiles[0]?.checks.map((c) => c.id)).toEqual([
      'client.user-auth',
      'client.refresh-token-auth',
      'client.user-existence-errors',
      'client.token-revocation',
      'client.auth-session-validity',
      'profile.auth-session-validity',
      'client.secret',
    ]);
    expect(summarizeReport(report)).toMatch(/^pool doctor: all 14 checks passed \(1 user pool, 1 profile\)$/);
  });
});

describe('each misconfiguration fails with its own message and fix', () => {
  it('LITE tier (made the way Cognito allows it: PASSWORD only)', async () => {
    const report = await diagnosePool({
      UserPoolTier: 'LITE',
      Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD'] } },
    });
    const tier = check(report, 'pool.tier');
    expect(tier).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/Feature plan is LITE.*ESSENTIALS or PLUS/),
    });
    expect(tier.fix?.console).toMatch(/Settings > Feature plans > Change plan > Essentials/);
    expect(tier.fix?.cli).toMatch(
      /^aws cognito-idp update-user-pool --region us-east-1 --cli-input-json '.*"UserPoolTier":"ESSENTIALS"/,
    );
    // The one command fixes the factor too, which LITE could not have.
    expect(tier.fix?.cli).toContain('"AllowedFirstAuthFactors":["PASSWORD","EMAIL_OTP"]');
    expect(problems(report)).toEqual(['pool.tier fail', 'pool.first-factors fail']);
    expect(report.ok).toBe(false);
  });

  it('no EMAIL_OTP first factor', async () => {
    const report = await diagnosePool({
      Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'SMS_OTP'] } },
    });
    const factors = check(report, 'pool.first-factors');
    expect(factors.status).toBe('fail');
    expect(factors.message).toMatch(/does not offer EMAIL_OTP \(first factors: PASSWORD, SMS_OTP\)/);
    expect(factors.fix?.console).toMatch(
      /Authentication > Sign-in > Options for choice-based sign-in > Edit .*Email message one-time password/,
    );
    expect(factors.fix?.cli).toContain('"AllowedFirstAuthFactors":["PASSWORD","SMS_OTP","EMAIL_OTP"]');
    expect(problems(report)).toEqual(['pool.first-factors fail']);
  });

  it('MFA required (made the way Cognito allows it: no OTP factor)', async () => {
    const report = await diagnosePool({
      MfaConfiguration: 'ON',
      Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD'] } },
    });
    const mfa = check(report, 'pool.mfa');
    expect(mfa.status).toBe('fail');
    expect(mfa.message).toMatch(/MFA is required: Cognito offers no passwordless first factor/);
    expect(mfa.fix?.console).toMatch(/Multi-factor authentication > Edit > MFA enforcement: Optional MFA/);
    expect(mfa.fix?.cli).toContain('"MfaConfiguration":"OPTIONAL"');
    expect(problems(report)).toEqual(['pool.first-factors fail', 'pool.mfa fail']);
  });

  it('no ALLOW_USER_AUTH on the client', async () => {
    const report = await diagnosePool(
      {},
      { ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'] },
    );
    const userAuth = check(report, 'client.user-auth');
    expect(userAuth.status).toBe('fail');
    expect(userAuth.message).toMatch(/lack ALLOW_USER_AUTH: choice-based sign-in \(USER_AUTH\) is refused/);
    expect(userAuth.fix?.console).toMatch(
      /App clients > shop > App client information > Edit > Authentication flows: Choice-based sign-in: ALLOW_USER_AUTH/,
    );
    // The other flows stay, and the settings the update would reset are carried over.
    expect(userAuth.fix?.cli).toMatch(
      /^aws cognito-idp update-user-pool-client --region us-east-1 --cli-input-json '/,
    );
    expect(userAuth.fix?.cli).toContain(
      '"ExplicitAuthFlows":["ALLOW_USER_SRP_AUTH","ALLOW_REFRESH_TOKEN_AUTH","ALLOW_USER_AUTH"]',
    );
    expect(userAuth.fix?.cli).toContain('"AuthSessionValidity":5');
    expect(userAuth.fix?.cli).toContain('"ClientName":"shop"');
    expect(problems(report)).toEqual(['client.user-auth fail']);
  });

  it('PreventUserExistenceErrors LEGACY', async () => {
    const report = await diagnosePool({}, { PreventUserExistenceErrors: 'LEGACY' });
    const existence = check(report, 'client.user-existence-errors');
    expect(existence.status).toBe('fail');
    expect(existence.message).toMatch(
      /PreventUserExistenceErrors is LEGACY: Cognito answers UserNotFoundException/,
    );
    expect(existence.fix?.console).toMatch(/Prevent user existence errors: on/);
    expect(existence.fix?.cli).toContain('"PreventUserExistenceErrors":"ENABLED"');
    expect(problems(report)).toEqual(['client.user-existence-errors fail']);
  });

  it('the rest of what otpgate needs: case, email username, auto-verification, refresh, revocation', async () => {
    const report = await diagnosePool(
      { UsernameConfiguration: { CaseSensitive: true }, UsernameAttributes: [], AutoVerifiedAttributes: [] },
      { ExplicitAuthFlows: ['ALLOW_USER_AUTH'], EnableTokenRevocation: false },
    );
    expect(problems(report)).toEqual([
      'pool.username-case fail',
      'pool.email-username fail',
      'pool.email-auto-verify fail',
      'client.refresh-token-auth fail',
      'client.token-revocation fail',
    ]);
    // Settings Cognito cannot change on a pool: the fix is a new pool, and says so.
    expect(check(report, 'pool.username-case').fix?.console).toMatch(
      /^Cannot be changed on an existing user pool/,
    );
    expect(check(report, 'pool.username-case').fix?.cli).toMatch(
      /create-user-pool .*--username-configuration CaseSensitive=false/,
    );
    expect(check(report, 'pool.email-auto-verify').fix?.cli).toContain('"AutoVerifiedAttributes":["email"]');
    expect(check(report, 'client.token-revocation').fix?.cli).toContain('"EnableTokenRevocation":true');
    // Every failure says something of its own.
    const messages = [...report.pools, ...report.profiles]
      .flatMap((r) => r.checks)
      .filter((c) => c.status === 'fail');
    expect(new Set(messages.map((c) => c.message)).size).toBe(messages.length);
  });
});

describe('what works but hurts users warns', () => {
  it("Cognito's default email sender", async () => {
    const report = await diagnosePool({ EmailConfiguration: { EmailSendingAccount: 'COGNITO_DEFAULT' } });
    const sender = check(report, 'pool.email-sender');
    expect(sender).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(/default sender, about 50 emails a day/),
    });
    expect(sender.fix?.cli).toMatch(
      /"EmailSendingAccount":"DEVELOPER","SourceArn":"arn:aws:ses:us-east-1:000000000000:identity\/YOUR_SES_IDENTITY"/,
    );
    expect(report.ok).toBe(true);
  });

  it('AuthSessionValidity at the 3-minute minimum', async () => {
    const report = await diagnosePool({}, { AuthSessionValidity: 3 }, { authSessionValiditySeconds: 180 });
    const validity = check(report, 'client.auth-session-validity');
    expect(validity).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(/3 minutes, the minimum/),
    });
    expect(validity.fix?.cli).toContain('"AuthSessionValidity":5');
    expect(problems(report)).toEqual(['client.auth-session-validity warn']);
  });

  it('MFA optional', async () => {
    const report = await diagnosePool({ MfaConfiguration: 'OPTIONAL' });
    expect(check(report, 'pool.mfa')).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(/users who turn MFA on can no longer sign in with a code alone/),
    });
    expect(check(report, 'pool.mfa').fix?.cli).toContain('"MfaConfiguration":"OFF"');
  });

  it("a profile whose handles do not live as long as the client's session", async () => {
    const report = await diagnosePool(
      {},
      { AuthSessionValidity: 10 },
      { authSessionValiditySeconds: undefined },
    );
    expect(check(report, 'profile.auth-session-validity')).toMatchObject({
      status: 'warn',
      message: expect.stringMatching(/live 180 s \(the default\) but Cognito's session lasts 600 s/),
      fix: { console: expect.stringContaining('"authSessionValiditySeconds": 600') },
    });
  });
});

describe('client secrets', () => {
  it('a secret the profile does not know fails: every call would be refused', async () => {
    const report = await diagnosePool({}, { GenerateSecret: true }, { knowsSecret: false });
    const secret = check(report, 'client.secret');
    expect(secret).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/a secret the profile does not know/),
    });
    expect(secret.fix?.cli).toMatch(
      /describe-user-pool-client .*--query UserPoolClient.ClientSecret --output text$/,
    );
    // The report never carries the secret itself.
    expect(JSON.stringify(report)).not.toMatch(/"ClientSecret"/);
  });

  it('a wrong secret fails, the right one passes, a secret the client lacks warns', async () => {
    const wrong = await diagnosePool({}, { GenerateSecret: true }, { clientSecret: 'not-it' });
    expect(check(wrong, 'client.secret')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/is not the app client's/),
    });
    const right = await diagnosePool({}, { GenerateSecret: true });
    expect(check(right, 'client.secret').status).toBe('pass');
    const extra = await diagnosePool({}, {}, { clientSecret: 'left-over' });
    expect(check(extra, 'client.secret')).toMatchObject({
      status: 'warn',
      fix: { console: expect.stringMatching(/Remove "clientSecret"/) },
    });
  });
});

describe('pools and clients that cannot be read fail cleanly', () => {
  it('an unknown pool id: one failure for the pool, the client not checked', async () => {
    const report = await diagnose({
      client: sdk,
      profiles: [{ name: 'web', userPoolId: 'us-east-1_Missing1', clientId: 'abc123' }],
    });
    expect(report.pools[0]?.checks).toEqual([
      {
        id: 'pool.describe',
        status: 'fail',
        message: expect.stringMatching(
          /user pool us-east-1_Missing1 does not exist in us-east-1 \(DescribeUserPool: ResourceNotFoundException/,
        ),
        fix: {
          console: expect.any(String),
          cli: 'aws cognito-idp list-user-pools --region us-east-1 --max-results 60',
        },
      },
    ]);
    expect(check(report, 'client.describe').message).toMatch(
      /Not checked: user pool us-east-1_Missing1 could not be read/,
    );
    expect(report.ok).toBe(false);
  });

  it('an unknown client id', async () => {
    const { userPoolId } = await createPool(sdk);
    const report = await diagnose({
      client: sdk,
      profiles: [{ name: 'web', userPoolId, clientId: 'nosuchclient' }],
    });
    expect(check(report, 'client.describe')).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/app client nosuchclient of user pool .* does not exist/),
      fix: { cli: `aws cognito-idp list-user-pool-clients --region us-east-1 --user-pool-id ${userPoolId}` },
    });
  });

  it('access denied names the permissions to grant', async () => {
    const { userPoolId, clientId } = await createPool(sdk);
    emulator.injectFault({
      operation: 'DescribeUserPool',
      error: 'AccessDeniedException',
      message: 'not allowed',
      count: 1,
    });
    const report = await diagnose({ client: sdk, profiles: [{ name: 'web', userPoolId, clientId }] });
    const denied = check(report, 'pool.describe');
    expect(denied.message).toMatch(/may not read the user pool .*AccessDeniedException: not allowed/);
    expect(denied.fix?.cli).toMatch(/aws iam put-role-policy .*cognito-idp:DescribeUserPool/);
  });

  it('an unreachable endpoint', async () => {
    const nowhere = new CognitoIdentityProviderClient({
      endpoint: 'http://127.0.0.1:9',
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
    try {
      const report = await diagnose({
        client: nowhere,
        profiles: [{ name: 'web', userPoolId: 'us-east-1_Pool1', clientId: 'abc' }],
      });
      expect(check(report, 'pool.describe').message).toMatch(/Cannot reach Cognito in us-east-1/);
    } finally {
      nowhere.destroy();
    }
  });
});

describe('several profiles', () => {
  it('reads a shared pool once and reports it once, with every profile that uses it', async () => {
    const a = await createPool(sdk);
    emulator.resetCalls();
    const report = await diagnose({
      client: () => sdk,
      profiles: [
        { name: 'web', userPoolId: a.userPoolId, clientId: a.clientId, authSessionValiditySeconds: 300 },
        { name: 'kiosk', userPoolId: a.userPoolId, clientId: a.clientId, authSessionValiditySeconds: 300 },
      ],
    });
    expect(emulator.calls()).toEqual({ DescribeUserPool: 1, DescribeUserPoolClient: 1 });
    expect(report.pools).toHaveLength(1);
    expect(report.pools[0]?.profiles).toEqual(['web', 'kiosk']);
    expect(report.profiles.map((p) => p.name)).toEqual(['web', 'kiosk']);
    expect(report.ok).toBe(true);
  });

  it('prints a section per pool and profile, each shared command once, and sums up in one line', async () => {
    const report = await diagnosePool(
      { EmailConfiguration: { EmailSendingAccount: 'COGNITO_DEFAULT' } },
      { ExplicitAuthFlows: ['ALLOW_USER_AUTH'], PreventUserExistenceErrors: 'LEGACY' },
    );
    const text = formatReport(report);
    expect(text).toMatch(/^User pool us-east-1_\w+ \(us-east-1\), used by web\n {2}PASS {2}pool\.tier/);
    expect(text).toMatch(
      /\n {2}FAIL {2}client\.refresh-token-auth +Authentication flows lack ALLOW_REFRESH_TOKEN_AUTH/,
    );
    expect(text).toContain('(or the same command as above)');
    expect(text).toMatch(/\n2 failures, 1 warning, 11 passed\.\n/);
    expect(summarizeReport(report)).toBe(
      `pool doctor: 2 failures, 1 warning (1 user pool, 1 profile; pool ${report.pools[0]?.userPoolId}: pool.email-sender warn; ` +
        'profile web: client.refresh-token-auth fail, client.user-existence-errors fail); `pnpm run doctor` prints the fixes',
    );
  });
});
