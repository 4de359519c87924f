import { createHash } from 'node:crypto';
import { badInput } from '../messages.js';
import type { JsonObject } from '../types.js';

/** What the engine reads of a WebAuthn response before Cognito sees it. */
export interface CheckedCredential {
  id: string;
  credential: JsonObject;
  /** authenticatorData (assertions only). */
  authenticatorData?: Buffer;
}

const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;
const MAX_CREDENTIAL_CHARS = 64 * 1024;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function b64url(value: unknown): Buffer | undefined {
  return typeof value === 'string' && value.length > 0 && B64URL.test(value)
    ? Buffer.from(value, 'base64url')
    : undefined;
}

/**
 * Checks a RegistrationResponseJSON (`webauthn.create`) or AuthenticationResponseJSON (`webauthn.get`)
 * as far as the engine can without the key: its shape, the ceremony type, and that clientDataJSON's
 * origin is one of the profile's WebAuthn origins. A credential made on another site is refused here,
 * with BAD_USER_INPUT, before it reaches Cognito or counts as a wrong attempt.
 * @throws OtpError BAD_USER_INPUT field 'credential'
 */
export function checkCredential(
  value: unknown,
  type: 'webauthn.create' | 'webauthn.get',
  origins: readonly string[],
): CheckedCredential {
  const bad = () => badInput('credential');
  if (!isObject(value) || typeof value.id !== 'string' || b64url(value.id) === undefined) throw bad();
  if (value.type !== 'public-key' || !isObject(value.response)) throw bad();
  if (JSON.stringify(value).length > MAX_CREDENTIAL_CHARS) throw bad();
  const clientDataBytes = b64url(value.response.clientDataJSON);
  let clientData: unknown;
  try {
    clientData = clientDataBytes === undefined ? undefined : JSON.parse(clientDataBytes.toString('utf8'));
  } catch {
    throw bad();
  }
  if (!isObject(clientData) || clientData.type !== type) throw bad();
  if (typeof clientData.origin !== 'string' || !origins.includes(clientData.origin)) throw bad();
  if (type === 'webauthn.create') {
    if (b64url(value.response.attestationObject) === undefined) throw bad();
    return { id: value.id, credential: value };
  }
  const authenticatorData = b64url(value.response.authenticatorData);
  if (authenticatorData === undefined || authenticatorData.length < 37) throw bad();
  if (b64url(value.response.signature) === undefined) throw bad();
  return { id: value.id, credential: value, authenticatorData };
}

/** authenticatorData starts with SHA-256 of the relying-party id the authenticator signed for. */
export function namesRelyingParty(authenticatorData: Buffer, rpId: string): boolean {
  return authenticatorData.subarray(0, 32).equals(createHash('sha256').update(rpId).digest());
}
