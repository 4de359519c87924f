import { isSignal } from './cognito/translate.js';
import type { Call } from './flow/runtime.js';
import { badInput } from './messages.js';
import { tokenOrUnauthenticated } from './refresh-tokens.js';
import type { DeletePasskeyInput } from './types.js';

/** A credential id: base64url, as WebAuthn allows up to 1023 bytes of it. */
const CREDENTIAL_ID = /^[A-Za-z0-9_-]{1,1400}$/;

/**
 * deletePasskey: removes one of the access token's user's passkeys; true when it was removed, false
 * when the user has no passkey with that id. Cognito: DeleteWebAuthnCredential (1 call). Counted against
 * the caller's request budget.
 * @throws OtpError UNAUTHENTICATED, BAD_USER_INPUT field 'id' (not a credential id), RATE_LIMITED
 *   (scope request), UPSTREAM_UNAVAILABLE, SERVICE_UNAVAILABLE, INTERNAL_SERVER_ERROR
 */
export async function deletePasskey(call: Call, input: DeletePasskeyInput): Promise<boolean> {
  await call.profile.limits.request(call.ip);
  const accessToken = tokenOrUnauthenticated(input?.accessToken);
  if (typeof input.id !== 'string' || !CREDENTIAL_ID.test(input.id)) throw badInput('id');
  try {
    await call.profile.api.deleteWebAuthnCredential(accessToken, input.id);
    return true;
  } catch (error) {
    if (isSignal(error, 'NOT_FOUND')) return false;
    throw error;
  }
}
