// The token operations: GetTokensFromRefreshToken, InitiateAuth's REFRESH_TOKEN_AUTH (through
// `refreshTokenAuth`), RevokeToken, GlobalSignOut and GetUser. The mechanics (signing, registry,
// revocation) live in ../token-service.ts; this file is the API surface: input checks and Cognito's errors.
import { timingSafeEqual } from 'node:crypto';
import { CognitoError, invalidParameter, notAuthorized } from '../errors.js';
import type { PoolUser } from '../state.js';
import {
  CLIENT_ID,
  type Input,
  optionalString,
  optionalStringMap,
  requiredString,
  type StringRule,
} from '../validate.js';
import {
  attributesOut,
  checkClientSecret,
  clientById,
  type Operation,
  type OperationContext,
  secretHash,
} from './context.js';

/** The API model's pattern for AccessToken, RefreshToken and Token. */
const TOKEN = { pattern: /^[A-Za-z0-9\-_=.]+$/ } satisfies StringRule;
const CLIENT_SECRET = { max: 64, pattern: /^[\w+]+$/ } satisfies StringRule;
const DEVICE_KEY = { max: 55, pattern: /^[\w-]+_[0-9a-f-]+$/ } satisfies StringRule;

/**
 * Legacy clients list flows without the ALLOW_ prefix (ADMIN_NO_SRP_AUTH, USER_PASSWORD_AUTH,
 * CUSTOM_AUTH_FLOW_ONLY); for them Cognito always allowed refresh. Clients using ALLOW_ flows must
 * list ALLOW_REFRESH_TOKEN_AUTH (Cognito refuses to create one without it: "REFRESH_TOKEN_AUTH should
 * always be allowed.", aws-cdk#7625).
 */
function refreshAllowed(flows: readonly string[]): boolean {
  return flows.includes('ALLOW_REFRESH_TOKEN_AUTH') || !flows.some((flow) => flow.startsWith('ALLOW_'));
}

/**
 * GetTokensFromRefreshToken {RefreshToken, ClientId, ClientSecret?, ClientMetadata?, DeviceKey?}:
 * new access and ID tokens. Refresh-token rotation is not emulated, so no RefreshToken comes back (as
 * from a Cognito client with rotation disabled). It does not need ALLOW_REFRESH_TOKEN_AUTH: Cognito
 * requires that flow to be off on rotating clients, which renew through this operation only.
 * @throws InvalidParameterException, ResourceNotFoundException; NotAuthorizedException for a missing or
 *   wrong ClientSecret and for an unknown, other client's, revoked or expired refresh token.
 */
export const getTokensFromRefreshToken: Operation = (input, ctx) => {
  const refreshToken = requiredString(input, 'RefreshToken', TOKEN);
  const clientId = requiredString(input, 'ClientId', CLIENT_ID);
  const clientSecret = optionalString(input, 'ClientSecret', CLIENT_SECRET);
  // Accepted for shape only: the emulator runs no Lambda triggers and tracks no devices.
  optionalStringMap(input, 'ClientMetadata');
  optionalString(input, 'DeviceKey', DEVICE_KEY);
  const { pool, client } = clientById(ctx.state, clientId);
  checkClientSecret(client, clientSecret);
  const { user, record } = ctx.tokens.resolveRefreshToken(client, refreshToken);
  return {
    AuthenticationResult: ctx.tokens.renew({ pool, client, user, record, baseUrl: ctx.baseUrl }),
  };
};

/**
 * InitiateAuth with AuthFlow REFRESH_TOKEN_AUTH (or its alias REFRESH_TOKEN), called by InitiateAuth
 * with its whole input: AuthParameters {REFRESH_TOKEN, SECRET_HASH?, DEVICE_KEY?}. Answers
 * `{ChallengeParameters: {}, AuthenticationResult}` without a RefreshToken.
 *
 * SECRET_HASH for a refresh is computed by clients with whichever name they hold; Cognito's documented
 * one is the username, which in pools with email or phone usernames is the sub. Both are accepted.
 * @throws InvalidParameterException "REFRESH_TOKEN_AUTH flow not enabled for this client" (the
 *   wording Cognito uses for other disabled flows) or a missing REFRESH_TOKEN; ResourceNotFoundException;
 *   NotAuthorizedException as GetTokensFromRefreshToken, and "SecretHash does not match for the
 *   client: <id>" for a wrong SECRET_HASH (Cognito's wording on this flow).
 */
export function refreshTokenAuth(input: Input, ctx: OperationContext): object {
  const clientId = requiredString(input, 'ClientId', CLIENT_ID);
  const parameters = optionalStringMap(input, 'AuthParameters') ?? {};
  const { pool, client } = clientById(ctx.state, clientId);
  if (!refreshAllowed(client.explicitAuthFlows)) {
    throw invalidParameter('REFRESH_TOKEN_AUTH flow not enabled for this client');
  }
  const refreshToken = parameters.REFRESH_TOKEN;
  if (refreshToken === undefined || refreshToken === '') {
    throw invalidParameter('Missing required parameter REFRESH_TOKEN');
  }
  const received = parameters.SECRET_HASH;
  if (client.clientSecret && (received === undefined || received === '')) {
    throw notAuthorized(`Client ${client.clientId} is configured for secret but secret was not received`);
  }
  const { user, record } = ctx.tokens.resolveRefreshToken(client, refreshToken);
  if (client.clientSecret && received !== undefined) {
    const secret = client.clientSecret;
    const matches = [user.username, user.sub].some((name) =>
      sameString(secretHash(secret, name, client.clientId), received),
    );
    if (!matches) throw notAuthorized(`SecretHash does not match for the client: ${client.clientId}`);
  }
  return {
    ChallengeParameters: {},
    AuthenticationResult: ctx.tokens.renew({ pool, client, user, record, baseUrl: ctx.baseUrl }),
  };
}

