/**
 * Browser helpers for passkeys: the gateway speaks the W3C JSON forms of WebAuthn options and
 * responses (base64url strings), `navigator.credentials` speaks ArrayBuffers. These convert both ways
 * and turn the browser's DOMExceptions into `PasskeyError`s with a code a UI can switch on.
 * No dependencies; `credentials` is injectable for tests and for non-browser hosts.
 */

type Base64URL = string;

export interface CredentialDescriptorJSON {
  id: Base64URL;
  type: 'public-key';
  transports?: string[];
}

/** PublicKeyCredentialCreationOptionsJSON: what `startPasskeyRegistration` answers. */
export interface CredentialCreationOptionsJSON {
  rp: { id?: string; name: string };
  user: { id: Base64URL; name: string; displayName: string };
  challenge: Base64URL;
  pubKeyCredParams: Array<{ alg: number; type: 'public-key' }>;
  timeout?: number;
  excludeCredentials?: CredentialDescriptorJSON[];
  authenticatorSelection?: {
    authenticatorAttachment?: 'platform' | 'cross-platform';
    residentKey?: 'discouraged' | 'preferred' | 'required';
    requireResidentKey?: boolean;
    userVerification?: 'discouraged' | 'preferred' | 'required';
  };
  attestation?: 'none' | 'indirect' | 'direct' | 'enterprise';
  hints?: string[];
  extensions?: Record<string, unknown>;
}

/** PublicKeyCredentialRequestOptionsJSON: a passkey challenge's `credentialRequestOptions`. */
export interface CredentialRequestOptionsJSON {
  challenge: Base64URL;
  timeout?: number;
  rpId?: string;
  allowCredentials?: CredentialDescriptorJSON[];
  userVerification?: 'discouraged' | 'preferred' | 'required';
  hints?: string[];
  extensions?: Record<string, unknown>;
}

/** What `completePasskeyRegistration` takes. */
export interface RegistrationResponseJSON {
  id: Base64URL;
  rawId: Base64URL;
  type: 'public-key';
  response: {
    clientDataJSON: Base64URL;
    attestationObject: Base64URL;
    transports?: string[];
    authenticatorData?: Base64URL;
    publicKey?: Base64URL;
    publicKeyAlgorithm?: number;
  };
  authenticatorAttachment?: 'platform' | 'cross-platform';
  clientExtensionResults: Record<string, unknown>;
}

/** What `verifyPasskey` takes. */
export interface AuthenticationResponseJSON {
  id: Base64URL;
  rawId: Base64URL;
  type: 'public-key';
  response: {
    clientDataJSON: Base64URL;
    authenticatorData: Base64URL;
    signature: Base64URL;
    userHandle?: Base64URL;
  };
  authenticatorAttachment?: 'platform' | 'cross-platform';
  clientExtensionResults: Record<string, unknown>;
}

export const PASSKEY_ERROR_CODES = [
  /** No WebAuthn in this browser, or not a secure context (https or localhost). */
  'PASSKEY_NOT_SUPPORTED',
  /** The user dismissed the prompt, it timed out, or the authenticator refused (NotAllowedError, AbortError). */
  'PASSKEY_CANCELLED',
  /** Registration: this authenticator already holds a passkey for the account (InvalidStateError). */
  'PASSKEY_ALREADY_REGISTERED',
  /** The page's origin does not belong to the relying-party id (SecurityError): a configuration problem. */
  'PASSKEY_RELYING_PARTY_MISMATCH',
  /** The options are not WebAuthn JSON options. */
  'PASSKEY_INVALID_OPTIONS',
  /** Anything else the browser or authenticator reported. */
  'PASSKEY_FAILED',
] as const;

export type PasskeyErrorCode = (typeof PASSKEY_ERROR_CODES)[number];

/** A browser-side passkey failure. The gateway's own failures stay `OtpgateError`s. */
export class PasskeyError extends Error {
  readonly code: PasskeyErrorCode;

  constructor(code: PasskeyErrorCode, message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'PasskeyError';
    this.code = code;
  }
}

export function isPasskeyError(error: unknown): error is PasskeyError {
  return error instanceof PasskeyError;
}

