import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { CognitoError, notAuthorized, resourceNotFound } from '../errors.js';
import type { AppClient, DevMessage, EmulatorState, PoolUser, UserPool } from '../state.js';
import { userKey } from '../state.js';
import type { TokenService } from '../token-service.js';
import type { Input } from '../validate.js';

/** What every operation handler gets besides its input. */
export interface OperationContext {
  state: EmulatorState;
  tokens: TokenService;
  /** `http://host:port` of this emulator: token issuers are `${baseUrl}/${poolId}`. */
  baseUrl: string;
}

export type Operation = (input: Input, ctx: OperationContext) => object | Promise<object>;

export function poolById(state: EmulatorState, userPoolId: string): UserPool {
  const pool = state.pools.get(userPoolId);
  if (!pool) throw resourceNotFound(`User pool ${userPoolId} does not exist.`);
  return pool;
}

/** The pool and client behind a ClientId, as the unsigned operations find them. */
export function clientById(state: EmulatorState, clientId: string): { pool: UserPool; client: AppClient } {
  const poolId = state.clientIndex.get(clientId);
  const pool = poolId === undefined ? undefined : state.pools.get(poolId);
  const client = pool?.clients.get(clientId);
  if (!pool || !client) throw resourceNotFound(`User pool client ${clientId} does not exist.`);
  return { pool, client };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** E.164: a plus and up to 15 digits (Cognito refuses anything else as a phone_number). */
const PHONE = /^\+[0-9]{5,15}$/;

export const looksLikeEmail = (value: string): boolean => EMAIL.test(value);
export const looksLikePhone = (value: string): boolean => PHONE.test(value);

export type UsernameAttribute = 'email' | 'phone_number';

/** Which of the pool's UsernameAttributes a sign-in name is, if any. */
export function usernameAttributeOf(pool: UserPool, name: string): UsernameAttribute | undefined {
  if (pool.usernameAttributes.includes('email') && looksLikeEmail(name)) return 'email';
  if (pool.usernameAttributes.includes('phone_number') && looksLikePhone(name)) return 'phone_number';
  return undefined;
}

/** Email addresses follow the pool's username case rule; phone numbers are digits and compare exactly. */
function aliasKey(pool: UserPool, attribute: UsernameAttribute, value: string): string {
  return `${attribute}:${attribute === 'email' ? userKey(pool, value) : value}`;
}

/** Whether two values of a username attribute name the same account in this pool. */
export function sameAlias(pool: UserPool, attribute: UsernameAttribute, a: string, b: string): boolean {
  return aliasKey(pool, attribute, a) === aliasKey(pool, attribute, b);
}

/**
 * Records a user's email and phone number in the pool's alias index, for pools whose usernames are
 * those attributes. Call it whenever a user is added to `pool.users` or one of those attributes changes.
 */
export function indexUser(pool: UserPool, user: PoolUser): void {
  if (pool.usernameAttributes.length === 0) return;
  pool.aliases ??= new Map();
  for (const attribute of pool.usernameAttributes) {
    const value = user.attributes.get(attribute);
    if (value !== undefined) pool.aliases.set(aliasKey(pool, attribute, value), userKey(pool, user.username));
  }
}

/**
 * The user whose `attribute` is `value`, in O(1). The index entry is trusted only while the user is
 * still in `pool.users` with that value, so deletions and changes made elsewhere cannot resurrect a user.
 */
export function findUserByAlias(
  pool: UserPool,
  attribute: UsernameAttribute,
  value: string,
): PoolUser | undefined {
  const key = pool.aliases?.get(aliasKey(pool, attribute, value));
  const user = key === undefined ? undefined : pool.users.get(key);
  const current = user?.attributes.get(attribute);
  return current !== undefined && sameAlias(pool, attribute, current, value) ? user : undefined;
}

/**
 * A user by the name a client sends: the stored username (case-insensitively unless the pool is
 * case-sensitive) or, in pools with UsernameAttributes, the email address or phone number.
 */
export function findUser(pool: UserPool, username: string): PoolUser | undefined {
  const direct = pool.users.get(userKey(pool, username));
  if (direct) return direct;
  const attribute = usernameAttributeOf(pool, username);
  return attribute === undefined ? undefined : findUserByAlias(pool, attribute, username);
}

export const allowsFlow = (client: AppClient, flow: string): boolean =>
  client.explicitAuthFlows.includes(flow);

/** When a Session created now expires: the client's AuthSessionValidity, in minutes. */
export const sessionExpiry = (ctx: OperationContext, client: AppClient): number =>
  ctx.state.now() + client.authSessionValidity * 60_000;

/** Compares a received code with the expected one in time independent of where they differ or their lengths. */
export function codesEqual(expected: string, received: string): boolean {
  const a = createHash('sha256').update(expected).digest();
  const b = createHash('sha256').update(received).digest();
  return timingSafeEqual(a, b) && expected === received;
}

/** Base64(HMAC-SHA256(key: client secret, message: username + client id)). */
export function secretHash(clientSecret: string, username: string, clientId: string): string {
  return createHmac('sha256', clientSecret)
    .update(username + clientId)
    .digest('base64');
}

/**
 * Checks SECRET_HASH for a client with a secret, with Cognito's messages for a missing and a wrong one.
 * Clients without a secret ignore whatever is sent.
 */
export function checkSecretHash(client: AppClient, username: string, received: string | undefined): void {
  if (!client.clientSecret) return;
  if (received === undefined || received === '') {
    throw notAuthorized(`Client ${client.clientId} is configured for secret but secret was not received`);
  }
  const expected = Buffer.from(secretHash(client.clientSecret, username, client.clientId));
  const given = Buffer.from(received);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw notAuthorized(`Unable to verify secret hash for client ${client.clientId}`);
  }
}

