import { invalidParameter, userNotFound } from '../errors.js';
import type { PoolUser, UserPool } from '../state.js';
import { userKey } from '../state.js';
import {
  type Input,
  optionalArray,
  optionalBoolean,
  optionalInteger,
  optionalObject,
  optionalString,
  requiredString,
  USER_POOL_ID,
  USERNAME,
} from '../validate.js';
import { attributesOut, findUser, type OperationContext, poolById } from './context.js';

type MfaName = 'SMS_MFA' | 'SOFTWARE_TOKEN_MFA';

const seconds = (ms: number) => ms / 1000;

function userIn(input: Input, ctx: OperationContext): { pool: UserPool; user: PoolUser } {
  const pool = poolById(ctx.state, requiredString(input, 'UserPoolId', USER_POOL_ID));
  const user = findUser(pool, requiredString(input, 'Username', USERNAME));
  if (!user) throw userNotFound();
  return { pool, user };
}

/** Every user carries `sub` among its attributes in Cognito's answers, whatever sign-up stored. */
function attributes(user: PoolUser): Array<{ Name: string; Value: string }> {
  const list = attributesOut(user);
  return user.attributes.has('sub') ? list : [{ Name: 'sub', Value: user.sub }, ...list];
}

function mfaSettings(user: PoolUser): MfaName[] {
  const list: MfaName[] = [];
  if (user.mfa.smsEnabled) list.push('SMS_MFA');
  if (user.mfa.softwareTokenEnabled) list.push('SOFTWARE_TOKEN_MFA');
  return list;
}

/**
 * AdminGetUser. The Username answered is the stored one: in pools with email or phone as username
 * attributes that is the sub, whichever alias was asked for. MFAOptions, the legacy SMS-only member,
 * is never filled: Cognito fills it only through the deprecated SetUserSettings.
 * @throws ResourceNotFoundException, UserNotFoundException, InvalidParameterException
 */
export function adminGetUser(input: Input, ctx: OperationContext): object {
  const { user } = userIn(input, ctx);
  const list = mfaSettings(user);
  return {
    Username: user.username,
    UserAttributes: attributes(user),
    UserCreateDate: seconds(user.createdAt),
    UserLastModifiedDate: seconds(user.lastModifiedAt),
    Enabled: user.enabled,
    UserStatus: user.status,
    PreferredMfaSetting: user.mfa.preferred,
    UserMFASettingList: list.length > 0 ? list : undefined,
  };
}

/**
 * AdminDeleteUser: the user, their pending Sessions and (through the token service) their refresh
 * tokens go, so nothing issued before the deletion works afterwards.
 * @throws ResourceNotFoundException, UserNotFoundException, InvalidParameterException
 */
export function adminDeleteUser(input: Input, ctx: OperationContext): object {
  const { pool, user } = userIn(input, ctx);
  // findUser may have resolved an alias, so delete by identity rather than by the name given.
  for (const [key, candidate] of pool.users) {
    if (candidate === user) pool.users.delete(key);
  }
  const owner = userKey(pool, user.username);
  for (const [id, session] of ctx.state.sessions) {
    if (session.userPoolId === pool.id && userKey(pool, session.username) === owner)
      ctx.state.sessions.delete(id);
  }
  ctx.tokens.forgetUser(pool, user);
  return {};
}

/** `{Enabled, PreferredMfa}` of one MFA type; undefined when the member is absent. */
function mfaChoice(input: Input, field: string): { enabled?: boolean; preferred?: boolean } | undefined {
  const settings = optionalObject(input, field);
  if (settings === undefined) return undefined;
  return {
    enabled: optionalBoolean(settings, 'Enabled'),
    preferred: optionalBoolean(settings, 'PreferredMfa'),
  };
}

/**
 * AdminSetUserMFAPreference: how tests give a user MFA, which takes EMAIL_OTP and SMS_OTP away from
 * them as first factors. Unlike Cognito, a software token needs no prior AssociateSoftwareToken and
 * the pool's MfaConfiguration is not checked, so any pool's users can be given MFA [I].
 * Email and WebAuthn MFA are refused: the emulator models no pool configuration for them, and ignoring
 * them silently would let a test believe the user has MFA when sign-in says otherwise.
 * @throws ResourceNotFoundException, UserNotFoundException, InvalidParameterException
 */
export function adminSetUserMfaPreference(input: Input, ctx: OperationContext): object {
  const sms = mfaChoice(input, 'SMSMfaSettings');
  const totp = mfaChoice(input, 'SoftwareTokenMfaSettings');
  const { user } = userIn(input, ctx);
  for (const field of ['EmailMfaSettings', 'WebAuthnMfaSettings']) {
    const choice = mfaChoice(input, field);
    if (choice?.enabled || choice?.preferred) {
      throw invalidParameter(
        `${field}: this MFA type is not configured for this user pool (the emulator models SMS and TOTP MFA only).`,
      );
    }
  }
  if (sms?.preferred && totp?.preferred) {
    throw invalidParameter('Only one MFA type can be set as preferred.');
  }
  const next = { ...user.mfa };
  const apply = (choice: typeof sms, enabledKey: 'smsEnabled' | 'softwareTokenEnabled', name: MfaName) => {
    if (!choice) return;
    if (choice.enabled !== undefined) next[enabledKey] = choice.enabled;
    if (choice.preferred && !next[enabledKey]) {
      throw invalidParameter(`${name} cannot be preferred while it is not enabled.`);
    }
    if (choice.preferred) next.preferred = name;
    else if (choice.preferred === false && next.preferred === name) next.preferred = undefined;
    if (!next[enabledKey] && next.preferred === name) next.preferred = undefined;
  };
  apply(sms, 'smsEnabled', 'SMS_MFA');
  apply(totp, 'softwareTokenEnabled', 'SOFTWARE_TOKEN_MFA');
  user.mfa = next;
  user.lastModifiedAt = ctx.state.now();
  return {};
}

