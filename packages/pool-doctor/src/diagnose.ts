import {
  type CognitoIdentityProviderClient,
  DescribeUserPoolClientCommand,
  DescribeUserPoolCommand,
  GetUserPoolMfaConfigCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { problem } from './check-builders.js';
import { clientChecks, type DescribedClient } from './client-checks.js';
import { describeFailure } from './describe-failure.js';
import { type ProfileOrigins, passkeyChecks, passkeysInPlay } from './passkey-checks.js';
import { type DescribedPool, poolChecks } from './pool-checks.js';
import type {
  Check,
  CheckStatus,
  DiagnoseOptions,
  DoctorReport,
  PoolReport,
  ProfileReport,
  ProfileToCheck,
} from './types.js';

/** `eu-west-1_AbC123` -> `eu-west-1`. */
function regionOfPool(userPoolId: string): string | undefined {
  return /^([a-z]{2}(?:-[a-z]+)+-\d{1,2})_/.exec(userPoolId)?.[1];
}

/**
 * Reads every pool and app client the profiles name (DescribeUserPool, DescribeUserPoolClient: each
 * once) and checks them against what otpgate's passwordless flows need. Never throws for AWS errors:
 * a pool or client that cannot be read is a `fail` check naming why.
 *
 * Needs `cognito-idp:DescribeUserPool` and `cognito-idp:DescribeUserPoolClient`, and
 * `cognito-idp:GetUserPoolMfaConfig` for pools with passkeys (see `ProfileToCheck.webAuthnOrigins`).
 */
export async function diagnose(options: DiagnoseOptions): Promise<DoctorReport> {
  const clientFor =
    typeof options.client === 'function'
      ? options.client
      : () => options.client as CognitoIdentityProviderClient;
  const profiles = options.profiles.map((profile) => ({
    profile,
    region: profile.region ?? regionOfPool(profile.userPoolId) ?? 'us-east-1',
  }));

  // One read per pool and per client, however many profiles share them. A client is read once its pool
  // was: when the pool cannot be read, the client's error would only repeat it.
  type Failed = { error: unknown };
  const poolReads = new Map<string, Promise<DescribedPool | Failed>>();
  const clientReads = new Map<string, Promise<DescribedClient | Failed | 'pool-unread'>>();
  const poolProfiles = new Map<
    string,
    { userPoolId: string; region: string; names: string[]; origins: ProfileOrigins[] }
  >();
  const readPool = async (region: string, userPoolId: string): Promise<DescribedPool | Failed> => {
    try {
      const out = await clientFor(region).send(new DescribeUserPoolCommand({ UserPoolId: userPoolId }));
      return { ...out.UserPool, Id: out.UserPool?.Id ?? userPoolId };
    } catch (error) {
      return { error };
    }
  };
  const readClient = async (
    region: string,
    pool: Promise<DescribedPool | Failed>,
    { userPoolId, clientId }: ProfileToCheck,
  ): Promise<DescribedClient | Failed | 'pool-unread'> => {
    if ('error' in (await pool)) return 'pool-unread';
    try {
      const out = await clientFor(region).send(
        new DescribeUserPoolClientCommand({ UserPoolId: userPoolId, ClientId: clientId }),
      );
      return {
        ...out.UserPoolClient,
        UserPoolId: out.UserPoolClient?.UserPoolId ?? userPoolId,
        ClientId: out.UserPoolClient?.ClientId ?? clientId,
      };
    } catch (error) {
      return { error };
    }
  };
  for (const { profile, region } of profiles) {
    const poolKey = `${region}/${profile.userPoolId}`;
    const entry = poolProfiles.get(poolKey) ?? {
      userPoolId: profile.userPoolId,
      region,
      names: [],
      origins: [],
    };
    entry.names.push(profile.name);
    entry.origins.push({ profile: profile.name, origins: profile.webAuthnOrigins ?? [] });
    poolProfiles.set(poolKey, entry);
    const poolRead = poolReads.get(poolKey) ?? readPool(region, profile.userPoolId);
    poolReads.set(poolKey, poolRead);
    const clientKey = `${poolKey}/${profile.clientId}`;
    if (!clientReads.has(clientKey)) clientReads.set(clientKey, readClient(region, poolRead, profile));
  }

  const pools: PoolReport[] = [];
  for (const [key, { userPoolId, region, names, origins }] of poolProfiles) {
    const read = await poolReads.get(key);
    const checks =
      read && !('error' in read)
        ? poolChecks(read, region)
        : [describeFailure('pool.describe', 'DescribeUserPool', { userPoolId, region }, read?.error)];
    if (read && !('error' in read) && passkeysInPlay(read, origins)) {
      try {
        const mfaConfig = await clientFor(region).send(
          new GetUserPoolMfaConfigCommand({ UserPoolId: userPoolId }),
        );
        checks.push(...passkeyChecks(read, region, mfaConfig, origins));
      } catch (error) {
        checks.push(
          describeFailure('pool.mfa-config', 'GetUserPoolMfaConfig', { userPoolId, region }, error),
        );
      }
    }
    pools.push({ userPoolId, region, profiles: names, checks });
  }

  const profileReports: ProfileReport[] = [];
  for (const { profile, region } of profiles) {
    const read = await clientReads.get(`${region}/${profile.userPoolId}/${profile.clientId}`);
    let checks: Check[];
    if (read === 'pool-unread') {
      checks = [
        problem(
          'client.describe',
          'fail',
          `Not checked: user pool ${profile.userPoolId} could not be read.`,
          {
            console: 'Fix the user pool first (above).',
          },
        ),
      ];
    } else if (read && !('error' in read)) {
      checks = clientChecks(read, profile, region);
    } else {
      const target = { userPoolId: profile.userPoolId, clientId: profile.clientId, region };
      checks = [describeFailure('client.describe', 'DescribeUserPoolClient', target, read?.error)];
    }
    profileReports.push({
      name: profile.name,
      userPoolId: profile.userPoolId,
      clientId: profile.clientId,
      checks,
    });
  }

  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0 };
  for (const report of [...pools, ...profileReports])
    for (const check of report.checks) counts[check.status] += 1;
  return { pools, profiles: profileReports, counts, ok: counts.fail === 0 };
}
