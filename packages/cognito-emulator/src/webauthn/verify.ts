// Verification of passkey registrations (attestations) and sign-ins (assertions) with
// @simplewebauthn/server. The challenge, origin and relying-party hash are checked here first, so each
// failure gets its own Cognito exception; the library then checks the rest (attestation statement,
// signature, algorithm, user presence and verification, sign counter).
import { createHash } from 'node:crypto';
import {
  type AuthenticationResponseJSON,
  type RegistrationResponseJSON,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
} from '@simplewebauthn/server';
import {
  cose,
  decodeAttestationObject,
  decodeClientDataJSON,
  decodeCredentialPublicKey,
  isoBase64URL,
  parseAuthenticatorData,
} from '@simplewebauthn/server/helpers';
import type { StoredPasskey, UserVerification } from '../state.js';
import { originAllowed } from './origins.js';

/** ES256 and RS256: the only algorithms Cognito accepts. */
export const SUPPORTED_ALGORITHMS = [cose.COSEALG.ES256, cose.COSEALG.RS256];

/** Why a credential was refused; the operations turn each kind into the Cognito exception it is. */
export type WebAuthnFailure =
  /** Not a credential in the W3C JSON form, or parts that do not decode. */
  | 'malformed'
  /** clientDataJSON's challenge is not the one issued. */
  | 'challenge'
  /** clientDataJSON's origin does not belong to the relying-party id. */
  | 'origin'
  /** authenticatorData's rpIdHash is not SHA-256 of the relying-party id. */
  | 'relying-party'
  /** An algorithm or attestation format Cognito does not take. */
  | 'unsupported'
  /** User verification required by the pool but not performed. */
  | 'user-verification'
  /** Sign-in only: the credential id is not one of the user's passkeys. */
  | 'unknown-credential'
  /** Sign-in only: the sign counter did not move forward. */
  | 'counter'
  /** A signature, attestation statement or user-presence check failed. */
  | 'rejected';

export class WebAuthnError extends Error {
  constructor(
    readonly failure: WebAuthnFailure,
    message: string,
  ) {
    super(message);
    this.name = 'WebAuthnError';
  }
}

interface Expected {
  challenge: string;
  relyingPartyId: string;
  userVerification: UserVerification;
  extraOrigins: readonly string[];
}

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function malformed(what: string): WebAuthnError {
  return new WebAuthnError('malformed', `Credential data is not valid: ${what}.`);
}

/** The checks both ceremonies share: clientDataJSON's type, challenge and origin, and the rpIdHash. */
function checkClientAndRelyingParty(
  clientDataJSON: string,
  authenticatorData: Uint8Array,
  type: 'webauthn.create' | 'webauthn.get',
  expected: Expected,
): string {
  let clientData: ReturnType<typeof decodeClientDataJSON>;
  try {
    clientData = decodeClientDataJSON(clientDataJSON);
  } catch {
    throw malformed('clientDataJSON does not decode');
  }
  if (!isObject(clientData) || clientData.type !== type)
    throw malformed(`clientDataJSON.type is not ${type}`);
  if (clientData.challenge !== expected.challenge) {
    throw new WebAuthnError(
      'challenge',
      'The credential answers a challenge that was not issued or has expired.',
    );
  }
  if (
    !isString(clientData.origin) ||
    !originAllowed(clientData.origin, expected.relyingPartyId, expected.extraOrigins)
  ) {
    throw new WebAuthnError('origin', `Origin is not allowed for relying party ${expected.relyingPartyId}.`);
  }
  let rpIdHash: Uint8Array;
  try {
    rpIdHash = parseAuthenticatorData(authenticatorData as Uint8Array<ArrayBuffer>).rpIdHash;
  } catch {
    throw malformed('authenticatorData does not decode');
  }
  const wanted = createHash('sha256').update(expected.relyingPartyId).digest();
  if (!wanted.equals(rpIdHash)) {
    throw new WebAuthnError(
      'relying-party',
      `The credential is for a relying party other than ${expected.relyingPartyId}.`,
    );
  }
  return clientData.origin;
}

function toBytes(value: string, what: string): Uint8Array<ArrayBuffer> {
  if (!isoBase64URL.isBase64URL(value)) throw malformed(`${what} is not base64url`);
  return isoBase64URL.toBuffer(value);
}

/** Library errors for things Cognito calls unsupported, as opposed to invalid. */
function libraryFailure(error: unknown): WebAuthnError {
  const message = error instanceof Error ? error.message : String(error);
  if (/alg|Attestation Format|PQC/i.test(message)) return new WebAuthnError('unsupported', message);
  if (/User verification/i.test(message)) return new WebAuthnError('user-verification', message);
  if (/counter/i.test(message)) return new WebAuthnError('counter', message);
  return new WebAuthnError('rejected', message);
}

export interface VerifiedRegistration {
  credentialId: string;
  publicKey: Uint8Array<ArrayBuffer>;
  algorithm: number;
  counter: number;
  transports: string[];
  attachment?: 'platform' | 'cross-platform';
}

