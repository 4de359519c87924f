import { ProfilesFileError, parseProfilesFile } from '@otpgate/profiles';
import { PROFILE_OUTPUT_PREFIX } from './otpgate-stack.js';

/** One profile of the gateway's profiles file (apps/gateway/src/config.ts), as this tool writes it. */
export interface GatewayProfile {
  region: string;
  userPoolId: string;
  clientId: string;
  clientSecret?: string;
  allowedOrigins: string[];
  tokenDelivery: 'body' | 'cookie';
  authSessionValiditySeconds: number;
  /** Browser origins that offer passkeys; written only for stacks with passkeys on. */
  webAuthnOrigins?: string[];
  /** Keys written by hand (limits, onExistingUser, ...) survive a rewrite. */
  [key: string]: unknown;
}

export interface ProfilesFile {
  profiles: Record<string, GatewayProfile>;
}

export class ProfilesError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProfilesError';
  }
}

/** The variable a frontend's client secret is read from: `web-shop` -> `OTPGATE_CLIENT_SECRET_WEB_SHOP`. */
export function secretVariable(name: string): string {
  return `OTPGATE_CLIENT_SECRET_${name.toUpperCase().replace(/-/g, '_')}`;
}

interface ProfileOutput {
  name: string;
  region: string;
  userPoolId: string;
  clientId: string;
  clientSecretRequired: boolean;
  allowedOrigins: string[];
  tokenDelivery: 'body' | 'cookie';
  authSessionValiditySeconds: number;
  webAuthnOrigins?: string[];
}

function parseOutput(key: string, value: unknown): ProfileOutput {
  let parsed: unknown;
  try {
    parsed = typeof value === 'string' ? JSON.parse(value) : undefined;
  } catch {}
  const p = parsed as Partial<ProfileOutput> | undefined;
  if (
    typeof p?.name !== 'string' ||
    typeof p.userPoolId !== 'string' ||
    typeof p.clientId !== 'string' ||
    typeof p.region !== 'string'
  ) {
    throw new ProfilesError(
      `output ${key} is not an otpgate profile (was the stack deployed by this version?)`,
    );
  }
  return p as ProfileOutput;
}

export interface ProfilesFromOutputsOptions {
  /** The stack whose outputs to read. @default the only stack with otpgate profile outputs */
  stackName?: string;
  /** Where client secrets come from, keyed by `secretVariable(name)`. Usually `process.env`. */
  secrets: Record<string, string | undefined>;
  /** The profiles file already on disk, whose hand-written keys and other profiles are kept. @default none */
  existing?: ProfilesFile;
}

/**
 * The gateway's profiles file from `cdk deploy --outputs-file` JSON (`{ <stack>: { <key>: <value> } }`).
 *
 * CloudFormation cannot output an app-client secret, so a frontend made with `generateSecret` takes its
 * secret from `OTPGATE_CLIENT_SECRET_<NAME>`; when that is unset this throws with the command that
 * prints the secret, rather than write a profile whose every Cognito call would be refused.
 * @throws ProfilesError
 */
export function profilesFromOutputs(outputsFile: unknown, options: ProfilesFromOutputsOptions): ProfilesFile {
  if (typeof outputsFile !== 'object' || outputsFile === null) {
    throw new ProfilesError('the outputs file is not a JSON object of stacks');
  }
  const stacks = Object.entries(outputsFile as Record<string, Record<string, unknown>>).filter(
    ([name, outputs]) =>
      options.stackName === undefined
        ? Object.keys(outputs ?? {}).some((key) => key.startsWith(PROFILE_OUTPUT_PREFIX))
        : name === options.stackName,
  );
  const [stack, ...others] = stacks;
  if (!stack) {
    throw new ProfilesError(
      options.stackName === undefined
        ? 'no stack in the outputs file has otpgate profile outputs'
        : `the outputs file has no stack "${options.stackName}"`,
    );
  }
  if (others.length > 0) {
    throw new ProfilesError(
      `several stacks have otpgate profiles (${stacks.map(([n]) => n).join(', ')}): pick one with --stack`,
    );
  }

  const profiles: Record<string, GatewayProfile> = { ...options.existing?.profiles };
  const missing: string[] = [];
  for (const [key, value] of Object.entries(stack[1])) {
    if (!key.startsWith(PROFILE_OUTPUT_PREFIX)) continue;
    const { name, clientSecretRequired, ...generated } = parseOutput(key, value);
    const { clientSecret: previousSecret, ...kept }: Partial<GatewayProfile> = profiles[name] ?? {};
    const profile: GatewayProfile = { ...kept, ...generated };
    if (clientSecretRequired) {
      // A secret lives as long as its client: the one already in the file still holds for the same client id.
      const secret =
        options.secrets[secretVariable(name)] ??
        (kept.clientId === generated.clientId && typeof previousSecret === 'string'
          ? previousSecret
          : undefined);
      if (secret) profile.clientSecret = secret;
      else {
        missing.push(
          `  export ${secretVariable(name)}="$(aws cognito-idp describe-user-pool-client --region ${generated.region} ` +
            `--user-pool-id ${generated.userPoolId} --client-id ${generated.clientId} ` +
            '--query UserPoolClient.ClientSecret --output text)"',
        );
      }
    }
    profiles[name] = profile;
  }
  if (missing.length > 0) {
    throw new ProfilesError(
      `app clients with a secret need it in the environment (CloudFormation does not output secrets):\n${missing.join('\n')}`,
    );
  }
  const file = { profiles };
  // Read back with the gateway's own reader: never write a file the gateway would refuse to start with
  // (a hand-written key gone wrong, a limit the engine does not accept).
  try {
    parseProfilesFile(file);
  } catch (error) {
    if (error instanceof ProfilesFileError) {
      throw new ProfilesError(`the gateway would refuse the result: ${error.key}: ${error.reason}`);
    }
    throw error;
  }
  return file;
}
