import { readFileSync } from 'node:fs';
import type { LimitsConfig } from '@otpgate/cognito-otp';
import {
  type FileProfile,
  ProfilesFileError,
  parseProfile,
  readProfilesFile,
  type TokenDelivery,
} from '@otpgate/profiles';
import { type Env, GatewayConfigError } from './env.js';

export type { TokenDelivery };

/**
 * One retail frontend: its Cognito app client and limits (checked by the engine's rules) and its HTTP
 * rules (origins, token delivery), as @otpgate/profiles reads them; every field set.
 */
export interface ClientProfile extends Readonly<FileProfile> {
  /** Local mode only: any http://localhost / 127.0.0.1 / [::1] origin, whatever the port. */
  readonly allowLoopbackOrigins: boolean;
}

/** Overrides of the engine's limits as a profile states them; a list replaces the default list. */
export type LimitOverrides = Partial<LimitsConfig>;

export interface GatewayConfig {
  /** `local`: no Cognito settings at all, so the embedded emulator serves (see local.ts). */
  readonly mode: 'local' | 'configured';
  readonly profiles: Readonly<Record<string, ClientProfile>>;
  /** Cognito endpoint override; without it, AWS's regional endpoint. */
  readonly cognitoEndpoint?: string;
}

/** The profiles of a profiles file's JSON. Throws a GatewayConfigError naming the bad key path. */
export function parseProfilesFile(json: unknown): Record<string, ClientProfile> {
  return withLoopback(
    fromProfilesError(() => readProfilesFile('OTPGATE_CONFIG', () => JSON.stringify(json))),
  );
}

function withLoopback(profiles: Record<string, FileProfile>): Record<string, ClientProfile> {
  return Object.fromEntries(
    Object.entries(profiles).map(([name, profile]) => [name, { ...profile, allowLoopbackOrigins: false }]),
  );
}

/** Runs `read`, turning a ProfilesFileError into a GatewayConfigError (key `file` becomes OTPGATE_CONFIG). */
function fromProfilesError<T>(read: () => T, keyFor: (key: string) => string = (key) => key): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ProfilesFileError)) throw error;
    const key = error.key === 'file' ? 'OTPGATE_CONFIG' : keyFor(error.key);
    throw new GatewayConfigError(
      key,
      error.key === 'file' ? `the profiles file ${error.reason}` : error.reason,
    );
  }
}

const COGNITO_VARIABLES = [
  'OTPGATE_CONFIG',
  'COGNITO_REGION',
  'COGNITO_USER_POOL_ID',
  'COGNITO_CLIENT_ID',
  'COGNITO_CLIENT_SECRET',
] as const;

/** True when the environment names no Cognito setting at all: local mode. */
export function isLocalMode(env: Env): boolean {
  return COGNITO_VARIABLES.every((key) => env[key] === undefined);
}

/**
 * The gateway's configuration from a validated environment. `readFile` is injectable for tests.
 *
 * Local mode (no Cognito settings) returns no profiles: local.ts creates the pool, then calls
 * `localProfile`. Throws GatewayConfigError naming the variable or key path at fault.
 */
export function loadConfig(
  env: Env,
  readFile: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): GatewayConfig {
  if (isLocalMode(env)) {
    if (env.NODE_ENV === 'production') {
      throw new GatewayConfigError(
        'NODE_ENV',
        'no Cognito settings: local mode (embedded emulator, in-memory store) refuses to start with NODE_ENV=production',
      );
    }
    if (env.COGNITO_ENDPOINT) {
      throw new GatewayConfigError(
        'COGNITO_ENDPOINT',
        'set COGNITO_USER_POOL_ID and COGNITO_CLIENT_ID with it',
      );
    }
    return { mode: 'local', profiles: {} };
  }
  if (!env.OTPGATE_HMAC_SECRET) {
    throw new GatewayConfigError(
      'OTPGATE_HMAC_SECRET',
      'required outside local mode (every replica must key identifiers the same way)',
    );
  }
  const endpoint = env.COGNITO_ENDPOINT?.replace(/\/+$/, '');
  if (env.OTPGATE_CONFIG) {
    const single = COGNITO_VARIABLES.find((key) => key !== 'OTPGATE_CONFIG' && env[key] !== undefined);
    if (single)
      throw new GatewayConfigError(single, 'set either OTPGATE_CONFIG or the COGNITO_* variables, not both');
    const path = env.OTPGATE_CONFIG;
    return {
      mode: 'configured',
      profiles: withLoopback(fromProfilesError(() => readProfilesFile(path, readFile))),
      ...(endpoint && { cognitoEndpoint: endpoint }),
    };
  }
  for (const key of ['COGNITO_USER_POOL_ID', 'COGNITO_CLIENT_ID'] as const) {
    if (!env[key]) throw new GatewayConfigError(key, 'required with the single-profile COGNITO_* setup');
  }
  const origins = env.OTPGATE_ALLOWED_ORIGINS?.split(',').map((entry) => entry.trim()) ?? [];
  const raw = {
    userPoolId: env.COGNITO_USER_POOL_ID,
    clientId: env.COGNITO_CLIENT_ID,
    ...(env.COGNITO_CLIENT_SECRET !== undefined && { clientSecret: env.COGNITO_CLIENT_SECRET }),
    ...(env.COGNITO_REGION !== undefined && { region: env.COGNITO_REGION }),
    allowedOrigins: origins,
  };
  const profile: ClientProfile = {
    ...fromProfilesError(
      () => parseProfile('default', raw),
      (key) =>
        ENV_FOR_FIELD[key.replace(/^profiles\.default\./, '').replace(/\[\d+\]$/, '')] ??
        'COGNITO_USER_POOL_ID',
    ),
    allowLoopbackOrigins: false,
  };
  return {
    mode: 'configured',
    profiles: { default: profile },
    ...(endpoint && { cognitoEndpoint: endpoint }),
  };
}

const ENV_FOR_FIELD: Record<string, string> = {
  allowedOrigins: 'OTPGATE_ALLOWED_ORIGINS',
  userPoolId: 'COGNITO_USER_POOL_ID',
  clientId: 'COGNITO_CLIENT_ID',
  clientSecret: 'COGNITO_CLIENT_SECRET',
  region: 'COGNITO_REGION',
};

/**
 * The profile local mode serves: the emulator's pool, any loopback origin, tokens in the body, and
 * passkeys for `webAuthnOrigins` (exact origins, as in a profiles file).
 */
export function localProfile(
  pool: {
    userPoolId: string;
    clientId: string;
    clientSecret?: string;
    region: string;
  },
  webAuthnOrigins: readonly string[] = [],
): ClientProfile {
  const profile = parseProfile('default', {
    userPoolId: pool.userPoolId,
    clientId: pool.clientId,
    ...(pool.clientSecret !== undefined && { clientSecret: pool.clientSecret }),
    region: pool.region,
    ...(webAuthnOrigins.length > 0 && { webAuthnOrigins: [...webAuthnOrigins] }),
  });
  return { ...profile, allowLoopbackOrigins: true };
}

/** Whether a browser `Origin` may use this profile. */
export function originAllowed(profile: ClientProfile, requestOrigin: string): boolean {
  if (profile.allowedOrigins.includes(requestOrigin)) return true;
  if (!profile.allowLoopbackOrigins) return false;
  return /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/.test(requestOrigin);
}
