// The passkey helpers with a fake `navigator.credentials`: JSON options become the ArrayBuffers the
// browser takes, the browser's credential becomes the JSON the gateway takes, and DOMExceptions become
// PasskeyErrors. Then the client's passkey methods over a fake fetch, ceremony included.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createOtpgateClient } from './client.js';
import { createMemoryTokenStore } from './token-store.js';
import type { FetchLike } from './transport.js';
import {
  base64urlToBuffer,
  bufferToBase64url,
  type CredentialCreationOptionsJSON,
  type CredentialRequestOptionsJSON,
  type CredentialsContainerLike,
  createPasskey,
  getPasskey,
  PasskeyError,
  passkeysSupported,
} from './webauthn.js';

const bytes = (...values: number[]) => new Uint8Array(values).buffer;
const text = (value: string) => new TextEncoder().encode(value).buffer as ArrayBuffer;

const CREATION: CredentialCreationOptionsJSON = {
  authenticatorSelection: {
    requireResidentKey: true,
    residentKey: 'required',
    userVerification: 'preferred',
  },
  challenge: 'AAECAwQFBgcICQoLDA0ODw',
  excludeCredentials: [{ id: '-_8', type: 'public-key' }],
  pubKeyCredParams: [
    { alg: -7, type: 'public-key' },
    { alg: -257, type: 'public-key' },
  ],
  rp: { id: 'localhost', name: 'localhost' },
  timeout: 60000,
  user: { displayName: 'yuki', id: bufferToBase64url(text('sub-1')), name: 'yuki' },
};

const REQUEST: CredentialRequestOptionsJSON = {
  challenge: 'AAECAwQFBgcICQoLDA0ODw',
  timeout: 180000,
  rpId: 'localhost',
  allowCredentials: [{ type: 'public-key', id: '-_8', transports: ['internal'] }],
  userVerification: 'required',
};

/** A PublicKeyCredential as a browser hands it over (only what the helpers read). */
function attestationCredential() {
  return {
    id: '-_8',
    rawId: bytes(0xfb, 0xff),
    type: 'public-key',
    authenticatorAttachment: 'platform',
    getClientExtensionResults: () => ({ credProps: { rk: true } }),
    response: {
      clientDataJSON: text('{"type":"webauthn.create"}'),
      attestationObject: bytes(0xa3, 0x01),
      getTransports: () => ['internal', 'hybrid'],
      getPublicKey: () => bytes(0x30, 0x59),
      getPublicKeyAlgorithm: () => -7,
      getAuthenticatorData: () => bytes(0x49, 0x96),
    },
  } as unknown as Credential;
}

function assertionCredential() {
  return {
    id: '-_8',
    rawId: bytes(0xfb, 0xff),
    type: 'public-key',
    authenticatorAttachment: 'cross-platform',
    getClientExtensionResults: () => ({}),
    response: {
      clientDataJSON: text('{"type":"webauthn.get"}'),
      authenticatorData: bytes(0x49, 0x96, 0x0d),
      signature: bytes(0x30, 0x45, 0x02),
      userHandle: text('sub-1'),
    },
  } as unknown as Credential;
}

function fakeCredentials(answer: {
  create?: () => Promise<Credential | null>;
  get?: () => Promise<Credential | null>;
}) {
  const calls: { create: CredentialCreationOptions[]; get: CredentialRequestOptions[] } = {
    create: [],
    get: [],
  };
  const credentials: CredentialsContainerLike = {
    create: async (options) => {
      calls.create.push(options);
      return (answer.create ?? (async () => attestationCredential()))();
    },
    get: async (options) => {
      calls.get.push(options);
      return (answer.get ?? (async () => assertionCredential()))();
    },
  };
  return { credentials, calls };
}

const domError = (name: string) => new DOMException('browser says no', name);

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('base64url', () => {
  it('round-trips every byte value, without padding', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const encoded = bufferToBase64url(all);
    expect(encoded).not.toMatch(/[+/=]/);
    expect(new Uint8Array(base64urlToBuffer(encoded))).toEqual(all);
    expect(bufferToBase64url(bytes(0xfb, 0xff))).toBe('-_8');
    expect(() => base64urlToBuffer('a+b/')).toThrow(TypeError);
  });
});

