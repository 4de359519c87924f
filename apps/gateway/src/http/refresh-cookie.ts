import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ClientProfile } from '../config.js';

/** Where the cookie is sent: only the GraphQL endpoint ever needs the refresh token. */
export const REFRESH_COOKIE_PATH = '/graphql';

/**
 * Cookie name per profile, so two frontends served by one gateway domain do not overwrite each
 * other's refresh token. `__Secure-` makes browsers refuse it unless Secure (a `__Host-` cookie would
 * have to use Path=/).
 */
export function refreshCookieName(profile: Pick<ClientProfile, 'name'>): string {
  return `__Secure-otpgate-rt-${profile.name}`;
}

/** The refresh token of a `cookie` profile. Body profiles never read or write cookies. */
export interface RefreshCookie {
  read(): string | undefined;
  set(refreshToken: string): void;
  clear(): void;
}

/**
 * httpOnly (no script can read it), Secure, SameSite=Strict (never sent on cross-site requests, so a
 * foreign page cannot refresh or sign out with it; the frontend must be same-site with the gateway),
 * Path=/graphql, and only the refresh token: access and ID tokens stay in the response body.
 */
export function refreshCookieFor(
  profile: ClientProfile,
  request: FastifyRequest,
  reply: FastifyReply,
): RefreshCookie {
  const name = refreshCookieName(profile);
  const enabled = profile.tokenDelivery === 'cookie';
  const attributes = { httpOnly: true, secure: true, sameSite: 'strict', path: REFRESH_COOKIE_PATH } as const;
  return {
    read: () => (enabled ? request.cookies[name] || undefined : undefined),
    set(refreshToken) {
      if (enabled)
        reply.setCookie(name, refreshToken, { ...attributes, maxAge: profile.refreshCookieMaxAgeSeconds });
    },
    clear() {
      if (enabled) reply.clearCookie(name, attributes);
    },
  };
}
