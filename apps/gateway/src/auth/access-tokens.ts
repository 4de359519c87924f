import { createRemoteJWKSet, type JWTPayload, jwtVerify } from 'jose';
import type { ClientProfile } from '../config.js';
import { gatewayError } from '../errors.js';

/** Cognito access tokens are about 1 KB; anything far larger is not one. */
const MAX_ACCESS_TOKEN_LENGTH = 8192;

export interface VerifiedAccessToken {
  sub: string;
}

/**
 * Access tokens from `Authorization: Bearer`, for `me` and global `signOut`.
 *
 * `verify` checks the JWT locally (RS256 signature against the pool's JWKS, issuer, expiry,
 * `token_use: access`, `client_id` = the profile's app client), so a token of another profile or pool
 * is UNAUTHENTICATED without a Cognito call. A JWT alone cannot tell a revoked token (RevokeToken,
 * GlobalSignOut): `me` then asks Cognito through the engine (`getUser`), which refuses revoked tokens.
 */
export interface AccessTokenVerifier {
  /** Throws UNAUTHENTICATED, or UPSTREAM_UNAVAILABLE when the JWKS cannot be fetched. */
  verify(token: string, profile: ClientProfile): Promise<VerifiedAccessToken>;
}

export interface AccessTokenVerifierOptions {
  /** Cognito endpoint override (the emulator); it is also the issuer's origin. @default AWS's regional endpoint */
  cognitoEndpoint?: string;
  /** Timeout of a JWKS download, ms. @default 5000 */
  timeoutMs?: number;
}

/** The issuer of a pool's tokens, which is also where its JWKS lives. */
export function poolIssuer(
  profile: Pick<ClientProfile, 'region' | 'userPoolId'>,
  cognitoEndpoint?: string,
): string {
  const base = cognitoEndpoint ?? `https://cognito-idp.${profile.region}.amazonaws.com`;
  return `${base.replace(/\/+$/, '')}/${profile.userPoolId}`;
}

export function createAccessTokenVerifier(options: AccessTokenVerifierOptions): AccessTokenVerifier {
  const timeoutMs = options.timeoutMs ?? 5_000;
  // One key set per pool; jose caches the keys and refetches on an unknown `kid` (rotation), at most
  // every 30 s, so a flood of forged kids cannot make us hammer the JWKS endpoint.
  const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
  const unauthenticated = () => gatewayError('UNAUTHENTICATED', 'The access token is not valid.');

  return {
    async verify(token, profile) {
      if (token.length > MAX_ACCESS_TOKEN_LENGTH) throw unauthenticated();
      const issuer = poolIssuer(profile, options.cognitoEndpoint);
      let keySet = keySets.get(issuer);
      if (!keySet) {
        keySet = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`), {
          timeoutDuration: timeoutMs,
        });
        keySets.set(issuer, keySet);
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keySet, { issuer, algorithms: ['RS256'] }));
      } catch (error) {
        // The JWKS being unreachable is Cognito's outage, not the client's fault.
        const name = (error as { code?: string }).code;
        if (name === 'ERR_JWKS_TIMEOUT' || (error instanceof TypeError && /fetch/i.test(error.message))) {
          throw gatewayError('UPSTREAM_UNAVAILABLE', 'Cognito is unavailable.', { retryAfterSeconds: 5 });
        }
        throw unauthenticated();
      }
      if (
        payload.token_use !== 'access' ||
        payload.client_id !== profile.clientId ||
        typeof payload.sub !== 'string'
      ) {
        throw unauthenticated();
      }
      return { sub: payload.sub };
    },
  };
}
