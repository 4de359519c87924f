import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { diagnose } from './checks.js';
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
Needs cognito-idp:DescribeUserPool and cognito-idp:DescribeUserPoolClient.
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

/** The profiles of a gateway profiles file, read loosely: the gateway validates the rest. */
export function profilesFromFile(json: unknown, path: string): ProfileToCheck[] {
  const profiles = (json as { profiles?: unknown } | null)?.profiles;
  if (typeof profiles !== 'object' || profiles === null || Object.keys(profiles).length === 0) {
    throw new UsageError(`${path}: expected {"profiles": {"<name>": {"userPoolId", "clientId", ...}}}`);
  }
  return Object.entries(profiles as Record<string, Record<string, unknown>>).map(([name, p]) => {
    const userPoolId = text(p?.userPoolId);
    const clientId = text(p?.clientId);
    if (!userPoolId || !clientId)
      throw new UsageError(`${path}: profiles.${name} needs userPoolId and clientId`);
    const seconds = p.authSessionValiditySeconds;
    return {
      name,
      userPoolId,
      clientId,
      ...(text(p.clientSecret) !== undefined && { clientSecret: text(p.clientSecret) }),
      ...(text(p.region) !== undefined && { region: text(p.region) }),
      ...(typeof seconds === 'number' && { authSessionValiditySeconds: seconds }),
    };
  });
}

/** The profiles the gateway would serve with this environment: a profiles file, or the COGNITO_* variables. */
export function profilesFromEnv(
  configPath: string | undefined,
  env: Record<string, string | undefined>,
  readFile: (path: string) => string,
): ProfileToCheck[] {
  if (configPath !== undefined) {
    let json: unknown;
    try {
      json = JSON.parse(readFile(configPath));
    } catch (error) {
      throw new UsageError(
        `${configPath}: ${error instanceof SyntaxError ? 'not valid JSON' : 'cannot be read'}`,
      );
    }
    return profilesFromFile(json, configPath);
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
  return [
    {
      name: 'default',
      userPoolId,
      clientId,
      ...(secret !== undefined && { clientSecret: secret }),
      ...(region !== undefined && { region }),
    },
  ];
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