describe('createPasskey', () => {
  it('decodes challenge, user.id and excludeCredentials for create(), and encodes the answer', async () => {
    const { credentials, calls } = fakeCredentials({});
    const signal = new AbortController().signal;
    const result = await createPasskey(CREATION, { credentials, signal });

    const publicKey = calls.create[0]?.publicKey;
    expect(calls.create[0]?.signal).toBe(signal);
    expect(new Uint8Array(publicKey?.challenge as ArrayBuffer)).toEqual(new Uint8Array(16).map((_, i) => i));
    expect(new TextDecoder().decode(publicKey?.user.id as ArrayBuffer)).toBe('sub-1');
    expect(publicKey?.user.name).toBe('yuki');
    expect(new Uint8Array(publicKey?.excludeCredentials?.[0]?.id as ArrayBuffer)).toEqual(
      new Uint8Array([0xfb, 0xff]),
    );
    expect(publicKey?.rp).toEqual({ id: 'localhost', name: 'localhost' });
    expect(publicKey?.authenticatorSelection?.residentKey).toBe('required');

    expect(result).toEqual({
      id: '-_8',
      rawId: '-_8',
      type: 'public-key',
      response: {
        clientDataJSON: bufferToBase64url(text('{"type":"webauthn.create"}')),
        attestationObject: 'owE',
        transports: ['internal', 'hybrid'],
        authenticatorData: 'SZY',
        publicKey: 'MFk',
        publicKeyAlgorithm: -7,
      },
      authenticatorAttachment: 'platform',
      clientExtensionResults: { credProps: { rk: true } },
    });
  });

  it.each([
    ['NotAllowedError', 'PASSKEY_CANCELLED'],
    ['AbortError', 'PASSKEY_CANCELLED'],
    ['InvalidStateError', 'PASSKEY_ALREADY_REGISTERED'],
    ['SecurityError', 'PASSKEY_RELYING_PARTY_MISMATCH'],
    ['NotSupportedError', 'PASSKEY_NOT_SUPPORTED'],
    ['UnknownError', 'PASSKEY_FAILED'],
  ])('%s from create() is %s', async (name, code) => {
    const error = domError(name);
    const { credentials } = fakeCredentials({ create: () => Promise.reject(error) });
    const failure = await createPasskey(CREATION, { credentials }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PasskeyError);
    expect(failure).toMatchObject({ code, cause: error });
  });

  it('a null credential is PASSKEY_CANCELLED; broken options are PASSKEY_INVALID_OPTIONS before any prompt', async () => {
    const { credentials, calls } = fakeCredentials({ create: async () => null });
    await expect(createPasskey(CREATION, { credentials })).rejects.toMatchObject({
      code: 'PASSKEY_CANCELLED',
    });
    const broken = { ...CREATION, challenge: 'not base64url!' };
    await expect(createPasskey(broken, { credentials })).rejects.toMatchObject({
      code: 'PASSKEY_INVALID_OPTIONS',
    });
    const missing = { ...CREATION, user: undefined } as unknown as CredentialCreationOptionsJSON;
    await expect(createPasskey(missing, { credentials })).rejects.toMatchObject({
      code: 'PASSKEY_INVALID_OPTIONS',
    });
    expect(calls.create).toHaveLength(1);
  });
});

describe('getPasskey', () => {
  it('decodes challenge and allowCredentials for get(), and encodes the assertion', async () => {
    const { credentials, calls } = fakeCredentials({});
    const result = await getPasskey(REQUEST, { credentials });
    const publicKey = calls.get[0]?.publicKey;
    expect(new Uint8Array(publicKey?.challenge as ArrayBuffer)).toHaveLength(16);
    expect(publicKey?.rpId).toBe('localhost');
    expect(publicKey?.userVerification).toBe('required');
    expect(publicKey?.allowCredentials?.[0]?.transports).toEqual(['internal']);
    expect(new Uint8Array(publicKey?.allowCredentials?.[0]?.id as ArrayBuffer)).toEqual(
      new Uint8Array([0xfb, 0xff]),
    );
    expect(result).toEqual({
      id: '-_8',
      rawId: '-_8',
      type: 'public-key',
      response: {
        clientDataJSON: bufferToBase64url(text('{"type":"webauthn.get"}')),
        authenticatorData: 'SZYN',
        signature: 'MEUC',
        userHandle: bufferToBase64url(text('sub-1')),
      },
      authenticatorAttachment: 'cross-platform',
      clientExtensionResults: {},
    });
  });

  it('NotAllowedError (the user closed the prompt) is PASSKEY_CANCELLED', async () => {
    const { credentials } = fakeCredentials({ get: () => Promise.reject(domError('NotAllowedError')) });
    await expect(getPasskey(REQUEST, { credentials })).rejects.toMatchObject({
      name: 'PasskeyError',
      code: 'PASSKEY_CANCELLED',
    });
  });

  it('without WebAuthn in the page: PASSKEY_NOT_SUPPORTED, and passkeysSupported() is false', async () => {
    vi.stubGlobal('PublicKeyCredential', undefined);
    expect(passkeysSupported()).toBe(false);
    await expect(getPasskey(REQUEST)).rejects.toMatchObject({ code: 'PASSKEY_NOT_SUPPORTED' });
    await expect(createPasskey(CREATION)).rejects.toMatchObject({ code: 'PASSKEY_NOT_SUPPORTED' });
  });

  it('passkeysSupported() needs a secure context, PublicKeyCredential and navigator.credentials', () => {
    const { credentials } = fakeCredentials({});
    vi.stubGlobal('PublicKeyCredential', class {});
    vi.stubGlobal('navigator', { credentials });
    vi.stubGlobal('isSecureContext', true);
    expect(passkeysSupported()).toBe(true);
    vi.stubGlobal('isSecureContext', false);
    expect(passkeysSupported()).toBe(false);
  });
});

