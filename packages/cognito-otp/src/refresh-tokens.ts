import type { Call } from './flow/runtime.js';
import { doneStep } from './flow/tokens.js';
import { otpError } from './messages.js';
import type { AuthStep, RefreshTokensInput } from './types.js';

/**
 * Cognito's pattern for tokens, with a length cap far above real ones: anything else cannot be a
 * token, so it is refused without a Cognito call.
 */
const TOKEN = /^[A-Za-z0-9\-_=.]{1,16384}$/;

/** The token if it could be one; UNAUTHENTICATED otherwise (a missing token is not signed in). */
export function tokenOrUnauthenticated(token: unknown): string {
  if (typeof token !== 'string' || !TOKEN.test(token)) throw otpError('UNAUTHENTICATED');
  return token;
}

/**
 * refreshTokens: new access and ID tokens for a refresh token. The answer has a refresh token only
 * when Cognito rotated it.
 * Cognito: GetTokensFromRefreshToken (1 call; ClientSecret when the app client has one).
 * @throws OtpError UNAUTHENTICATED (missing, malformed, expired or revoked token), RATE_LIMITED (scope
 *   request), UPSTREAM_UNAVAILABLE, SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR
 */
export async function refreshTokens(call: Call, input: RefreshTokensInput): Promise<AuthStep> {
  await call.profile.limits.request(call.ip);
  const refreshToken = tokenOrUnauthenticated(input?.refreshToken);
  const output = await call.profile.api.getTokensFromRefreshToken(refreshToken);
  return doneStep(output.AuthenticationResult);
}
