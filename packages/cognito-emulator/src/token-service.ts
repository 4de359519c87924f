// RS256 signing keys per pool, JWT issuance with Cognito's claims, JWKS and OpenID configuration,
// the refresh-token registry, revocation (RevokeToken) and global sign-out.
//
// Only node:crypto: the emulator signs and checks its own JWTs, so it needs no JOSE library, and a
// consumer that verifies the tokens with one (jose, aws-jwt-verify) checks real RS256 signatures.
import {
  createHash,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  randomUUID,
  sign,
  verify,
} from 'node:crypto';
import { notAuthorized, userNotFound } from './errors.js';
import type { AppClient, EmulatorState, PoolUser, TokenUnit, UserPool } from './state.js';
import { userKey } from './state.js';

export interface AuthenticationResult {
  AccessToken: string;
  IdToken: string;
  RefreshToken?: string;
  ExpiresIn: number;
  TokenType: 'Bearer';
}

/** How the user authenticated, for the `amr` and `acr` claims. */
export interface AuthenticationMethod {
  amr: string[];
  acr: string;
}

export interface IssueArgs {
  pool: UserPool;
  client: AppClient;
  user: PoolUser;
  baseUrl: string;
  /**
   * Given for passkey sign-ins only: their tokens carry `amr` and `acr` (Cognito's level 3 for a
   * passkey). Code sign-ins carry neither, as before.
   */
  method?: AuthenticationMethod;
}

/**
 * What the emulator remembers of one authentication: its refresh token and the `origin_jti` that every
 * access and ID token minted from it carries, which is how RevokeToken reaches those tokens.
 * Refresh-token rotation is not emulated, so one record holds exactly one refresh token.
 */
export interface RefreshTokenRecord {
  readonly token: string;
  readonly poolId: string;
  readonly clientId: string;
  readonly sub: string;
  readonly originJti: string;
  /** `event_id` of the authentication; refreshed tokens keep it, as Cognito's do. */
  readonly eventId: string;
  /** `amr`/`acr` of the authentication; refreshed tokens keep them. */
  readonly method?: AuthenticationMethod;
  /** Epoch ms of the authentication. Compared with `PoolUser.signedOutBefore` in ms, not seconds. */
  readonly issuedAt: number;
  /** Epoch ms after which the refresh token is refused (the client's RefreshTokenValidity). */
  readonly expiresAt: number;
  /** Set by RevokeToken and GlobalSignOut; the refresh token and every token minted from it are refused. */
  revoked: boolean;
  /**
   * Epoch ms of the latest `exp` of an access or ID token minted from this record. The record is kept
   * until then even once its refresh token has expired, so that a revoked token still reads as revoked.
   */
  tokensExpireAt: number;
}

/** Claims of an access token the emulator issued. */
export interface AccessTokenClaims {
  sub: string;
  iss: string;
  client_id: string;
  origin_jti: string;
  event_id: string;
  token_use: 'access';
  scope: string;
  auth_time: number;
  exp: number;
  iat: number;
  jti: string;
  username: string;
  amr?: string[];
  acr?: string;
}

export interface VerifiedAccessToken {
  pool: UserPool;
  user: PoolUser;
  claims: AccessTokenClaims;
  record: RefreshTokenRecord;
}

export interface ResolvedRefreshToken {
  pool: UserPool;
  user: PoolUser;
  record: RefreshTokenRecord;
}

export interface TokenService {
  /** Generates the pool's 2048-bit RSA signing key; called once by CreateUserPool. */
  createPoolKeys(pool: UserPool): void;
  /** Access, ID and refresh tokens for a completed authentication. */
  issue(args: IssueArgs): AuthenticationResult;
  /** `{ keys: [...] }` for `/<poolId>/.well-known/jwks.json`; undefined for an unknown pool. */
  jwks(poolId: string): object | undefined;
  /** For `/<poolId>/.well-known/openid-configuration`; undefined for an unknown pool. */
  openidConfiguration(poolId: string, baseUrl: string): object | undefined;
  /** Drops everything held for a deleted user (AdminDeleteUser). */
  forgetUser(pool: UserPool, user: PoolUser): void;

