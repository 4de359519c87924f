import type { WebAuthnCredentialDescription } from '@aws-sdk/client-cognito-identity-provider';
import { otpError } from '../messages.js';
import type { Passkey } from '../types.js';
import type { Call } from './runtime.js';

/** At most this many ListWebAuthnCredentials pages (20 each; Cognito allows 20 passkeys a user). */
const MAX_PAGES = 10;

function toPasskey(entry: WebAuthnCredentialDescription): Passkey {
  if (entry.CredentialId === undefined || entry.CreatedAt === undefined) {
    throw otpError('INTERNAL_SERVER_ERROR', { cause: new Error('a passkey without id or creation time') });
  }
  return {
    id: entry.CredentialId,
    name: entry.FriendlyCredentialName ?? 'Passkey',
    createdAt: new Date(entry.CreatedAt),
    attachment: entry.AuthenticatorAttachment ?? null,
  };
}

/** Every passkey of the token's user, oldest first: ListWebAuthnCredentials, page after page. */
export async function allPasskeys(call: Call, accessToken: string): Promise<Passkey[]> {
  const passkeys: Passkey[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const output = await call.profile.api.listWebAuthnCredentials(accessToken, nextToken);
    passkeys.push(...(output.Credentials ?? []).map(toPasskey));
    nextToken = output.NextToken;
    if (nextToken === undefined || nextToken === '') return passkeys;
  }
  throw otpError('INTERNAL_SERVER_ERROR', { cause: new Error('ListWebAuthnCredentials did not end') });
}

/** Passkeys are off for a profile without WebAuthn origins. @throws OtpError FORBIDDEN */
export function requirePasskeys(call: Call): readonly string[] {
  const origins = call.profile.settings.webAuthnOrigins;
  if (origins.length === 0) throw otpError('FORBIDDEN');
  return origins;
}