describe('the client’s passkey methods', () => {
  type Call = Parameters<FetchLike>;
  const TOKENS = {
    accessToken: 'at',
    idToken: 'it',
    refreshToken: 'rt',
    expiresIn: 3600,
    tokenType: 'Bearer',
  };
  const CHALLENGE = {
    handle: 'h1',
    codeLength: 0,
    expiresAt: '2026-12-04T12:03:00.000Z',
    resendAvailableAt: '2026-12-04T12:00:30.000Z',
    delivery: null,
    credentialRequestOptions: REQUEST,
  };

  /** Answers each operation by name; records every call. */
  function gateway(answers: Record<string, unknown>, calls: Call[] = []): FetchLike {
    return async (...args) => {
      calls.push(args);
      const { operationName } = JSON.parse(args[1].body) as { operationName: string };
      return { status: 200, text: async () => JSON.stringify({ data: answers[operationName] }) };
    };
  }
  const body = (call: Call | undefined) => JSON.parse(call?.[1].body ?? '{}');

  it('signInWithPasskey: startSignIn(PASSKEY), get(), verifyPasskey; tokens kept', async () => {
    const calls: Call[] = [];
    const store = createMemoryTokenStore();
    const client = createOtpgateClient({
      url: '/graphql',
      tokenStore: store,
      fetch: gateway(
        {
          StartPasskeySignIn: {
            startSignIn: { nextStep: 'CONFIRM_SIGN_IN_WITH_PASSKEY', challenge: CHALLENGE, tokens: null },
          },
          VerifyPasskey: { verifyPasskey: { nextStep: 'DONE', challenge: null, tokens: TOKENS } },
        },
        calls,
      ),
    });
    const { credentials, calls: prompts } = fakeCredentials({});
    const done = await client.signInWithPasskey({ email: 'yuki@example.com' }, { credentials });
    expect(done).toEqual({ nextStep: 'DONE', challenge: null, tokens: TOKENS });
    expect(store.get()?.accessToken).toBe('at');
    expect(body(calls[0]).variables).toEqual({ input: { email: 'yuki@example.com', method: 'PASSKEY' } });
    expect(body(calls[0]).query).toContain('credentialRequestOptions');
    expect(prompts.get).toHaveLength(1);
    expect(body(calls[1]).variables.input.handle).toBe('h1');
    expect(body(calls[1]).variables.input.credential).toMatchObject({ id: '-_8', type: 'public-key' });
  });

  it('startSignIn(PASSKEY) types its step; a JSON scalar sent as a string is parsed', async () => {
    const client = createOtpgateClient({
      url: '/graphql',
      fetch: gateway({
        StartPasskeySignIn: {
          startSignIn: {
            nextStep: 'CONFIRM_SIGN_IN_WITH_PASSKEY',
            challenge: { ...CHALLENGE, credentialRequestOptions: JSON.stringify(REQUEST) },
            tokens: null,
          },
        },
      }),
    });
    const step = await client.startSignIn({ email: 'yuki@example.com', method: 'PASSKEY' });
    expect(step.challenge.credentialRequestOptions).toEqual(REQUEST);
    expect(step.challenge.expiresAt).toEqual(new Date(CHALLENGE.expiresAt));
    expect(step.challenge.delivery).toBeNull();
  });

  it('registerPasskey, passkeys and deletePasskey send the stored access token', async () => {
    const calls: Call[] = [];
    const store = createMemoryTokenStore();
    store.set(TOKENS);
    const wire = {
      id: '-_8',
      name: 'Platform passkey',
      createdAt: '2026-12-04T12:00:00.000Z',
      attachment: 'platform',
    };
    const client = createOtpgateClient({
      url: '/graphql',
      tokenStore: store,
      fetch: gateway(
        {
          StartPasskeyRegistration: { startPasskeyRegistration: CREATION },
          CompletePasskeyRegistration: { completePasskeyRegistration: wire },
          Passkeys: { passkeys: [wire] },
          DeletePasskey: { deletePasskey: true },
        },
        calls,
      ),
    });
    const { credentials } = fakeCredentials({});
    const made = await client.registerPasskey({ credentials });
    expect(made).toEqual({ ...wire, createdAt: new Date(wire.createdAt) });
    expect(body(calls[1]).variables.input.credential.response.attestationObject).toBe('owE');
    await expect(client.passkeys()).resolves.toEqual([made]);
    await expect(client.deletePasskey({ id: '-_8' })).resolves.toBe(true);
    expect(body(calls[3]).variables).toEqual({ id: '-_8' });
    for (const call of calls) expect(call[1].headers.authorization).toBe('Bearer at');
  });

  it('a cancelled prompt stops before completePasskeyRegistration', async () => {
    const calls: Call[] = [];
    const client = createOtpgateClient({
      url: '/graphql',
      fetch: gateway({ StartPasskeyRegistration: { startPasskeyRegistration: CREATION } }, calls),
    });
    const { credentials } = fakeCredentials({ create: () => Promise.reject(domError('NotAllowedError')) });
    await expect(client.registerPasskey({ accessToken: 'x', credentials })).rejects.toMatchObject({
      code: 'PASSKEY_CANCELLED',
    });
    expect(calls).toHaveLength(1);
  });
});
