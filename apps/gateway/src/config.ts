import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { type Env, GatewayConfigError } from './env.js';

/** How a profile hands out the refresh token. */
export type TokenDelivery = 'body' | 'cookie';

/** One retail frontend: its Cognito app client and its HTTP rules. Validated; every field set. */
export interface ClientProfile {
  /** The `apollographql-client-name` value that selects it. */
  readonly name: string;
  readonly userPoolId: string;
  readonly clientId: string;
  /** App-client secret; SECRET_HASH is then sent with every Cognito call. */
  readonly clientSecret?: string;
  /** AWS region of the pool. @default the pool id's prefix */
  readonly region: string;
  /** Exact browser origins (`https://shop.example`) allowed to call with this profile. @default [] */
  readonly allowedOrigins: readonly string[];
  /** Local mode only: any http://localhost / 127.0.0.1 / [::1] origin, whatever the port. */
  readonly allowLoopbackOrigins: boolean;
  /**
   * `body`: the refresh token is in the response. `cookie`: it is set as an httpOnly, Secure,
   * SameSite=Strict cookie on Path=/graphql and the response's `refreshToken` is null. @default 'body'
   */
  readonly tokenDelivery: TokenDelivery;
  /** Lifetime of the refresh-token cookie, seconds; keep it at the app client's refresh token validity. @default 2592000 (30 days) */
  readonly refreshCookieMaxAgeSeconds: number;
  /** `signUp` for a registered address: USER_EXISTS, or a sign-in code. @default 'ERROR' */
  readonly onExistingUser: 'ERROR' | 'SIGN_IN';
  /** The app client's AuthSessionValidity in seconds (180 to 900); sizes sign-in handles. @default the engine's */
  readonly authSessionValiditySeconds?: number;
  /** How long a sign-up handle lives, seconds (60 to 86400). @default the engine's (24 h, the code's life) */
  readonly signUpHandleTtlSeconds?: number;
  /** Per-profile overrides of the engine's limits (@otpgate/cognito-otp LimitsConfig). @default the engine's */
  readonly limits?: LimitOverrides;
}

export interface GatewayConfig {
  /** `local`: no Cognito settings at all, so the embedded emulator serves (see local.ts). */
  readonly mode: 'local' | 'configured';
  readonly profiles: Readonly<Record<string, ClientProfile>>;
  /** Cognito endpoint override; without it, AWS's regional endpoint. */
  readonly cognitoEndpoint?: string;
}

const DEFAULT_COOKIE_MAX_AGE = 30 * 24 * 3600;

/** Names go into cookie names and metrics-free headers: keep them to a small safe alphabet. */
const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const REGION = /^[a-z]{2}(?:-[a-z]+)+-\d{1,2}$/;
const POOL_ID = /^([a-z]{2}(?:-[a-z]+)+-\d{1,2})_[0-9a-zA-Z]+$/;

const origin = z.string().refine(
  (value) => {
    try {
      const url = new URL(value);
      return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
    } catch {
      return false;
    }
  },
  {
    message: 'expected an origin like "https://shop.example" (scheme, host, optional port; no path or slash)',
  },
);

const limitRule = z.strictObject({
  points: z.number().int().min(1),
  durationSeconds: z.number().int().min(1),
});
const limitRules = z.array(limitRule).min(1);

/** The engine's LimitsConfig, every key optional; a list replaces the default list as a whole. */
const limitsSchema = z.strictObject({
  sendPerDestination: limitRules.optional(),
  sendPerIp: limitRules.optional(),
  sendPerProfile: limitRules.optional(),
  wrongCodesPerHandle: z.number().int().min(1).max(10).optional(),
  wrongCodesPerDestination: limitRules.optional(),
  wrongCodesPerIp: limitRules.optional(),
  requestsPerIp: limitRules.optional(),
});
export type LimitOverrides = z.infer<typeof limitsSchema>;

const profileSchema = z.strictObject({
  userPoolId: z.string().regex(POOL_ID, 'expected a user pool id like "eu-west-1_AbC123"'),
  clientId: z.string().regex(/^[\w+]{1,128}$/, 'expected an app client id'),
  clientSecret: z.string().min(1).max(128).optional(),
  region: z.string().regex(REGION, 'expected an AWS region like "eu-west-1"').optional(),
  allowedOrigins: z.array(origin).default([]),
  tokenDelivery: z.enum(['body', 'cookie']).default('body'),
  refreshCookieMaxAgeSeconds: z
    .number()
    .int()
    .min(60)
    .max(3650 * 24 * 3600)
    .default(DEFAULT_COOKIE_MAX_AGE),
  onExistingUser: z.enum(['ERROR', 'SIGN_IN']).default('ERROR'),
  authSessionValiditySeconds: z.number().int().min(180).max(900).optional(),
  signUpHandleTtlSeconds: z.number().int().min(60).max(86400).optional(),
  limits: limitsSchema.optional(),
});

const fileSchema = z.strictObject({
  profiles: z
    .record(
      z.string().regex(PROFILE_NAME, 'profile names are lowercase letters, digits, "-" and "_"'),
      profileSchema,
    )
    .refine((profiles) => Object.keys(profiles).length > 0, 'at least one profile is needed'),
});

