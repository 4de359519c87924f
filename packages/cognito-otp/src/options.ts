import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { OtpConfigError, type OtpErrorCode } from './errors.js';
import { type LimitsConfig, validateLimits } from './limits/limits.js';
import { pooledRandomBytes } from './random.js';
import type { OtpStore } from './store/types.js';

/** One client profile (one retail frontend): its Cognito app client and its own limits. */
export interface ProfileOptions {
  /** The Cognito user pool id, `<region>_<id>`, e.g. `eu-west-1_AbC123xyz`. */
  userPoolId: string;
  /** The app client id (Cognito's are 26 lowercase letters and digits). */
  clientId: string;
  /** The app client's secret, when it has one: SECRET_HASH / ClientSecret go with every call. @default none */
  clientSecret?: string;
  /** AWS region; must be the pool id's. @default the region in `userPoolId` */
  region?: string;
  /**
   * Seconds a sign-in code and its Cognito session live: must equal the app client's
   * AuthSessionValidity (minutes there, 3 to 15), which Cognito does not let an unsigned caller read.
   * Sign-in handles live exactly this long (renewed by each resend). 180 to 900.
   * @default 180
   */
  authSessionValiditySeconds?: number;
  /**
   * Seconds a sign-up handle lives. The confirmation code lives 24 hours (email can be slow); a
   * shorter handle ends the attempt sooner. 60 to 86400.
   * @default 86400
   */
  signUpHandleTtlSeconds?: number;
  /**
   * signUp for an address that already has an account: `ERROR` answers USER_EXISTS, `SIGN_IN` sends a
   * sign-in code instead ("continue with email") and answers CONFIRM_SIGN_IN_WITH_EMAIL_CODE.
   * @default 'ERROR'
   */
  onExistingUser?: 'ERROR' | 'SIGN_IN';
  /**
   * Overrides of the engine's limits (docs/ARCHITECTURE.md, "Budgets and limits") for this profile.
   * @default DEFAULT_LIMITS
   */
  limits?: Partial<LimitsConfig>;
  /**
   * Origins whose passkey ceremonies this profile accepts (the `origin` in the credential's
   * clientDataJSON), e.g. `https://shop.example`; the relying-party id is the pool's. Empty: passkeys
   * are off for the profile (FORBIDDEN). @default []
   */
  webAuthnOrigins?: readonly string[];
  /** A Cognito client for this profile only (another region or account). Same rules as the engine's. @default the engine's `cognitoClient` */
  cognitoClient?: CognitoIdentityProviderClient;
}

/** A structured log entry. Never carries a code, handle, token, session or address. */
export interface OtpLogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  /** `cognito.call`, `cognito.error`, `engine.error`, `signin.unknown_user`, `limits.profile_shedding`. */
  event: string;
  profile?: string;
  /** The engine method, e.g. `verifyOtp`. */
  operation?: string;
  /** The engine step that called Cognito (see CognitoStep). */
  cognitoStep?: string;
  /** Cognito's exception name (or the JS error's name): for operators, never for clients. */
  cognitoError?: string;
  errorCode?: OtpErrorCode;
  signal?: string;
  durationMs?: number;
}

export type OtpLogger = (entry: OtpLogEntry) => void;

export interface OtpEngineOptions {
  /**
   * The Cognito client (endpoint override for the emulator). Must have `maxAttempts: 1`: checked on the
   * first call (OtpConfigError). `createCognitoClient()` builds one.
   */
  cognitoClient: CognitoIdentityProviderClient;
  /** Client profiles by name (`RequestContext.clientProfile`); at least one. */
  profiles: Record<string, ProfileOptions>;
  /** Handles and limit counters: `createRedisStore()` in production, `createMemoryStore()` for one process. */
  store: OtpStore;
  /**
   * Key of the keyed hashes under which addresses are counted and of the made-up masks for unknown
   * addresses; at least 32 bytes, the same on every replica. Changing it resets the per-address limits.
   */
  hmacSecret: string | Buffer;
  /** Milliseconds since the epoch. Share it with the store (and the emulator in tests). @default Date.now */
  clock?: { now(): number };
  /** Cryptographic random bytes (handles). @default crypto.randomBytes (served from a pool, see random.ts) */
  random?: (n: number) => Buffer;
  /** Milliseconds one Cognito call may take before it is abandoned (UPSTREAM_UNAVAILABLE). 100 to 30000. @default 4000 */
  cognitoTimeoutMs?: number;
  /** Structured events for the caller's logger and metrics. @default none */
  logger?: OtpLogger;
}

/** A profile's options as the engine checked them, defaults filled in; no Cognito client yet. */
export interface ValidatedProfileOptions {
  name: string;
  userPoolId: string;
  clientId: string;
  clientSecret?: string;
  region: string;
  authSessionValiditySeconds: number;
  signUpHandleTtlSeconds: number;
  onExistingUser: 'ERROR' | 'SIGN_IN';
  limits: LimitsConfig;
  webAuthnOrigins: readonly string[];
}