// ---- ListUsers ----------------------------------------------------------------------------------

/**
 * The attributes Cognito lets ListUsers filter on. Matching is exact except `cognito:user_status`
 * (case-insensitive, as documented) and `username`, which follows the pool's case sensitivity.
 * `status` is the Enabled/Disabled flag ("Enabled" in the console), not the confirmation status.
 */
const SEARCHABLE = new Set([
  'username',
  'email',
  'phone_number',
  'name',
  'given_name',
  'family_name',
  'preferred_username',
  'cognito:user_status',
  'status',
  'sub',
]);

interface Filter {
  attribute: string;
  prefix: boolean;
  value: string;
}

/** `name = "value"` or `name ^= "value"`; inside the quotes `\"` and `\\` are escapes. */
export function parseFilter(text: string): Filter | undefined {
  if (text.trim() === '') return undefined;
  const match = /^\s*([\w:]+)\s*(\^?=)\s*"((?:[^"\\]|\\.)*)"\s*$/.exec(text);
  if (!match) throw invalidParameter('Error while parsing filter.');
  const [, attribute = '', operator, raw = ''] = match;
  if (!SEARCHABLE.has(attribute)) throw invalidParameter(`Invalid search attribute: ${attribute}`);
  return { attribute, prefix: operator === '^=', value: raw.replace(/\\(.)/g, '$1') };
}

function searchValue(user: PoolUser, attribute: string): string | undefined {
  switch (attribute) {
    case 'username':
      return user.username;
    case 'sub':
      return user.sub;
    case 'cognito:user_status':
      return user.status;
    case 'status':
      return user.enabled ? 'Enabled' : 'Disabled';
    default:
      return user.attributes.get(attribute);
  }
}

function matches(pool: UserPool, user: PoolUser, filter: Filter): boolean {
  let actual = searchValue(user, filter.attribute);
  if (actual === undefined) return false;
  let wanted = filter.value;
  const caseless =
    filter.attribute === 'cognito:user_status' ||
    (filter.attribute === 'username' && !pool.usernameCaseSensitive);
  if (caseless) {
    actual = actual.toLowerCase();
    wanted = wanted.toLowerCase();
  }
  return filter.prefix ? actual.startsWith(wanted) : actual === wanted;
}

const TOKEN_PREFIX = 'lu1.';

/**
 * The token names the last user returned by (creation time, sub), so a page boundary survives users
 * being added or deleted between calls; it is bound to its pool so it cannot be replayed elsewhere.
 */
function encodeToken(pool: UserPool, user: PoolUser): string {
  return (
    TOKEN_PREFIX + Buffer.from(JSON.stringify([pool.id, user.createdAt, user.sub])).toString('base64url')
  );
}

function decodeToken(pool: UserPool, token: string): { createdAt: number; sub: string } {
  const invalid = () => invalidParameter('Invalid pagination token.');
  if (!token.startsWith(TOKEN_PREFIX)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 3) throw invalid();
  const [poolId, createdAt, sub] = parsed as unknown[];
  if (poolId !== pool.id || typeof createdAt !== 'number' || typeof sub !== 'string') throw invalid();
  return { createdAt, sub };
}

const byCreation = (a: PoolUser, b: PoolUser) =>
  a.createdAt - b.createdAt || (a.sub < b.sub ? -1 : a.sub > b.sub ? 1 : 0);

/**
 * ListUsers with Cognito's filter language (one `=` or `^=` condition), Limit up to 60 (default 60)
 * and an opaque PaginationToken. Users come in creation order; Cognito promises no order.
 * @throws ResourceNotFoundException, InvalidParameterException
 */
export function listUsers(input: Input, ctx: OperationContext): object {
  const pool = poolById(ctx.state, requiredString(input, 'UserPoolId', USER_POOL_ID));
  const filter = parseFilter(optionalString(input, 'Filter', { min: 0, max: 256 }) ?? '');
  // The API model allows 0; what Cognito does with it is undocumented, so 0 means the default [I].
  const limit = optionalInteger(input, 'Limit', 0, 60) || 60;
  const token = optionalString(input, 'PaginationToken', { pattern: /^\S+$/ });
  const wanted = optionalArray(input, 'AttributesToGet');
  if (wanted?.some((name) => typeof name !== 'string')) {
    throw invalidParameter(
      "1 validation error detected: Value at 'attributesToGet' failed to satisfy constraint: Member must be a list of strings",
    );
  }
  const after = token === undefined ? undefined : decodeToken(pool, token);

  const users = [...pool.users.values()]
    .filter((user) => filter === undefined || matches(pool, user, filter))
    .sort(byCreation)
    .filter(
      (user) =>
        after === undefined ||
        user.createdAt > after.createdAt ||
        (user.createdAt === after.createdAt && user.sub > after.sub),
    );
  const page = users.slice(0, limit);
  const last = page.at(-1);
  return {
    Users: page.map((user) => ({
      Username: user.username,
      Attributes:
        wanted === undefined ? attributes(user) : attributes(user).filter((a) => wanted.includes(a.Name)),
      UserCreateDate: seconds(user.createdAt),
      UserLastModifiedDate: seconds(user.lastModifiedAt),
      Enabled: user.enabled,
      UserStatus: user.status,
    })),
    PaginationToken: users.length > limit && last ? encodeToken(pool, last) : undefined,
  };
}
