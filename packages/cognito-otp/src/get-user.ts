import type { Call } from './flow/runtime.js';
import { otpError } from './messages.js';
import { tokenOrUnauthenticated } from './refresh-tokens.js';
import type { GetUserInput, User } from './types.js';

/**
 * getUser: the user an access token belongs to, with their current attributes. Cognito refuses a
 * revoked token (RevokeToken, GlobalSignOut) or a deleted user, which a signature check alone cannot
 * tell, so this is how a caller learns that a still-unexpired token no longer signs anyone in.
 * Cognito: GetUser (1 call). Counted against the caller's request budget like every engine call.
 *
 * The token's issuer and app client are not checked here (GetUser accepts any token of the pool): a
 * caller that must refuse another app client's token verifies the JWT's `client_id` first.
 * @throws OtpError UNAUTHENTICATED (missing, malformed, expired or revoked token; deleted user),
 *   RATE_LIMITED (scope request), UPSTREAM_UNAVAILABLE, SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR
 */
export async function getUser(call: Call, input: GetUserInput): Promise<User> {
  await call.profile.limits.request(call.ip);
  const accessToken = tokenOrUnauthenticated(input?.accessToken);
  const output = await call.profile.api.getUser(accessToken);
  const attribute = (name: string) => output.UserAttributes?.find((entry) => entry.Name === name)?.Value;
  const sub = attribute('sub');
  if (sub === undefined) {
    throw otpError('INTERNAL_SERVER_ERROR', { cause: new Error('GetUser answered without a sub') });
  }
  const verified = attribute('email_verified');
  return {
    sub,
    email: attribute('email') ?? null,
    emailVerified: verified === undefined ? null : verified === 'true',
    phoneNumber: attribute('phone_number') ?? null,
  };
}