/** `["profiles", "web", "allowedOrigins", 1]` -> `profiles.web.allowedOrigins[1]`. */
export function formatKeyPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out || '(root)';
}

function profileFrom(name: string, parsed: z.infer<typeof profileSchema>, keyPath: string): ClientProfile {
  const poolRegion = POOL_ID.exec(parsed.userPoolId)?.[1];
  const region = parsed.region ?? poolRegion;
  if (!region) throw new GatewayConfigError(`${keyPath}.region`, 'cannot be derived from the user pool id');
  if (poolRegion !== region) {
    throw new GatewayConfigError(`${keyPath}.region`, `the user pool id is in ${poolRegion}, not ${region}`);
  }
  return {
    name,
    userPoolId: parsed.userPoolId,
    clientId: parsed.clientId,
    ...(parsed.clientSecret !== undefined && { clientSecret: parsed.clientSecret }),
    region,
    allowedOrigins: parsed.allowedOrigins,
    allowLoopbackOrigins: false,
    tokenDelivery: parsed.tokenDelivery,
    refreshCookieMaxAgeSeconds: parsed.refreshCookieMaxAgeSeconds,
    onExistingUser: parsed.onExistingUser,
    ...(parsed.authSessionValiditySeconds !== undefined && {
      authSessionValiditySeconds: parsed.authSessionValiditySeconds,
    }),
    ...(parsed.signUpHandleTtlSeconds !== undefined && {
      signUpHandleTtlSeconds: parsed.signUpHandleTtlSeconds,
    }),
    ...(parsed.limits !== undefined && { limits: parsed.limits }),
  };
}

/**
 * Profiles from a parsed profiles file. Throws a GatewayConfigError whose key is the bad key path,
 * e.g. `profiles.web.allowedOrigins[1]`.
 */
export function parseProfilesFile(json: unknown): Record<string, ClientProfile> {
  const result = fileSchema.safeParse(json);
  if (!result.success) {
    const issue = result.error.issues[0];
    const path = [...(issue?.path ?? [])];
    // Unknown keys are reported on the object holding them: name the key itself.
    if (issue?.code === 'unrecognized_keys' && issue.keys[0] !== undefined) path.push(issue.keys[0]);
    throw new GatewayConfigError(formatKeyPath(path), issue?.message ?? 'invalid');
  }
  const profiles: Record<string, ClientProfile> = {};
  for (const [name, parsed] of Object.entries(result.data.profiles)) {
    profiles[name] = profileFrom(name, parsed, `profiles.${name}`);
  }
  return profiles;
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
    let json: unknown;
    try {
      json = JSON.parse(readFile(env.OTPGATE_CONFIG));
    } catch (error) {
      const why = error instanceof SyntaxError ? 'is not valid JSON' : 'cannot be read';
      throw new GatewayConfigError('OTPGATE_CONFIG', `the profiles file ${why}`);
    }
    return {
      mode: 'configured',
      profiles: parseProfilesFile(json),
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
    clientSecret: env.COGNITO_CLIENT_SECRET,
    region: env.COGNITO_REGION,
    allowedOrigins: origins,
  };
  const result = profileSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = String(issue?.path[0] ?? '');
    const variable =
      field === 'allowedOrigins'
        ? 'OTPGATE_ALLOWED_ORIGINS'
        : (ENV_FOR_FIELD[field] ?? 'COGNITO_USER_POOL_ID');
    throw new GatewayConfigError(variable, issue?.message ?? 'invalid');
  }
  let profile: ClientProfile;
  try {
    profile = profileFrom('default', result.data, 'profiles.default');
  } catch (error) {
    if (error instanceof GatewayConfigError) throw new GatewayConfigError('COGNITO_REGION', error.message);
    throw error;
  }
  return {
    mode: 'configured',
    profiles: { default: profile },
    ...(endpoint && { cognitoEndpoint: endpoint }),
  };
}

const ENV_FOR_FIELD: Record<string, string> = {
  userPoolId: 'COGNITO_USER_POOL_ID',
  clientId: 'COGNITO_CLIENT_ID',
  clientSecret: 'COGNITO_CLIENT_SECRET',
  region: 'COGNITO_REGION',
};

/** The profile local mode serves: the emulator's pool, any loopback origin, tokens in the body. */
export function localProfile(pool: {
  userPoolId: string;
  clientId: string;
  clientSecret?: string;
  region: string;
}): ClientProfile {
  return {
    name: 'default',
    userPoolId: pool.userPoolId,
    clientId: pool.clientId,
    ...(pool.clientSecret !== undefined && { clientSecret: pool.clientSecret }),
    region: pool.region,
    allowedOrigins: [],
    allowLoopbackOrigins: true,
    tokenDelivery: 'body',
    refreshCookieMaxAgeSeconds: DEFAULT_COOKIE_MAX_AGE,
    onExistingUser: 'ERROR',
  };
}

/** Whether a browser `Origin` may use this profile. */
export function originAllowed(profile: ClientProfile, requestOrigin: string): boolean {
  if (profile.allowedOrigins.includes(requestOrigin)) return true;
  if (!profile.allowLoopbackOrigins) return false;
  return /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d{1,5})?$/.test(requestOrigin);
}
