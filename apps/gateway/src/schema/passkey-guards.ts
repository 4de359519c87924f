import type { GatewayContext } from '../context.js';
import { gatewayError } from '../errors.js';

/**
 * A passkey ceremony (registration, sign-in) only from a browser origin the profile names in
 * webAuthnOrigins: FORBIDDEN otherwise, including without an `Origin` header. The engine checks the
 * credential's own clientDataJSON origin against the same list.
 */
export function requireWebAuthnOrigin(context: GatewayContext): void {
  const { origin, profile } = context;
  if (origin === undefined || !profile.webAuthnOrigins.includes(origin)) {
    throw gatewayError('FORBIDDEN', 'Passkeys are not allowed from this origin for the client profile.');
  }
}

/**
 * The Bearer access token, verified like `me` (JWKS signature, issuer, this profile's app client):
 * UNAUTHENTICATED without one or for a bad one.
 */
export async function bearerToken(context: GatewayContext): Promise<string> {
  const { authorization } = context;
  if (authorization.kind !== 'bearer') {
    throw gatewayError('UNAUTHENTICATED', 'This needs the access token in Authorization: Bearer.');
  }
  await context.services.accessTokens.verify(authorization.token, context.profile);
  return authorization.token;
}
