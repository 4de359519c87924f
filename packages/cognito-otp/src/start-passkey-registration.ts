import { requirePasskeys } from './flow/passkeys.js';
import type { Call } from './flow/runtime.js';
import { otpError } from './messages.js';
import { tokenOrUnauthenticated } from './refresh-tokens.js';
import type { JsonObject, PasskeyTokenInput } from './types.js';

/**
 * startPasskeyRegistration: the PublicKeyCredentialCreationOptionsJSON for navigator.credentials.create,
 * for the access token's user. Cognito: StartWebAuthnRegistration (1 call); its challenge lives a few
 * minutes and a new start replaces it. Counted against the caller's request budget.
 * @throws OtpError UNAUTHENTICATED (missing, malformed, expired or revoked token), FORBIDDEN (passkeys
 *   off for the profile), BAD_USER_INPUT field 'passkeys' (the user has the most passkeys allowed),
 *   RATE_LIMITED (scope request), UPSTREAM_UNAVAILABLE, SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR (a
 *   pool without passkeys set up)
 */
export async function startPasskeyRegistration(call: Call, input: PasskeyTokenInput): Promise<JsonObject> {
  await call.profile.limits.request(call.ip);
  requirePasskeys(call);
  const accessToken = tokenOrUnauthenticated(input?.accessToken);
  const output = await call.profile.api.startWebAuthnRegistration(accessToken);
  const options: unknown = output.CredentialCreationOptions;
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw otpError('INTERNAL_SERVER_ERROR', {
      cause: new Error('StartWebAuthnRegistration without options'),
    });
  }
  return options as JsonObject;
}
