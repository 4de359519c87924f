import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { type FileProfile, ProfilesFileError, parseProfile, readProfilesFile } from '@otpgate/profiles';
import { diagnose } from './diagnose.js';
import { formatReport } from './format.js';
import type { ProfileToCheck } from './types.js';

export const USAGE = `usage: otpgate-doctor [--config <profiles.json>] [--endpoint <url>] [--json]

Checks the Cognito user pools and app clients of the gateway's profiles: pass, warn or fail, with the
console path and the AWS CLI command that fixes each problem. Exit status: 0 when nothing fails
(warnings allowed), 1 when a check fails, 2 for a usage or configuration error.

  --config <path>    the gateway's profiles file             (env OTPGATE_CONFIG)
                     without one: COGNITO_USER_POOL_ID, COGNITO_CLIENT_ID, COGNITO_CLIENT_SECRET,
                     COGNITO_REGION, as the gateway reads them
  --endpoint <url>   Cognito endpoint override, e.g. the emulator (env COGNITO_ENDPOINT)
  --json             print the report as JSON instead of text

AWS credentials and region come from the usual AWS SDK chain (AWS_PROFILE, AWS_ACCESS_KEY_ID, ...).
Needs cognito-idp:DescribeUserPool and cognito-idp:DescribeUserPoolClient, and
cognito-idp:GetUserPoolMfaConfig for pools with passkeys (WEB_AUTHN, or a profile's webAuthnOrigins).
`;

export class UsageError extends Error {
  override name = 'UsageError';
}

export interface MainIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** @default fs.readFileSync(path, 'utf8') */
  readFile?(path: string): string;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** What the doctor needs of a profile checked by the shared profiles reader. */
function toCheck(profile: FileProfile): ProfileToCheck {
  return {
    name: profile.name,
    userPoolId: profile.userPoolId,
    clientId: profile.clientId,
    region: profile.region,
    authSessionValiditySeconds: profile.authSessionValiditySeconds,
    ...(profile.clientSecret !== undefined && { clientSecret: profile.clientSecret }),
    ...(profile.webAuthnOrigins.length > 0 && { webAuthnOrigins: profile.webAuthnOrigins }),
  };
}

/**
 * The profiles the gateway would serve with this environment: a profiles file, or the COGNITO_*
 * variables. Both are read by the gateway's own reader (@otpgate/profiles), so the doctor refuses
 * exactly the files the gateway would refuse, naming the key.
 */
export function profilesFromEnv(
  configPath: string | undefined,
  env: Record<string, string | undefined>,
  readFile: (path: string) => string,
): ProfileToCheck[] {
  try {
    if (configPath !== undefined) {
      return Object.values(readProfilesFile(configPath, readFile)).map(toCheck);
    }
    const userPoolId = text(env.COGNITO_USER_POOL_ID);
    const clientId = text(env.COGNITO_CLIENT_ID);
    if (!userPoolId || !clientId) {
      throw new UsageError(
        'no profiles: pass --config (or OTPGATE_CONFIG), or set COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID',
      );
    }
    const secret = text(env.COGNITO_CLIENT_SECRET);
    const region = text(env.COGNITO_REGION);
    const profile = parseProfile('default', {
      userPoolId,
      clientId,
      ...(secret !== undefined && { clientSecret: secret }),
      ...(region !== undefined && { region }),
    });
    return [toCheck(profile)];
  } catch (error) {
    if (!(error instanceof ProfilesFileError)) throw error;
    const where = configPath ?? 'the COGNITO_* variables';
    throw new UsageError(
      error.key === 'file' ? `${where}: ${error.reason}` : `${where}: ${error.key}: ${error.reason}`,
    );
  }
}

/**
 * The doctor command: arguments and environment in, report out, exit status returned (never exits).
 * `env` stands for process.env; AWS credentials still come from the SDK's own chain.
 */
export async function main(
  argv: readonly string[],
  env: Record<string, string | undefined>,
  io: MainIo,
): Promise<number> {
  const clients = new Map<string, CognitoIdentityProviderClient>();
  try {
    const { values } = parseArgs({
      args: argv.filter((arg) => arg !== '--'),
      options: {
        config: { type: 'string' },
        endpoint: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) {
      io.stdout(USAGE);
      return 0;
    }
    const configPath = values.config ?? text(env.OTPGATE_CONFIG);
    const profiles = profilesFromEnv(
      // `pnpm run doctor` runs in the repository root: relative paths are meant from where it was typed.
      configPath === undefined ? undefined : resolve(env.INIT_CWD ?? '', configPath),
      env,
      io.readFile ?? ((path) => readFileSync(path, 'utf8')),
    );
    const endpoint = values.endpoint ?? text(env.COGNITO_ENDPOINT);
    // The emulator ignores signatures: spare its users a credentials setup.
    const dummyCredentials =
      endpoint !== undefined && env.AWS_ACCESS_KEY_ID === undefined && env.AWS_PROFILE === undefined;
    const client = (region: string) => {
      let found = clients.get(region);
      if (!found) {
        found = new CognitoIdentityProviderClient({
          region,
          ...(endpoint !== undefined && { endpoint }),
          ...(dummyCredentials && { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
          // A doctor that hangs is no help: a short timeout and one retry.
          maxAttempts: 2,
          requestHandler: { connectionTimeout: 3_000, requestTimeout: 10_000 },
        });
        clients.set(region, found);
      }
      return found;
    };
    const report = await diagnose({ client, profiles });
    io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return report.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof UsageError || (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`otpgate-doctor: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  } finally {
    for (const client of clients.values()) client.destroy();
  }
}
