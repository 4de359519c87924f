import type { Call } from './flow/runtime.js';
import { tokenOrUnauthenticated } from './refresh-tokens.js';
import type { SignOutInput } from './types.js';

/**
 * signOut: revokes the refresh token (that device's tokens end); with `global`, first signs the user
 * out everywhere with the access token (GlobalSignOut), then revokes the refresh token too.
 * Cognito: RevokeToken (1 call); global: GlobalSignOut + RevokeToken (2; 1 without a refresh token).
 * GlobalSignOut goes first because revoking the refresh token also revokes the access token it needs.
 * After a successful GlobalSignOut the refresh token is dead already, so a failure of RevokeToken then
 * changes nothing and is not reported.
 * @returns true when something was signed out; false when there was nothing to sign out (no refresh
 *   token and not `global`), so that signing out twice is harmless
 * @throws OtpError UNAUTHENTICATED (malformed or refused token; `global` without an access token),
 *   RATE_LIMITED (scope request), UPSTREAM_UNAVAILABLE, SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR
 */
export async function signOut(call: Call, input: SignOutInput): Promise<boolean> {
  await call.profile.limits.request(call.ip);
  const given = (value: unknown) => value !== undefined && value !== null && value !== '';
  const refreshToken = given(input?.refreshToken) ? tokenOrUnauthenticated(input.refreshToken) : undefined;
  const { api } = call.profile;
  if (input?.global === true) {
    await api.globalSignOut(tokenOrUnauthenticated(input.accessToken));
    if (refreshToken !== undefined) {
      // Whatever RevokeToken answers now, GlobalSignOut has already ended this refresh token.
      await api.revokeToken(refreshToken).catch(() => undefined);
    }
    return true;
  }
  if (refreshToken === undefined) return false;
  await api.revokeToken(refreshToken);
  return true;
}
