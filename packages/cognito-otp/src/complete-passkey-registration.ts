import { allPasskeys, requirePasskeys } from './flow/passkeys.js';
import type { Call } from './flow/runtime.js';
import { checkCredential } from './flow/webauthn-credential.js';
import { otpError } from './messages.js';
import { tokenOrUnauthenticated } from './refresh-tokens.js';
import type { CompletePasskeyRegistrationInput, Passkey } from './types.js';

/**
 * completePasskeyRegistration: registers the RegistrationResponseJSON from navigator.credentials.create
 * for the access token's user and answers the new passkey. The credential's shape and its
 * clientDataJSON origin (one of the profile's webAuthnOrigins) are checked first.
 * Cognito: CompleteWebAuthnRegistration, then ListWebAuthnCredentials to read the passkey back (2
 * calls, more with over 20 passkeys). Counted against the caller's request budget.
 * @throws OtpError UNAUTHENTICATED, FORBIDDEN (passkeys off for the profile), BAD_USER_INPUT field
 *   'credential' (malformed, another origin or relying party, unsupported, already registered, or the
 *   most passkeys allowed), SESSION_EXPIRED (no pending registration: start again), RATE_LIMITED
 *   (scope request), UPSTREAM_UNAVAILABLE, SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR
 */
export async function completePasskeyRegistration(
  call: Call,
  input: CompletePasskeyRegistrationInput,
): Promise<Passkey> {
  await call.profile.limits.request(call.ip);
  const origins = requirePasskeys(call);
  const accessToken = tokenOrUnauthenticated(input?.accessToken);
  const { id, credential } = checkCredential(input.credential, 'webauthn.create', origins);
  await call.profile.api.completeWebAuthnRegistration(accessToken, credential);
  const passkey = (await allPasskeys(call, accessToken)).find((entry) => entry.id === id);
  if (passkey === undefined) {
    throw otpError('INTERNAL_SERVER_ERROR', { cause: new Error('the registered passkey is not listed') });
  }
  return passkey;
}