  /**
   * Checks an access token presented to a Cognito operation (GetUser, GlobalSignOut): RS256 signature
   * with the key of the pool named by its `kid`, issuer, `token_use` access, expiry against the emulator
   * clock, the user still existing, and revocation (RevokeToken of its refresh token, GlobalSignOut).
   * @throws NotAuthorizedException "Invalid Access Token" | "Access Token has expired" |
   *   "Access Token has been revoked" | "User is disabled."; UserNotFoundException for a deleted user.
   */
  verifyAccessToken(token: string, baseUrl: string): VerifiedAccessToken;
  /** The registry entry of a refresh token, whatever its state; undefined when it is unknown. */
  findRefreshToken(token: string): RefreshTokenRecord | undefined;
  /**
   * A refresh token presented by `client`, checked for use: issued to that client, not revoked, not
   * expired, its user still there and enabled, and not from before a global sign-out.
   * @throws NotAuthorizedException "Invalid Refresh Token." | "Refresh Token has been revoked" |
   *   "Refresh Token has expired" | "User is disabled."
   */
  resolveRefreshToken(client: AppClient, token: string): ResolvedRefreshToken;
  /** New access and ID tokens from a resolved refresh token; no new refresh token (no rotation). */
  renew(args: IssueArgs & { record: RefreshTokenRecord }): AuthenticationResult;
  /** RevokeToken: the refresh token and every access and ID token minted from it. */
  revoke(record: RefreshTokenRecord): void;
  /** GlobalSignOut: every token the user holds in the pool, issued up to now, is refused from now on. */
  signOut(pool: UserPool, user: PoolUser): void;
  /** Registry sizes, so tests can check that memory stays bounded. */
  stats(): { refreshTokens: number; users: number };
}

/** The scope of tokens from the user-pool API (as opposed to the hosted UI's OAuth scopes). */
const ADMIN_SCOPE = 'aws.cognito.signin.user.admin';

const UNIT_SECONDS: Record<TokenUnit, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };

/**
 * The registry is swept when it reaches this many records, then again whenever it doubles since the
 * last sweep: amortised O(1) per issue, and memory at most about twice what is live.
 */
const MIN_SWEEP_SIZE = 1024;

/**
 * Cognito's refresh tokens are JWE compact serialisations (RSA-OAEP, A256GCM) of about 1.7 KB: this
 * header, then an encrypted key, IV, ciphertext and tag. Ours are random bytes in the same shape, so
 * that storage and bandwidth measured against the emulator hold against Cognito. They carry nothing.
 */
const REFRESH_HEADER = Buffer.from(JSON.stringify({ cty: 'JWT', enc: 'A256GCM', alg: 'RSA-OAEP' })).toString(
  'base64url',
);
const REFRESH_PARTS = [256, 12, 940, 16] as const;
const REFRESH_BYTES = REFRESH_PARTS.reduce((a, b) => a + b, 0);

interface PoolKeys {
  poolId: string;
  kid: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** base64url of the JWT header, the same for every token of the pool. */
  header: string;
  jwks: { keys: object[] };
}

interface UserEntry {
  user: PoolUser;
  records: Set<RefreshTokenRecord>;
}

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

const invalidAccessToken = () => notAuthorized('Invalid Access Token');
const invalidRefreshToken = () => notAuthorized('Invalid Refresh Token.');

/** `"true"`/`"false"` attributes become JSON booleans in the ID token, as Cognito writes them. */
const BOOLEAN_ATTRIBUTES = new Set(['email_verified', 'phone_number_verified']);

