// A software WebAuthn authenticator for tests: it makes real registrations (attestation `none` or
// `packed` self-attestation) and real assertions (ES256 or RS256; EdDSA to test refusals) with
// node:crypto keys, so code that relays passkeys can be tested without a browser. Every part can be
// bent (origin, relying-party id, challenge, flags, counter) to produce the failures a verifier must
// catch. Exported as `@otpgate/cognito-emulator/testing`; never used by the emulator itself.
import {
  createHash,
  generateKeyPairSync,
  type JsonWebKey,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

export type PasskeyAlgorithm = 'ES256' | 'RS256' | 'EdDSA';

export interface SoftwareAuthenticatorOptions {
  /** @default 'ES256' */
  algorithm?: PasskeyAlgorithm;
  /** @default 'none' */
  attestation?: 'none' | 'packed';
  /** Sets the UV flag. @default true */
  userVerified?: boolean;
  /** Sets the UP flag. @default true */
  userPresent?: boolean;
  /** @default 'platform' */
  attachment?: 'platform' | 'cross-platform';
  /** @default ['internal'] for a platform authenticator, ['usb'] otherwise */
  transports?: string[];
  /** The sign counter's start; 0 means the authenticator keeps no counter (it stays 0). @default 1 */
  signCount?: number;
}

/** Changes to one ceremony, to produce a credential that must be refused. */
export interface CeremonyOverrides {
  /** clientDataJSON.origin instead of the one passed to the ceremony. */
  origin?: string;
  /** The relying-party id whose SHA-256 goes into authenticatorData. @default the options' rp id */
  rpId?: string;
  /** clientDataJSON.challenge. @default the options' challenge */
  challenge?: string;
  /** clientDataJSON.type. @default webauthn.create / webauthn.get */
  type?: string;
  userVerified?: boolean;
  userPresent?: boolean;
  /** The counter written into authenticatorData instead of the next one. */
  counter?: number;
}

/** The parts of PublicKeyCredentialCreationOptionsJSON the authenticator reads. */
export interface CreationOptionsJSON {
  challenge: string;
  rp: { id?: string; name?: string };
  user: { id: string; name?: string; displayName?: string };
  [key: string]: unknown;
}

/** The parts of PublicKeyCredentialRequestOptionsJSON the authenticator reads. */
export interface RequestOptionsJSON {
  challenge: string;
  rpId?: string;
  [key: string]: unknown;
}

export interface RegistrationResponseJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; attestationObject: string; transports: string[] };
  authenticatorAttachment: 'platform' | 'cross-platform';
  clientExtensionResults: Record<string, never>;
}

export interface AuthenticationResponseJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
  authenticatorAttachment: 'platform' | 'cross-platform';
  clientExtensionResults: Record<string, never>;
}

const COSE_ALG: Record<PasskeyAlgorithm, number> = { ES256: -7, RS256: -257, EdDSA: -8 };
const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();
const fromJwk = (value: string | undefined) => new Uint8Array(Buffer.from(value ?? '', 'base64url'));

function keyPair(algorithm: PasskeyAlgorithm): {
  privateKey: KeyObject;
  cose: Map<number, number | Uint8Array>;
} {
  if (algorithm === 'ES256') {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' }) as JsonWebKey;
    const cose = new Map<number, number | Uint8Array>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, fromJwk(jwk.x)],
      [-3, fromJwk(jwk.y)],
    ]);
    return { privateKey, cose };
  }
  if (algorithm === 'RS256') {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = publicKey.export({ format: 'jwk' }) as JsonWebKey;
    const cose = new Map<number, number | Uint8Array>([
      [1, 3],
      [3, -257],
      [-1, fromJwk(jwk.n)],
      [-2, fromJwk(jwk.e)],
    ]);
    return { privateKey, cose };
  }
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const jwk = publicKey.export({ format: 'jwk' }) as JsonWebKey;
  const cose = new Map<number, number | Uint8Array>([
    [1, 1],
    [3, -8],
    [-1, 6],
    [-2, fromJwk(jwk.x)],
  ]);
  return { privateKey, cose };
}

/** One authenticator holding one credential (made by the first `register`). */
export class SoftwareAuthenticator {
  readonly algorithm: PasskeyAlgorithm;
  readonly attachment: 'platform' | 'cross-platform';
  readonly transports: string[];
  /** base64url credential id. */
  readonly credentialId: string;
  /** The counter the next assertion carries (incremented before use unless it is 0). */
  signCount: number;
  #options: Required<Pick<SoftwareAuthenticatorOptions, 'attestation' | 'userVerified' | 'userPresent'>>;
  #privateKey: KeyObject;
  #cose: Map<number, number | Uint8Array>;
  #userHandle?: string;

