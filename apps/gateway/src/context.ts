import type { OtpEngine, RequestContext } from '@otpgate/cognito-otp';
import type { AccessTokenVerifier } from './auth/access-tokens.js';
import type { ClientProfile } from './config.js';
import type { GatewayMetrics } from './http/metrics.js';
import type { RefreshCookie } from './http/refresh-cookie.js';

/** The engine the resolvers call (`createOtpEngine`); tests may pass any object of this shape. */
export type GatewayEngine = OtpEngine;

/** Long-lived collaborators shared by every request. */
export interface GatewayServices {
  readonly engine: GatewayEngine;
  readonly accessTokens: AccessTokenVerifier;
  readonly metrics: GatewayMetrics;
}

/** The `Authorization` header: absent, a Bearer token, or something else (which never authenticates). */
export type Authorization = { kind: 'none' } | { kind: 'bearer'; token: string } | { kind: 'invalid' };

/** Per-request GraphQL context. */
export interface GatewayContext {
  /** Chosen by `apollographql-client-name`, its origin already checked. */
  readonly profile: ClientProfile;
  /** What the engine gets: profile name, client IP (trusted proxies only), user agent. */
  readonly request: RequestContext;
  readonly authorization: Authorization;
  /** The request's `Origin` header, when a browser sent one (checked against webAuthnOrigins for passkeys). */
  readonly origin?: string;
  readonly refreshCookie: RefreshCookie;
  readonly services: GatewayServices;
}

export function parseAuthorization(header: string | undefined): Authorization {
  if (header === undefined || header === '') return { kind: 'none' };
  const match = /^Bearer ([A-Za-z0-9\-_.]+)$/.exec(header);
  return match?.[1] ? { kind: 'bearer', token: match[1] } : { kind: 'invalid' };
}