export function createTokenService(state: EmulatorState): TokenService {
  const keysByPool = new Map<string, PoolKeys>();
  const keysByKid = new Map<string, PoolKeys>();
  /** Refresh token string -> record. */
  const byToken = new Map<string, RefreshTokenRecord>();
  /** origin_jti -> record: how an access token finds whether it was revoked. */
  const byOrigin = new Map<string, RefreshTokenRecord>();
  /** `${poolId}/${sub}` -> the user and their records: GlobalSignOut, forgetUser and lookups by sub. */
  const byUser = new Map<string, UserEntry>();
  let sweepAt = MIN_SWEEP_SIZE;

  const userIndexKey = (poolId: string, sub: string) => `${poolId}/${sub}`;

  /** Whether `user` is still a member of the pool (not deleted, not replaced by a new sign-up). */
  function stillInPool(pool: UserPool, user: PoolUser): boolean {
    if (pool.users.get(userKey(pool, user.username)) === user) return true;
    // Users are keyed by their normalised username; the scan covers any other keying and costs only
    // on the error path of a deleted user.
    for (const candidate of pool.users.values()) if (candidate === user) return true;
    return false;
  }

  /** The pool member with this sub, through the index kept at issue time. */
  function userBySub(pool: UserPool, sub: string): PoolUser | undefined {
    const entry = byUser.get(userIndexKey(pool.id, sub));
    if (entry && stillInPool(pool, entry.user)) return entry.user;
    // Reached for deleted users (an error path) and if other code ever replaced the PoolUser object
    // instead of mutating it; a scan finds the current object, which then replaces the stale one.
    for (const candidate of pool.users.values()) {
      if (candidate.sub !== sub) continue;
      if (entry) entry.user = candidate;
      return candidate;
    }
    return undefined;
  }

  function newRefreshToken(): string {
    let token: string;
    do {
      const bytes = randomBytes(REFRESH_BYTES);
      const parts = [REFRESH_HEADER];
      let offset = 0;
      for (const length of REFRESH_PARTS) {
        parts.push(bytes.subarray(offset, offset + length).toString('base64url'));
        offset += length;
      }
      token = parts.join('.');
    } while (byToken.has(token));
    return token;
  }

  function signJwt(keys: PoolKeys, claims: object): string {
    const input = `${keys.header}.${base64url(claims)}`;
    return `${input}.${sign('sha256', Buffer.from(input), keys.privateKey).toString('base64url')}`;
  }

  const lifetimeMs = (value: number, unit: TokenUnit) => value * UNIT_SECONDS[unit] * 1000;

  /** Signs an access and an ID token for `record`, now, and notes their expiry on the record. */
  function mint(args: IssueArgs, record: RefreshTokenRecord): AuthenticationResult {
    const { pool, client, user, baseUrl } = args;
    const keys = keysByPool.get(pool.id);
    if (!keys) throw new Error(`no signing key for pool ${pool.id}: createPoolKeys was not called`);
    const now = state.now();
    const iat = Math.floor(now / 1000);
    const authTime = Math.floor(record.issuedAt / 1000);
    const validity = client.tokenValidity;
    const accessSeconds = lifetimeMs(validity.accessToken, validity.units.AccessToken) / 1000;
    const idSeconds = lifetimeMs(validity.idToken, validity.units.IdToken) / 1000;
    const iss = `${baseUrl}/${pool.id}`;

    const access: AccessTokenClaims = {
      sub: user.sub,
      iss,
      client_id: client.clientId,
      origin_jti: record.originJti,
      event_id: record.eventId,
      token_use: 'access',
      scope: ADMIN_SCOPE,
      auth_time: authTime,
      exp: iat + accessSeconds,
      iat,
      jti: randomUUID(),
      username: user.username,
      ...(record.method && { amr: [...record.method.amr], acr: record.method.acr }),
    };

    // The ID token carries the user's attributes; the reserved claims come after them so no attribute
    // can shadow one.
    const attributes: Record<string, string | boolean> = {};
    for (const [name, value] of user.attributes) {
      if (name === 'sub') continue;
      attributes[name] = BOOLEAN_ATTRIBUTES.has(name) ? value === 'true' : value;
    }
    const id = {
      sub: user.sub,
      ...attributes,
      iss,
      'cognito:username': user.username,
      origin_jti: record.originJti,
      aud: client.clientId,
      event_id: record.eventId,
      token_use: 'id',
      auth_time: authTime,
      exp: iat + idSeconds,
      iat,
      jti: randomUUID(),
      ...(record.method && { amr: [...record.method.amr], acr: record.method.acr }),
    };

    record.tokensExpireAt = Math.max(
      record.tokensExpireAt,
      (iat + Math.max(accessSeconds, idSeconds)) * 1000,
    );
    return {
      AccessToken: signJwt(keys, access),
      ExpiresIn: accessSeconds,
      TokenType: 'Bearer',
      IdToken: signJwt(keys, id),
    };
  }

  function drop(record: RefreshTokenRecord): void {
    byToken.delete(record.token);
    byOrigin.delete(record.originJti);
    const key = userIndexKey(record.poolId, record.sub);
    const entry = byUser.get(key);
    if (entry) {
      entry.records.delete(record);
      if (entry.records.size === 0) byUser.delete(key);
    }
  }

  /** Drops records whose refresh token and minted tokens have all expired: nothing can present them. */
  function sweep(): void {
    const now = state.now();
    for (const record of byOrigin.values()) {
      if (now >= record.expiresAt && now >= record.tokensExpireAt) drop(record);
    }
    sweepAt = Math.max(MIN_SWEEP_SIZE, byOrigin.size * 2);
  }

  function isRevoked(record: RefreshTokenRecord, user: PoolUser): boolean {
    // In ms: a sign-in in the same second as a GlobalSignOut, but after it, stays valid.
    return record.revoked || record.issuedAt < user.signedOutBefore;
  }

  /** Header and payload of a compact JWS with a valid signature by one of our keys; undefined otherwise. */
  function verifiedPayload(token: string): { keys: PoolKeys; payload: Record<string, unknown> } | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [header = '', payload = '', signature = ''] = parts;
    let parsedHeader: unknown;
    let parsedPayload: unknown;
    try {
      parsedHeader = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (typeof parsedHeader !== 'object' || parsedHeader === null) return undefined;
    const { kid, alg } = parsedHeader as Record<string, unknown>;
    const keys = typeof kid === 'string' ? keysByKid.get(kid) : undefined;
    if (!keys || alg !== 'RS256') return undefined;
    const valid = verify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      keys.publicKey,
      Buffer.from(signature, 'base64url'),
    );
    if (!valid) return undefined;
    try {
      parsedPayload = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return undefined;
    }
    if (typeof parsedPayload !== 'object' || parsedPayload === null || Array.isArray(parsedPayload))
      return undefined;
    return { keys, payload: parsedPayload as Record<string, unknown> };
  }

  return {
    createPoolKeys(pool) {
      // One key signs both token types. Cognito publishes two (one for ID tokens, one for access
      // tokens); a verifier that follows `kid` handles either, and one key halves pool creation time.
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      // Cognito's kids are 44-character base64 strings; a digest of the public key has that shape.
      const kid = createHash('sha256')
        .update(publicKey.export({ type: 'spki', format: 'der' }))
        .digest('base64');
      const jwk = publicKey.export({ format: 'jwk' });
      const keys: PoolKeys = {
        poolId: pool.id,
        kid,
        privateKey,
        publicKey,
        header: base64url({ kid, alg: 'RS256' }),
        jwks: { keys: [{ alg: 'RS256', e: jwk.e, kid, kty: 'RSA', n: jwk.n, use: 'sig' }] },
      };
      const previous = keysByPool.get(pool.id);
      if (previous) keysByKid.delete(previous.kid);
      keysByPool.set(pool.id, keys);
      keysByKid.set(kid, keys);
    },

    issue(args) {
      if (byOrigin.size >= sweepAt) sweep();
      const { pool, client, user } = args;
      const now = state.now();
      const validity = client.tokenValidity;
      const record: RefreshTokenRecord = {
        token: newRefreshToken(),
        poolId: pool.id,
        clientId: client.clientId,
        sub: user.sub,
        originJti: randomUUID(),
        eventId: randomUUID(),
        method: args.method,
        issuedAt: now,
        expiresAt: now + lifetimeMs(validity.refreshToken, validity.units.RefreshToken),
        revoked: false,
        tokensExpireAt: now,
      };
      const result = mint(args, record);
      byToken.set(record.token, record);
      byOrigin.set(record.originJti, record);
      const key = userIndexKey(pool.id, user.sub);
      let entry = byUser.get(key);
      if (!entry || entry.user !== user) {
        // A new user object under a known sub (re-created user) replaces the stale one.
        entry = { user, records: entry?.records ?? new Set() };
        byUser.set(key, entry);
      }
      entry.records.add(record);
      return { ...result, RefreshToken: record.token };
    },

    jwks(poolId) {
      return keysByPool.get(poolId)?.jwks;
    },

    openidConfiguration(poolId, baseUrl) {
      if (!keysByPool.has(poolId)) return undefined;
      const issuer = `${baseUrl}/${poolId}`;
      // Cognito's document also names the hosted-UI endpoints (authorize, token, userInfo, logout,
      // revoke) of the pool's domain. The emulator serves no hosted UI, so it names none rather than
      // advertise URLs that answer 404.
      return {
        issuer,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        id_token_signing_alg_values_supported: ['RS256'],
        response_types_supported: ['code', 'token'],
        scopes_supported: ['openid', 'email', 'phone', 'profile'],
        subject_types_supported: ['public'],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      };
    },

    forgetUser(pool, user) {
      const entry = byUser.get(userIndexKey(pool.id, user.sub));
      if (!entry) return;
      for (const record of [...entry.records]) drop(record);
      byUser.delete(userIndexKey(pool.id, user.sub));
    },

    verifyAccessToken(token, baseUrl) {
      const verified = verifiedPayload(token);
      if (!verified) throw invalidAccessToken();
      const { keys, payload } = verified;
      const pool = state.pools.get(keys.poolId);
      if (!pool || payload.iss !== `${baseUrl}/${pool.id}` || payload.token_use !== 'access') {
        throw invalidAccessToken();
      }
      const { exp, sub, origin_jti: originJti } = payload;
      if (typeof exp !== 'number' || typeof sub !== 'string' || typeof originJti !== 'string') {
        throw invalidAccessToken();
      }
      if (state.now() >= exp * 1000) throw notAuthorized('Access Token has expired');
      const user = userBySub(pool, sub);
      if (!user) throw userNotFound();
      const record = byOrigin.get(originJti);
      // A signed, unexpired token without its record: its user was forgotten, which userBySub caught,
      // or it came from a record of another user, which cannot happen. Treat it as revoked.
      if (!record || record.sub !== sub || isRevoked(record, user)) {
        throw notAuthorized('Access Token has been revoked');
      }
      if (!user.enabled) throw notAuthorized('User is disabled.');
      return { pool, user, claims: payload as unknown as AccessTokenClaims, record };
    },

    findRefreshToken(token) {
      return byToken.get(token);
    },

    resolveRefreshToken(client, token) {
      const record = byToken.get(token);
      // A token of another client (of this pool or another) is as unknown to this client as a made-up one.
      if (!record || record.clientId !== client.clientId) throw invalidRefreshToken();
      const pool = state.pools.get(record.poolId);
      const user = pool && userBySub(pool, record.sub);
      if (!pool || !user) throw invalidRefreshToken();
      if (isRevoked(record, user)) throw notAuthorized('Refresh Token has been revoked');
      if (state.now() >= record.expiresAt) throw notAuthorized('Refresh Token has expired');
      if (!user.enabled) throw notAuthorized('User is disabled.');
      return { pool, user, record };
    },

    renew(args) {
      return mint(args, args.record);
    },

    revoke(record) {
      record.revoked = true;
    },

    signOut(pool, user) {
      user.signedOutBefore = state.now();
      const entry = byUser.get(userIndexKey(pool.id, user.sub));
      // signedOutBefore alone would miss tokens issued earlier in the same millisecond (a ManualClock
      // that never moves), so the records existing now are revoked explicitly as well.
      if (entry) for (const record of entry.records) record.revoked = true;
    },

    stats() {
      return { refreshTokens: byOrigin.size, users: byUser.size };
    },
  };
}
