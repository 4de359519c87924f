import type { AuthenticationResultType } from '@aws-sdk/client-cognito-identity-provider';
import { otpError } from '../messages.js';
import type { AuthStep, AuthTokens } from '../types.js';

/**
 * The DONE step from Cognito's AuthenticationResult. The refresh token is present only when Cognito
 * issued one (a sign-in, or a refresh with rotation).
 * @throws OtpError INTERNAL_SERVER_ERROR when Cognito answered without the tokens
 */
export function doneStep(result: AuthenticationResultType | undefined): AuthStep {
  if (result?.AccessToken === undefined || result.IdToken === undefined) {
    throw otpError('INTERNAL_SERVER_ERROR', { cause: new Error('Cognito answered without tokens') });
  }
  const tokens: AuthTokens = {
    accessToken: result.AccessToken,
    idToken: result.IdToken,
    expiresIn: result.ExpiresIn ?? 3600,
    tokenType: 'Bearer',
  };
  if (result.RefreshToken !== undefined) tokens.refreshToken = result.RefreshToken;
  return { nextStep: 'DONE', tokens };
}
