import { allPasskeys } from './flow/passkeys.js';
import type { Call } from './flow/runtime.js';
import { tokenOrUnauthenticated } from './refresh-tokens.js';
import type { Passkey, PasskeyTokenInput } from './types.js';

/**
 * listPasskeys: the access token's user's passkeys, oldest first. Works whether or not the profile
 * takes passkeys (a user may want to see and delete old ones).
 * Cognito: ListWebAuthnCredentials (1 call per 20 passkeys). Counted against the caller's request budget.
 * @throws OtpError UNAUTHENTICATED, RATE_LIMITED (scope request), UPSTREAM_UNAVAILABLE,
 *   SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR
 */
export async function listPasskeys(call: Call, input: PasskeyTokenInput): Promise<Passkey[]> {
  await call.profile.limits.request(call.ip);
  return allPasskeys(call, tokenOrUnauthenticated(input?.accessToken));
}