export interface ResolvedProfile extends ValidatedProfileOptions {
  cognitoClient: CognitoIdentityProviderClient;
  /** The option that named the client, for error messages. */
  cognitoClientOption: string;
}

export interface ResolvedOptions {
  profiles: Map<string, ResolvedProfile>;
  store: OtpStore;
  hmacSecret: Buffer;
  clock: { now(): number };
  random: (n: number) => Buffer;
  cognitoTimeoutMs: number;
  logger?: OtpLogger;
}

/** Commercial, China, GovCloud and ISO partitions: `eu-west-1`, `us-gov-west-1`, `cn-north-1`, `us-isob-east-1`. */
const REGION = /^[a-z]{2}(?:-(?:gov|iso[a-z]?))?-[a-z]+-[0-9]{1,2}$/;
/** Cognito's pattern for user pool ids, with the region part checked separately. */
const USER_POOL_ID = /^([a-z0-9-]+)_([0-9a-zA-Z]+)$/;
const CLIENT_ID = /^[\w+]{1,128}$/;
const CLIENT_SECRET = /^[\w+]{1,64}$/;
/** What a profile may be called: it travels in a header and names a cookie. */
export const PROFILE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * The keys of ProfileOptions a configuration file may hold (everything but the Cognito client): a
 * reader of such a file accepts these for the engine and checks them with validateProfileOptions.
 */
export const PROFILE_OPTION_KEYS = [
  'userPoolId',
  'clientId',
  'clientSecret',
  'region',
  'authSessionValiditySeconds',
  'signUpHandleTtlSeconds',
  'onExistingUser',
  'limits',
  'webAuthnOrigins',
] as const satisfies readonly (keyof ProfileOptions)[];
const MIN_HMAC_SECRET_BYTES = 32;

const STORE_METHODS = [
  'createHandle',
  'lockHandle',
  'replaceHandle',
  'recordWrongCode',
  'unlockHandle',
  'consumeHandle',
  'deleteHandle',
  'take',
  'giveBack',
  'usage',
  'ping',
] as const;

function integerIn(value: unknown, option: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new OtpConfigError(option, `must be an integer from ${min} to ${max}, got ${String(value)}`);
  }
  return value;
}

function isCognitoClient(value: unknown): value is CognitoIdentityProviderClient {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { send?: unknown }).send === 'function' &&
    typeof (value as { config?: unknown }).config === 'object'
  );
}

/**
 * Checks every option and fills in defaults.
 * @throws OtpConfigError naming the first bad option
 */
export function resolveOptions(options: OtpEngineOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null)
    throw new OtpConfigError('options', 'must be an object');
  if (!isCognitoClient(options.cognitoClient)) {
    throw new OtpConfigError('cognitoClient', 'must be a CognitoIdentityProviderClient');
  }
  const store = options.store as unknown;
  const missing = STORE_METHODS.find(
    (method) =>
      typeof store !== 'object' ||
      store === null ||
      typeof (store as Record<string, unknown>)[method] !== 'function',
  );
  if (missing !== undefined) throw new OtpConfigError('store', `must be an OtpStore (no ${missing}())`);

  const secret =
    typeof options.hmacSecret === 'string'
      ? Buffer.from(options.hmacSecret, 'utf8')
      : Buffer.isBuffer(options.hmacSecret)
        ? Buffer.from(options.hmacSecret)
        : undefined;
  if (secret === undefined) throw new OtpConfigError('hmacSecret', 'must be a string or a Buffer');
  if (secret.length < MIN_HMAC_SECRET_BYTES) {
    throw new OtpConfigError(
      'hmacSecret',
      `must be at least ${MIN_HMAC_SECRET_BYTES} bytes, got ${secret.length}`,
    );
  }

  const clock = options.clock ?? { now: () => Date.now() };
  if (typeof clock?.now !== 'function') throw new OtpConfigError('clock', 'must have a now() method');
  const random = options.random ?? pooledRandomBytes;
  if (typeof random !== 'function') throw new OtpConfigError('random', 'must be a function (n) => Buffer');
  const cognitoTimeoutMs = integerIn(options.cognitoTimeoutMs ?? 4000, 'cognitoTimeoutMs', 100, 30_000);
  if (options.logger !== undefined && typeof options.logger !== 'function') {
    throw new OtpConfigError('logger', 'must be a function');
  }

  if (typeof options.profiles !== 'object' || options.profiles === null) {
    throw new OtpConfigError('profiles', 'must be an object of client profiles by name');
  }
  const profiles = new Map<string, ResolvedProfile>();
  for (const [name, profile] of Object.entries(options.profiles)) {
    profiles.set(name, resolveProfile(name, profile, options.cognitoClient));
  }
  if (profiles.size === 0) throw new OtpConfigError('profiles', 'must name at least one client profile');

  return {
    profiles,
    store: options.store,
    hmacSecret: secret,
    clock,
    random,
    cognitoTimeoutMs,
    ...(options.logger === undefined ? {} : { logger: options.logger }),
  };
}

