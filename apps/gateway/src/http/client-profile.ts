import type { FastifyCorsOptions } from '@fastify/cors';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type ClientProfile, originAllowed } from '../config.js';
import { errorBody } from '../errors.js';

export const CLIENT_NAME_HEADER = 'apollographql-client-name';
export const DEFAULT_PROFILE = 'default';

/** Headers a browser frontend may send to /graphql. */
const ALLOWED_HEADERS = [
  'content-type',
  'authorization',
  CLIENT_NAME_HEADER,
  'apollographql-client-version',
  'apollo-require-preflight',
  'x-apollo-operation-name',
];

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `checkClientProfile` on /graphql requests it lets through. */
    clientProfile?: ClientProfile;
  }
}

export type ProfileLookup = (name: string) => ClientProfile | undefined;

/** The profile a request names (`apollographql-client-name`, `default` without it), if it exists. */
export function profileOf(request: FastifyRequest, lookup: ProfileLookup): ClientProfile | undefined {
  const header = request.headers[CLIENT_NAME_HEADER];
  const name = typeof header === 'string' && header !== '' ? header : DEFAULT_PROFILE;
  return lookup(name);
}

/**
 * @fastify/cors options per request.
 *
 * A preflight (OPTIONS) cannot say which profile it is for: browsers send the names of the headers
 * to come, not their values. So a preflight is granted when the origin is allowed by any profile, with
 * credentials when one of those profiles uses the cookie. The real request is then granted only for the
 * origins of the profile it names, and refused with FORBIDDEN otherwise (`checkClientProfile`), so a
 * foreign page gets neither an answer it can read nor an engine call.
 */
export function corsDelegator(profiles: readonly ClientProfile[], lookup: ProfileLookup) {
  return (request: FastifyRequest, callback: (error: Error | null, options?: FastifyCorsOptions) => void) => {
    const origin = request.headers.origin;
    const path = request.url.split('?')[0];
    let granted: readonly ClientProfile[] = [];
    if (origin && path === '/graphql') {
      if (request.method === 'OPTIONS') {
        granted = profiles.filter((profile) => originAllowed(profile, origin));
      } else {
        const profile = profileOf(request, lookup);
        granted = profile && originAllowed(profile, origin) ? [profile] : [];
      }
    }
    callback(null, {
      origin: granted.length > 0 ? origin : false,
      credentials: granted.some((profile) => profile.tokenDelivery === 'cookie'),
      methods: ['GET', 'POST'],
      allowedHeaders: ALLOWED_HEADERS,
      // Browsers cap this themselves (Chrome: 2 h); 10 minutes keeps origin changes quick to apply.
      maxAge: 600,
      // Answer preflights here, with 204; never hand them on to the GraphQL route.
      preflightContinue: false,
      optionsSuccessStatus: 204,
      strictPreflight: true,
    });
  };
}

/**
 * preHandler of /graphql: an unknown profile, or a browser origin the profile does not allow, is
 * FORBIDDEN before GraphQL runs. Requests without `Origin` (mobile apps, servers) pass: CORS is a
 * browser's protection, and CSRF prevention still applies.
 */
export function checkClientProfile(lookup: ProfileLookup) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const profile = profileOf(request, lookup);
    if (!profile) {
      return reply.code(403).send(errorBody('FORBIDDEN', 'Unknown client profile.'));
    }
    const origin = request.headers.origin;
    if (origin !== undefined && !originAllowed(profile, origin)) {
      return reply
        .code(403)
        .send(errorBody('FORBIDDEN', 'This origin is not allowed for the client profile.'));
    }
    request.clientProfile = profile;
    return undefined;
  };
}