  constructor(options: SoftwareAuthenticatorOptions = {}) {
    this.algorithm = options.algorithm ?? 'ES256';
    this.attachment = options.attachment ?? 'platform';
    this.transports = options.transports ?? (this.attachment === 'platform' ? ['internal'] : ['usb']);
    this.signCount = options.signCount ?? 1;
    this.#options = {
      attestation: options.attestation ?? 'none',
      userVerified: options.userVerified ?? true,
      userPresent: options.userPresent ?? true,
    };
    this.credentialId = b64url(randomBytes(32));
    const { privateKey, cose } = keyPair(this.algorithm);
    this.#privateKey = privateKey;
    this.#cose = cose;
  }

  #sign(data: Uint8Array): Uint8Array {
    if (this.algorithm === 'EdDSA') return sign(null, data, this.#privateKey);
    if (this.algorithm === 'ES256')
      return sign('sha256', data, { key: this.#privateKey, dsaEncoding: 'der' });
    return sign('sha256', data, this.#privateKey);
  }

  #flags(overrides: CeremonyOverrides, attested: boolean): number {
    const up = overrides.userPresent ?? this.#options.userPresent;
    const uv = overrides.userVerified ?? this.#options.userVerified;
    return (up ? FLAG_UP : 0) | (uv ? FLAG_UV : 0) | (attested ? FLAG_AT : 0);
  }

  #clientData(type: string, challenge: string, origin: string): Buffer {
    return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
  }

  /** navigator.credentials.create(): a RegistrationResponseJSON for CompleteWebAuthnRegistration. */
  register(
    options: CreationOptionsJSON,
    origin: string,
    overrides: CeremonyOverrides = {},
  ): RegistrationResponseJSON {
    const rpId = overrides.rpId ?? options.rp.id;
    if (!rpId) throw new Error('the creation options name no rp.id; pass overrides.rpId');
    this.#userHandle = options.user.id;
    const credentialId = Buffer.from(this.credentialId, 'base64url');
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(overrides.counter ?? this.signCount);
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(credentialId.length);
    const authData = Buffer.concat([
      sha256(rpId),
      Buffer.from([this.#flags(overrides, true)]),
      counter,
      Buffer.alloc(16), // AAGUID: zeros, as software and privacy-preserving authenticators send
      idLength,
      credentialId,
      Buffer.from(isoCBOR.encode(this.#cose)),
    ]);
    const clientData = this.#clientData(
      overrides.type ?? 'webauthn.create',
      overrides.challenge ?? options.challenge,
      overrides.origin ?? origin,
    );
    const attStmt = new Map<string, number | Uint8Array>();
    if (this.#options.attestation === 'packed') {
      attStmt.set('alg', COSE_ALG[this.algorithm]);
      attStmt.set('sig', this.#sign(Buffer.concat([authData, sha256(clientData)])));
    }
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, number | Uint8Array>>([
        ['fmt', this.#options.attestation],
        ['attStmt', attStmt],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientData),
        attestationObject: b64url(attestationObject),
        transports: [...this.transports],
      },
      authenticatorAttachment: this.attachment,
      clientExtensionResults: {},
    };
  }

  /**
   * navigator.credentials.get(): an AuthenticationResponseJSON for RespondToAuthChallenge's CREDENTIAL
   * (as JSON.stringify of it). Each call moves the sign counter forward unless the authenticator keeps
   * none (started at 0) or `overrides.counter` is given.
   */
  assert(
    options: RequestOptionsJSON,
    origin: string,
    overrides: CeremonyOverrides = {},
  ): AuthenticationResponseJSON {
    const rpId = overrides.rpId ?? options.rpId;
    if (!rpId) throw new Error('the request options name no rpId; pass overrides.rpId');
    if (overrides.counter === undefined && this.signCount > 0) this.signCount += 1;
    const counter = Buffer.alloc(4);
    counter.writeUInt32BE(overrides.counter ?? this.signCount);
    const authData = Buffer.concat([sha256(rpId), Buffer.from([this.#flags(overrides, false)]), counter]);
    const clientData = this.#clientData(
      overrides.type ?? 'webauthn.get',
      overrides.challenge ?? options.challenge,
      overrides.origin ?? origin,
    );
    const signature = this.#sign(Buffer.concat([authData, sha256(clientData)]));
    return {
      id: this.credentialId,
      rawId: this.credentialId,
      type: 'public-key',
      response: {
        clientDataJSON: b64url(clientData),
        authenticatorData: b64url(authData),
        signature: b64url(signature),
        userHandle: this.#userHandle,
      },
      authenticatorAttachment: this.attachment,
      clientExtensionResults: {},
    };
  }
}