function resolveProfile(
  name: string,
  profile: ProfileOptions,
  defaultClient: CognitoIdentityProviderClient,
): ResolvedProfile {
  const validated = validateProfileOptions(name, profile);
  const ownClient = profile.cognitoClient !== undefined;
  if (ownClient && !isCognitoClient(profile.cognitoClient)) {
    throw new OtpConfigError(`profiles.${name}.cognitoClient`, 'must be a CognitoIdentityProviderClient');
  }
  return {
    ...validated,
    cognitoClient: profile.cognitoClient ?? defaultClient,
    cognitoClientOption: ownClient ? `profiles.${name}.cognitoClient` : 'cognitoClient',
  };
}

/**
 * The engine's checks of one client profile's options (all of ProfileOptions but the Cognito client),
 * with defaults filled in. createOtpEngine runs them; a reader of a configuration file runs them too, so
 * that a file the engine would refuse is refused when it is read, with the same message.
 * @throws OtpConfigError naming the bad option as `profiles.<name>.<option>`
 */
export function validateProfileOptions(name: string, profile: unknown): ValidatedProfileOptions {
  const at = (option: string) => `profiles.${name}.${option}`;
  if (!PROFILE_NAME.test(name)) {
    throw new OtpConfigError(
      `profiles.${name}`,
      'a profile name is 1 to 64 letters, digits, ".", "_" or "-"',
    );
  }
  if (typeof profile !== 'object' || profile === null || Array.isArray(profile))
    throw new OtpConfigError(`profiles.${name}`, 'must be an object');
  const options = profile as ProfileOptions;

  const pool = typeof options.userPoolId === 'string' ? USER_POOL_ID.exec(options.userPoolId) : null;
  const poolRegion = pool?.[1];
  if (!pool || poolRegion === undefined || !REGION.test(poolRegion)) {
    throw new OtpConfigError(
      at('userPoolId'),
      `must be "<region>_<id>" like "eu-west-1_AbC123xyz", got ${JSON.stringify(options.userPoolId)}`,
    );
  }
  const region = options.region ?? poolRegion;
  if (typeof region !== 'string' || !REGION.test(region)) {
    throw new OtpConfigError(
      at('region'),
      `must be an AWS region like "eu-west-1", got ${JSON.stringify(options.region)}`,
    );
  }
  if (region !== poolRegion) {
    throw new OtpConfigError(at('region'), `is "${region}" but the user pool is in "${poolRegion}"`);
  }
  if (typeof options.clientId !== 'string' || !CLIENT_ID.test(options.clientId)) {
    throw new OtpConfigError(
      at('clientId'),
      'must be an app client id (1 to 128 letters, digits, "_" or "+")',
    );
  }
  if (
    options.clientSecret !== undefined &&
    (typeof options.clientSecret !== 'string' || !CLIENT_SECRET.test(options.clientSecret))
  ) {
    // Never echo a secret into an error message.
    throw new OtpConfigError(
      at('clientSecret'),
      'must be an app client secret (1 to 64 letters, digits, "_" or "+")',
    );
  }
  const authSessionValiditySeconds = integerIn(
    options.authSessionValiditySeconds ?? 180,
    at('authSessionValiditySeconds'),
    180,
    900,
  );
  const signUpHandleTtlSeconds = integerIn(
    options.signUpHandleTtlSeconds ?? 86_400,
    at('signUpHandleTtlSeconds'),
    60,
    86_400,
  );
  const onExistingUser = options.onExistingUser ?? 'ERROR';
  if (onExistingUser !== 'ERROR' && onExistingUser !== 'SIGN_IN') {
    throw new OtpConfigError(
      at('onExistingUser'),
      `must be "ERROR" or "SIGN_IN", got ${JSON.stringify(onExistingUser)}`,
    );
  }
  const limits = validateLimits(options.limits ?? {}, at('limits'));
  const webAuthnOrigins = options.webAuthnOrigins ?? [];
  if (!Array.isArray(webAuthnOrigins)) {
    throw new OtpConfigError(at('webAuthnOrigins'), 'must be an array of origins');
  }
  webAuthnOrigins.forEach((origin: unknown, index) => {
    if (!isWebOrigin(origin)) {
      throw new OtpConfigError(
        `${at('webAuthnOrigins')}[${index}]`,
        'expected an origin like "https://shop.example" (scheme, host, optional port; no path or slash)',
      );
    }
  });
  return {
    name,
    userPoolId: options.userPoolId,
    clientId: options.clientId,
    ...(options.clientSecret === undefined ? {} : { clientSecret: options.clientSecret }),
    region,
    authSessionValiditySeconds,
    signUpHandleTtlSeconds,
    onExistingUser,
    limits,
    webAuthnOrigins: [...webAuthnOrigins],
  };
}

/** `https://shop.example` or `http://localhost:5173`: scheme, host, optional port; nothing else. */
function isWebOrigin(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}