/** The slice of `navigator.credentials` the helpers call. */
export interface CredentialsContainerLike {
  create(options: CredentialCreationOptions): Promise<Credential | null>;
  get(options: CredentialRequestOptions): Promise<Credential | null>;
}

export interface PasskeyCeremonyOptions {
  /** @default globalThis.navigator.credentials */
  credentials?: CredentialsContainerLike;
  /** Cancels the browser prompt; the helper then throws PASSKEY_CANCELLED. */
  signal?: AbortSignal;
}

export function base64urlToBuffer(value: string): ArrayBuffer {
  if (!/^[A-Za-z0-9_-]*$/.test(value)) throw new TypeError('not base64url');
  const base64 = value
    .replace(/-/g, '+')
    .replace(/_/g, '/')
    .padEnd(Math.ceil(value.length / 4) * 4, '=');
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}

export function bufferToBase64url(buffer: ArrayBuffer | ArrayBufferView): string {
  const bytes =
    buffer instanceof ArrayBuffer
      ? new Uint8Array(buffer)
      : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/**
 * Whether this page can use passkeys at all: a secure context with `PublicKeyCredential` and
 * `navigator.credentials`. Use it to hide "Sign in with a passkey" rather than to fail later.
 */
export function passkeysSupported(): boolean {
  const scope = globalThis as {
    isSecureContext?: boolean;
    PublicKeyCredential?: unknown;
    navigator?: Navigator;
  };
  return (
    scope.isSecureContext !== false &&
    typeof scope.PublicKeyCredential === 'function' &&
    typeof scope.navigator?.credentials?.create === 'function'
  );
}

function container(options: PasskeyCeremonyOptions): CredentialsContainerLike {
  if (options.credentials) return options.credentials;
  if (!passkeysSupported()) {
    throw new PasskeyError(
      'PASSKEY_NOT_SUPPORTED',
      'This browser cannot use passkeys here (no WebAuthn, or the page is not https or localhost).',
    );
  }
  return globalThis.navigator.credentials;
}

function descriptors(
  list: CredentialDescriptorJSON[] | undefined,
): PublicKeyCredentialDescriptor[] | undefined {
  return list?.map((item) => ({
    id: base64urlToBuffer(item.id),
    type: item.type,
    ...(item.transports && { transports: item.transports as AuthenticatorTransport[] }),
  }));
}

function invalidOptions(what: string, cause?: unknown): PasskeyError {
  return new PasskeyError('PASSKEY_INVALID_OPTIONS', `Invalid passkey options: ${what}.`, cause);
}

/** A DOMException from `create`/`get` as a PasskeyError. */
function fromBrowser(error: unknown, ceremony: 'registration' | 'sign-in'): PasskeyError {
  if (error instanceof PasskeyError) return error;
  const name = (error as { name?: unknown } | null)?.name;
  switch (name) {
    case 'NotAllowedError':
    case 'AbortError':
      return new PasskeyError(
        'PASSKEY_CANCELLED',
        `The passkey ${ceremony} was cancelled or timed out.`,
        error,
      );
    case 'InvalidStateError':
      return ceremony === 'registration'
        ? new PasskeyError(
            'PASSKEY_ALREADY_REGISTERED',
            'This authenticator already has a passkey for this account.',
            error,
          )
        : new PasskeyError('PASSKEY_FAILED', 'The authenticator is in a state that cannot answer.', error);
    case 'SecurityError':
      return new PasskeyError(
        'PASSKEY_RELYING_PARTY_MISMATCH',
        "This page's origin does not belong to the passkey relying party.",
        error,
      );
    case 'NotSupportedError':
      return new PasskeyError(
        'PASSKEY_NOT_SUPPORTED',
        'No authenticator here supports these passkey options.',
        error,
      );
    default:
      return new PasskeyError('PASSKEY_FAILED', `The passkey ${ceremony} failed.`, error);
  }
}

const attachmentOf = (credential: PublicKeyCredential) => {
  const value = credential.authenticatorAttachment;
  return value === 'platform' || value === 'cross-platform' ? value : undefined;
};

/**
 * `navigator.credentials.create` for the options `startPasskeyRegistration` answered; the result goes
 * to `completePasskeyRegistration` as it is.
 * @throws PasskeyError
 */
export async function createPasskey(
  options: CredentialCreationOptionsJSON,
  ceremony: PasskeyCeremonyOptions = {},
): Promise<RegistrationResponseJSON> {
  const credentials = container(ceremony);
  let publicKey: PublicKeyCredentialCreationOptions;
  try {
    if (!options?.challenge || !options.user?.id || !options.rp || !Array.isArray(options.pubKeyCredParams)) {
      throw invalidOptions('challenge, user, rp and pubKeyCredParams are required');
    }
    publicKey = {
      ...(options as unknown as PublicKeyCredentialCreationOptions),
      challenge: base64urlToBuffer(options.challenge),
      user: { ...options.user, id: base64urlToBuffer(options.user.id) },
      excludeCredentials: descriptors(options.excludeCredentials) ?? [],
    };
  } catch (error) {
    throw error instanceof PasskeyError ? error : invalidOptions('a value is not base64url', error);
  }
  let credential: Credential | null;
  try {
    credential = await credentials.create({
      publicKey,
      ...(ceremony.signal && { signal: ceremony.signal }),
    });
  } catch (error) {
    throw fromBrowser(error, 'registration');
  }
  if (!credential) throw new PasskeyError('PASSKEY_CANCELLED', 'No passkey was created.');
  const made = credential as PublicKeyCredential;
  const response = made.response as AuthenticatorAttestationResponse;
  const publicKeyBytes = response.getPublicKey?.();
  const algorithm = response.getPublicKeyAlgorithm?.();
  const authenticatorData = response.getAuthenticatorData?.();
  return {
    id: made.id,
    rawId: bufferToBase64url(made.rawId),
    type: 'public-key',
    response: {
      clientDataJSON: bufferToBase64url(response.clientDataJSON),
      attestationObject: bufferToBase64url(response.attestationObject),
      transports: response.getTransports?.() ?? [],
      ...(authenticatorData && { authenticatorData: bufferToBase64url(authenticatorData) }),
      ...(publicKeyBytes && { publicKey: bufferToBase64url(publicKeyBytes) }),
      ...(typeof algorithm === 'number' && { publicKeyAlgorithm: algorithm }),
    },
    ...(attachmentOf(made) && { authenticatorAttachment: attachmentOf(made) }),
    clientExtensionResults: (made.getClientExtensionResults?.() ?? {}) as Record<string, unknown>,
  };
}

/**
 * `navigator.credentials.get` for a passkey challenge's `credentialRequestOptions`; the result goes to
 * `verifyPasskey` as it is.
 * @throws PasskeyError
 */
export async function getPasskey(
  options: CredentialRequestOptionsJSON,
  ceremony: PasskeyCeremonyOptions = {},
): Promise<AuthenticationResponseJSON> {
  const credentials = container(ceremony);
  let publicKey: PublicKeyCredentialRequestOptions;
  try {
    if (!options?.challenge) throw invalidOptions('challenge is required');
    const allowCredentials = descriptors(options.allowCredentials);
    publicKey = {
      ...(options as unknown as PublicKeyCredentialRequestOptions),
      challenge: base64urlToBuffer(options.challenge),
      ...(allowCredentials && { allowCredentials }),
    };
  } catch (error) {
    throw error instanceof PasskeyError ? error : invalidOptions('a value is not base64url', error);
  }
  let credential: Credential | null;
  try {
    credential = await credentials.get({ publicKey, ...(ceremony.signal && { signal: ceremony.signal }) });
  } catch (error) {
    throw fromBrowser(error, 'sign-in');
  }
  if (!credential) throw new PasskeyError('PASSKEY_CANCELLED', 'No passkey was chosen.');
  const used = credential as PublicKeyCredential;
  const response = used.response as AuthenticatorAssertionResponse;
  return {
    id: used.id,
    rawId: bufferToBase64url(used.rawId),
    type: 'public-key',
    response: {
      clientDataJSON: bufferToBase64url(response.clientDataJSON),
      authenticatorData: bufferToBase64url(response.authenticatorData),
      signature: bufferToBase64url(response.signature),
      ...(response.userHandle && { userHandle: bufferToBase64url(response.userHandle) }),
    },
    ...(attachmentOf(used) && { authenticatorAttachment: attachmentOf(used) }),
    clientExtensionResults: (used.getClientExtensionResults?.() ?? {}) as Record<string, unknown>,
  };
}
