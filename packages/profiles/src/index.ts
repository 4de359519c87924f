// @otpgate/profiles: the one reader of the gateway's client-profiles file (OTPGATE_CONFIG).
//
// A profile holds two kinds of keys. The engine's (pool, app client, session validity, limits, ...)
// are checked by the engine's own `validateProfileOptions`, so a file is refused when it is read for
// exactly what createOtpEngine would refuse, with the same message. The gateway's HTTP keys (origins,
// token delivery, cookie lifetime) are checked here, where the file format is defined. The gateway, the
// pool doctor and the CDK app's profile writer all read through this module.
import { readFileSync } from 'node:fs';
import {
  OtpConfigError,
  PROFILE_OPTION_KEYS,
  type ValidatedProfileOptions,
  validateProfileOptions,
} from '@otpgate/cognito-otp';

/** How a profile hands out the refresh token. */
export type TokenDelivery = 'body' | 'cookie';

/** The keys of a profile that belong to the gateway's HTTP layer rather than the engine. */
export const GATEWAY_PROFILE_KEYS = [
  'allowedOrigins',
  'tokenDelivery',
  'refreshCookieMaxAgeSeconds',
] as const;

/** The refresh-token cookie's default lifetime: Cognito's default refresh token validity. */
export const DEFAULT_REFRESH_COOKIE_MAX_AGE_SECONDS = 30 * 24 * 3600;

/** One profile as read and checked; every key set (defaults filled in). */
export interface FileProfile extends ValidatedProfileOptions {
  /** Exact browser origins (`https://shop.example`) allowed to call with this profile. @default [] */
  allowedOrigins: readonly string[];
  /**
   * `body`: the refresh token is in the response. `cookie`: it is set as an httpOnly, Secure,
   * SameSite=Strict cookie and the response's `refreshToken` is null. @default 'body'
   */
  tokenDelivery: TokenDelivery;
  /** Lifetime of the refresh-token cookie, seconds (60 to 10 years). @default 2592000 (30 days) */
  refreshCookieMaxAgeSeconds: number;
}

/** A profiles file that cannot be used; `key` is the path of the bad value, e.g. `profiles.web.region`. */
export class ProfilesFileError extends Error {
  override name = 'ProfilesFileError';
  constructor(
    readonly key: string,
    readonly reason: string,
  ) {
    super(`${key}: ${reason}`);
  }
}

const KNOWN_KEYS: ReadonlySet<string> = new Set([...PROFILE_OPTION_KEYS, ...GATEWAY_PROFILE_KEYS]);

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `https://shop.example` or `http://localhost:5173`: scheme, host, optional port; nothing else. */
function isOrigin(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}

/**
 * One profile from its raw JSON object: unknown keys refused, the engine's keys checked by the engine,
 * the gateway's here.
 * @throws ProfilesFileError naming `profiles.<name>.<key>`
 */
export function parseProfile(name: string, raw: unknown): FileProfile {
  const at = (key: string) => `profiles.${name}.${key}`;
  if (!isObject(raw)) throw new ProfilesFileError(`profiles.${name}`, 'must be an object');
  for (const key of Object.keys(raw)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new ProfilesFileError(at(key), `unknown key; known: ${[...KNOWN_KEYS].join(', ')}`);
    }
  }
  let engine: ValidatedProfileOptions;
  try {
    engine = validateProfileOptions(name, raw);
  } catch (error) {
    if (error instanceof OtpConfigError) throw new ProfilesFileError(error.option, error.reason);
    throw error;
  }

  // webAuthnOrigins is the engine's (it checks each credential's origin), validated with the rest.
  const originList = (key: 'allowedOrigins'): string[] => {
    const list = raw[key] ?? [];
    if (!Array.isArray(list)) throw new ProfilesFileError(at(key), 'must be an array of origins');
    list.forEach((origin, index) => {
      if (!isOrigin(origin)) {
        throw new ProfilesFileError(
          `${at(key)}[${index}]`,
          'expected an origin like "https://shop.example" (scheme, host, optional port; no path or slash)',
        );
      }
    });
    return list as string[];
  };
  const origins = originList('allowedOrigins');
  const tokenDelivery = raw.tokenDelivery ?? 'body';
  if (tokenDelivery !== 'body' && tokenDelivery !== 'cookie') {
    throw new ProfilesFileError(at('tokenDelivery'), 'must be "body" or "cookie"');
  }
  const maxAge = raw.refreshCookieMaxAgeSeconds ?? DEFAULT_REFRESH_COOKIE_MAX_AGE_SECONDS;
  if (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < 60 || maxAge > 3650 * 24 * 3600) {
    throw new ProfilesFileError(at('refreshCookieMaxAgeSeconds'), 'must be an integer from 60 to 315360000');
  }
  return {
    ...engine,
    allowedOrigins: origins,
    tokenDelivery,
    refreshCookieMaxAgeSeconds: maxAge,
  };
}

/**
 * Every profile of a parsed profiles file, `{ "profiles": { "<name>": { ... } } }`.
 * @throws ProfilesFileError naming the bad key path
 */
export function parseProfilesFile(json: unknown): Record<string, FileProfile> {
  if (!isObject(json)) throw new ProfilesFileError('(root)', 'must be an object with "profiles"');
  for (const key of Object.keys(json)) {
    if (key !== 'profiles') throw new ProfilesFileError(key, 'unknown key; the file holds "profiles" only');
  }
  const { profiles } = json;
  if (!isObject(profiles) || Object.keys(profiles).length === 0) {
    throw new ProfilesFileError('profiles', 'must be an object of at least one profile by name');
  }
  const parsed: Record<string, FileProfile> = {};
  for (const [name, raw] of Object.entries(profiles)) parsed[name] = parseProfile(name, raw);
  return parsed;
}

/**
 * Reads and checks a profiles file.
 * @param readFile injectable for tests. @default fs.readFileSync(path, 'utf8')
 * @throws ProfilesFileError: key `file` when it cannot be read or is not JSON, else the bad key path
 */
export function readProfilesFile(
  path: string,
  readFile: (path: string) => string = (file) => readFileSync(file, 'utf8'),
): Record<string, FileProfile> {
  let text: string;
  try {
    text = readFile(path);
  } catch {
    throw new ProfilesFileError('file', 'cannot be read');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ProfilesFileError('file', 'is not valid JSON');
  }
  return parseProfilesFile(json);
}