/** Checks a raw ClientSecret (GetTokensFromRefreshToken, RevokeToken). */
export function checkClientSecret(client: AppClient, received: string | undefined): void {
  if (!client.clientSecret) return;
  if (received === undefined || received === '') {
    throw notAuthorized(`Client ${client.clientId} is configured for secret but secret was not received`);
  }
  const expected = Buffer.from(client.clientSecret);
  const given = Buffer.from(received);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    throw notAuthorized(`Unable to verify secret for client ${client.clientId}`);
  }
}

/** `yuki@example.com` -> `y***@e***`, as Cognito masks email destinations. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  const local = at > 0 ? address.slice(0, at) : address;
  const domain = at > 0 ? address.slice(at + 1) : '';
  return `${local.charAt(0)}***@${domain.charAt(0)}***`;
}

/** `+819012345678` -> `+*********5678`: everything but the plus and the last four digits hidden. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/^\+/, '');
  const shown = digits.slice(-4);
  return `+${'*'.repeat(Math.max(digits.length - 4, 0))}${shown}`;
}

const DAY_MS = 24 * 3600 * 1000;

/**
 * Records a sent code in the dev mailbox. Email counts against the pool's daily quota (the default
 * Cognito sender's cap): over it, the caller gets LimitExceededException after its own side effects,
 * as Cognito creates the user and then refuses to send.
 */
export function deliver(ctx: OperationContext, pool: UserPool, message: Omit<DevMessage, 'sentAt'>): void {
  const now = ctx.state.now();
  if (message.medium === 'EMAIL' && pool.dailyEmailQuota !== undefined) {
    const day = Math.floor(now / DAY_MS);
    if (pool.emailsSent.day !== day) pool.emailsSent = { day, count: 0 };
    if (pool.emailsSent.count >= pool.dailyEmailQuota) {
      throw new CognitoError(
        'LimitExceededException',
        'Exceeded daily email limit for the operation or the account. If a higher limit is required, please configure your user pool to use your own Amazon SES configuration for sending email.',
      );
    }
    pool.emailsSent.count += 1;
  }
  ctx.state.messages.push({ ...message, sentAt: new Date(now).toISOString() });
}

export function attributesOut(user: PoolUser): Array<{ Name: string; Value: string }> {
  return [...user.attributes].map(([Name, Value]) => ({ Name, Value }));
}