function sameString(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A compact JWS: three base64url parts, the first a JSON header naming an algorithm. */
function isJwt(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3 || !parts[0]) return false;
  try {
    const header: unknown = JSON.parse(Buffer.from(parts[0], 'base64url').toString('utf8'));
    return typeof header === 'object' && header !== null && 'alg' in header;
  } catch {
    return false;
  }
}

/**
 * Cognito declares no NotAuthorizedException for RevokeToken; its client-authentication failure is
 * UnauthorizedException (401). The messages stay those of the other operations.
 */
function unauthorized(error: unknown): never {
  if (error instanceof CognitoError && error.type === 'NotAuthorizedException') {
    throw new CognitoError('UnauthorizedException', error.message);
  }
  throw error;
}

/**
 * RevokeToken {Token, ClientId, ClientSecret?}: revokes a refresh token and every access and ID token
 * minted from it (same origin_jti); the user's other sign-ins are untouched. Where AWS says nothing we
 * chose [I]:
 * - a client with EnableTokenRevocation false: UnsupportedOperationException;
 * - an access or ID token as Token: UnsupportedTokenTypeException (only refresh tokens are revocable);
 * - an unknown, expired or already revoked refresh token: success, as RFC 7009 asks of revocation
 *   endpoints (the caller's goal, the token being unusable, holds);
 * - a missing or wrong ClientSecret, or a refresh token issued to another client:
 *   UnauthorizedException, the client-authentication error RevokeToken declares.
 * @throws InvalidParameterException, ResourceNotFoundException, UnsupportedOperationException,
 *   UnsupportedTokenTypeException, UnauthorizedException
 */
export const revokeToken: Operation = (input, ctx) => {
  const token = requiredString(input, 'Token', TOKEN);
  const clientId = requiredString(input, 'ClientId', CLIENT_ID);
  const clientSecret = optionalString(input, 'ClientSecret', CLIENT_SECRET);
  const { client } = clientById(ctx.state, clientId);
  if (!client.enableTokenRevocation) {
    throw new CognitoError(
      'UnsupportedOperationException',
      'Token revocation is not enabled for this app client.',
    );
  }
  try {
    checkClientSecret(client, clientSecret);
  } catch (error) {
    unauthorized(error);
  }
  if (isJwt(token)) {
    throw new CognitoError('UnsupportedTokenTypeException', 'Only refresh tokens can be revoked.');
  }
  const record = ctx.tokens.findRefreshToken(token);
  if (!record) return {};
  if (record.clientId !== client.clientId) {
    throw new CognitoError('UnauthorizedException', `The token was not issued to client ${client.clientId}.`);
  }
  ctx.tokens.revoke(record);
  return {};
};

/**
 * GlobalSignOut {AccessToken}: every token the user holds in the pool, on every device and client,
 * stops working: refresh tokens are revoked, access tokens are refused by the operations that take one.
 * Tokens issued after the call (a new sign-in, even in the same second) are valid.
 * @throws InvalidParameterException; NotAuthorizedException "Invalid Access Token" | "Access Token has
 *   expired" | "Access Token has been revoked"; UserNotFoundException for a deleted user.
 */
export const globalSignOut: Operation = (input, ctx) => {
  const { pool, user } = ctx.tokens.verifyAccessToken(
    requiredString(input, 'AccessToken', TOKEN),
    ctx.baseUrl,
  );
  ctx.tokens.signOut(pool, user);
  return {};
};

type MfaName = 'SMS_MFA' | 'SOFTWARE_TOKEN_MFA';

function mfaSettings(user: PoolUser): MfaName[] {
  const list: MfaName[] = [];
  if (user.mfa.smsEnabled) list.push('SMS_MFA');
  if (user.mfa.softwareTokenEnabled) list.push('SOFTWARE_TOKEN_MFA');
  return list;
}

/**
 * GetUser {AccessToken}: the token's user, with `sub` first among the attributes whatever sign-up
 * stored. MFAOptions (the legacy SMS-only member) is never filled.
 * @throws InvalidParameterException; NotAuthorizedException as GlobalSignOut; UserNotFoundException.
 */
export const getUser: Operation = (input, ctx) => {
  const { user } = ctx.tokens.verifyAccessToken(requiredString(input, 'AccessToken', TOKEN), ctx.baseUrl);
  const attributes = attributesOut(user).filter((attribute) => attribute.Name !== 'sub');
  const mfa = mfaSettings(user);
  return {
    Username: user.username,
    UserAttributes: [{ Name: 'sub', Value: user.sub }, ...attributes],
    PreferredMfaSetting: user.mfa.preferred,
    UserMFASettingList: mfa.length > 0 ? mfa : undefined,
  };
};