/**
 * A RegistrationResponseJSON (CompleteWebAuthnRegistration's Credential) checked against the
 * registration challenge. `transports` and `authenticatorAttachment` are optional, as Amplify Swift
 * and Android leave parts of the JSON out.
 * @throws WebAuthnError
 */
export async function verifyRegistration(
  credential: unknown,
  expected: Expected,
): Promise<VerifiedRegistration> {
  if (!isObject(credential) || !isObject(credential.response))
    throw malformed('not a RegistrationResponseJSON');
  const { id, rawId, type, response, authenticatorAttachment } = credential;
  if (!isString(id) || !isString(rawId) || type !== 'public-key')
    throw malformed('id, rawId or type missing');
  if (!isString(response.clientDataJSON) || !isString(response.attestationObject)) {
    throw malformed('response.clientDataJSON or response.attestationObject missing');
  }
  const transports = response.transports ?? [];
  if (!Array.isArray(transports) || !transports.every(isString))
    throw malformed('response.transports is not a list of strings');
  if (
    authenticatorAttachment !== undefined &&
    authenticatorAttachment !== 'platform' &&
    authenticatorAttachment !== 'cross-platform'
  ) {
    throw malformed('authenticatorAttachment is neither platform nor cross-platform');
  }
  let authData: Uint8Array;
  try {
    authData = decodeAttestationObject(toBytes(response.attestationObject, 'attestationObject')).get(
      'authData',
    );
  } catch (error) {
    throw error instanceof WebAuthnError ? error : malformed('attestationObject does not decode');
  }
  if (!(authData instanceof Uint8Array)) throw malformed('attestationObject has no authData');
  const origin = checkClientAndRelyingParty(response.clientDataJSON, authData, 'webauthn.create', expected);

  let result: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
  try {
    result = await verifyRegistrationResponse({
      response: credential as unknown as RegistrationResponseJSON,
      expectedChallenge: expected.challenge,
      expectedOrigin: origin,
      expectedRPID: expected.relyingPartyId,
      requireUserVerification: expected.userVerification === 'required',
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
    });
  } catch (error) {
    throw libraryFailure(error);
  }
  if (!result.verified) throw new WebAuthnError('rejected', 'The attestation statement does not verify.');
  const { credential: made } = result.registrationInfo;
  const algorithm = decodeCredentialPublicKey(made.publicKey).get(cose.COSEKEYS.alg);
  return {
    credentialId: made.id,
    publicKey: made.publicKey,
    algorithm: typeof algorithm === 'number' ? algorithm : 0,
    counter: made.counter,
    transports: transports as string[],
    attachment: authenticatorAttachment,
  };
}

/** Only the credential id of an AuthenticationResponseJSON, to find the passkey it claims to be. */
export function assertionCredentialId(credential: unknown): string {
  if (!isObject(credential) || !isString(credential.id)) throw malformed('not an AuthenticationResponseJSON');
  return credential.id;
}

/**
 * An AuthenticationResponseJSON (RespondToAuthChallenge's CREDENTIAL, parsed) checked against the
 * sign-in challenge and the stored passkey. Returns the new sign counter.
 * @throws WebAuthnError
 */
export async function verifyAssertion(
  credential: unknown,
  passkey: StoredPasskey,
  expected: Expected,
): Promise<{ newCounter: number; attachment?: 'platform' | 'cross-platform' }> {
  if (!isObject(credential) || !isObject(credential.response))
    throw malformed('not an AuthenticationResponseJSON');
  const { id, rawId, type, response, authenticatorAttachment } = credential;
  if (!isString(id) || !isString(rawId) || id !== rawId || type !== 'public-key') {
    throw malformed('id, rawId or type missing');
  }
  if (
    !isString(response.clientDataJSON) ||
    !isString(response.authenticatorData) ||
    !isString(response.signature)
  ) {
    throw malformed('response.clientDataJSON, authenticatorData or signature missing');
  }
  const authData = toBytes(response.authenticatorData, 'authenticatorData');
  const origin = checkClientAndRelyingParty(response.clientDataJSON, authData, 'webauthn.get', expected);
  let result: Awaited<ReturnType<typeof verifyAuthenticationResponse>>;
  try {
    result = await verifyAuthenticationResponse({
      response: credential as unknown as AuthenticationResponseJSON,
      expectedChallenge: expected.challenge,
      expectedOrigin: origin,
      expectedRPID: expected.relyingPartyId,
      credential: {
        id: passkey.credentialId,
        publicKey: passkey.publicKey as Uint8Array<ArrayBuffer>,
        counter: passkey.counter,
      },
      requireUserVerification: expected.userVerification === 'required',
    });
  } catch (error) {
    throw libraryFailure(error);
  }
  if (!result.verified) throw new WebAuthnError('rejected', 'The assertion signature does not verify.');
  const attachment =
    authenticatorAttachment === 'platform' || authenticatorAttachment === 'cross-platform'
      ? authenticatorAttachment
      : undefined;
  return { newCounter: result.authenticationInfo.newCounter, attachment };
}
