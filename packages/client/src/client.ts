import { documents } from './documents.js';
import { OtpgateError } from './errors.js';
import type { TokenStore } from './token-store.js';
import { createTransport, type TransportOptions } from './transport.js';
import type {
  AuthStep,
  AuthTokens,
  Challenge,
  CodeStep,
  ConfirmSignUpInput,
  Passkey,
  PasskeySignInStep,
  RefreshTokensInput,
  ResendOtpInput,
  SignOutInput,
  SignUpInput,
  StartPasskeySignInInput,
  StartSignInInput,
  User,
  VerifyOtpInput,
  VerifyPasskeyInput,
} from './types.js';
import {
  type CredentialCreationOptionsJSON,
  type CredentialRequestOptionsJSON,
  createPasskey,
  getPasskey,
  type PasskeyCeremonyOptions,
  type RegistrationResponseJSON,
} from './webauthn.js';

export interface OtpgateClientOptions extends TransportOptions {
  /**
   * Keeps the tokens of every `DONE` step, and supplies them to `me`, `refreshTokens` and `signOut`
   * when not passed explicitly; `signOut` empties it. @default none: tokens are only returned
   */
  tokenStore?: TokenStore;
}

/**
 * The passwordless flow as methods. Each flow method answers the next step (narrow on `nextStep`) or
 * throws OtpgateError with the contract's `code` and its `field`, `attemptsRemaining` or
 * `retryAfterSeconds`; NETWORK_ERROR when no answer came.
 *
 * ```ts
 * const auth = createOtpgateClient({ url: '/graphql', tokenStore: createMemoryTokenStore() });
 * let step = await auth.startSignIn({ email });        // CONFIRM_SIGN_IN_WITH_EMAIL_CODE
 * step = await auth.verifyOtp({ handle: step.challenge.handle, code });   // DONE
 * const user = await auth.me();
 * ```
 */
export interface OtpgateClient {
  /** -> CONFIRM_SIGN_UP (6-digit code sent). USER_EXISTS, BAD_USER_INPUT, RATE_LIMITED, DELIVERY_FAILED. */
  signUp(input: SignUpInput): Promise<AuthStep>;
  /** -> DONE, or CONFIRM_SIGN_IN_WITH_EMAIL_CODE when the automatic sign-in window passed. CODE_MISMATCH, CODE_EXPIRED, SESSION_EXPIRED, TOO_MANY_ATTEMPTS. */
  confirmSignUp(input: ConfirmSignUpInput): Promise<AuthStep>;
  /** -> CONFIRM_SIGN_IN_WITH_PASSKEY with `credentialRequestOptions`, for every address (no account leaks). RATE_LIMITED, BAD_USER_INPUT. */
  startSignIn(input: StartPasskeySignInInput): Promise<PasskeySignInStep>;
  /** -> CONFIRM_SIGN_IN_WITH_EMAIL_CODE / _SMS_CODE (8-digit code sent), also for unknown addresses. RATE_LIMITED, BAD_USER_INPUT. */
  startSignIn(input: StartSignInInput): Promise<AuthStep>;
  /** -> DONE. CODE_MISMATCH (with attemptsRemaining) for a refused passkey, BAD_USER_INPUT (field credential) for an origin or relying-party mismatch, SESSION_EXPIRED, TOO_MANY_ATTEMPTS. */
  verifyPasskey(input: VerifyPasskeyInput): Promise<AuthStep>;
  /**
   * Passkey sign-in in one call: startSignIn({ method: 'PASSKEY' }), the browser prompt (getPasskey),
   * verifyPasskey. Throws PasskeyError when the browser cannot or the user cancels (offer a code then),
   * OtpgateError for the gateway's refusals.
   */
  signInWithPasskey(
    input: { email: string } | { phoneNumber: string },
    ceremony?: PasskeyCeremonyOptions,
  ): Promise<AuthStep>;
  /** Creation options for `createPasskey`; needs the access token. UNAUTHENTICATED, RATE_LIMITED. */
  startPasskeyRegistration(options?: { accessToken?: string }): Promise<CredentialCreationOptionsJSON>;
  /** Registers the browser's answer; the new passkey. BAD_USER_INPUT (field credential), UNAUTHENTICATED. */
  completePasskeyRegistration(input: {
    credential: RegistrationResponseJSON;
    accessToken?: string;
  }): Promise<Passkey>;
  /** Registration in one call: start, the browser prompt (createPasskey), complete. PasskeyError or OtpgateError. */
  registerPasskey(options?: { accessToken?: string } & PasskeyCeremonyOptions): Promise<Passkey>;
  /** The signed-in user's passkeys. UNAUTHENTICATED without a valid access token. */
  passkeys(options?: { accessToken?: string }): Promise<Passkey[]>;
  /** Deletes one of the signed-in user's passkeys. UNAUTHENTICATED. */
  deletePasskey(input: { id: string; accessToken?: string }): Promise<boolean>;
  /** -> DONE. CODE_MISMATCH (with attemptsRemaining), CODE_EXPIRED, SESSION_EXPIRED, TOO_MANY_ATTEMPTS. */
  verifyOtp(input: VerifyOtpInput): Promise<AuthStep>;
  /** -> the same step and handle, new code, later `resendAvailableAt`. RATE_LIMITED before it. */
  resendOtp(input: ResendOtpInput): Promise<AuthStep>;
  /** -> DONE with fresh access and ID tokens. UNAUTHENTICATED for a bad, expired or revoked refresh token. */
  refreshTokens(input?: RefreshTokensInput): Promise<AuthStep>;
  /** Revokes the refresh token (and with `global`, every session); empties the token store. */
  signOut(input?: SignOutInput): Promise<boolean>;
  /** The signed-in user, or null without an access token. UNAUTHENTICATED for a bad or revoked one. */
  me(options?: { accessToken?: string }): Promise<User | null>;
  /** The token store given in the options, if any. */
  readonly tokenStore: TokenStore | undefined;
}

interface WireChallenge extends Omit<Challenge, 'expiresAt' | 'resendAvailableAt'> {
  expiresAt: string;
  resendAvailableAt: string;
}

interface WireStep {
  nextStep: string;
  challenge: WireChallenge | null;
  tokens: AuthTokens | null;
}

/** Wire step to AuthStep: dates parsed, and the union's promise (challenge xor tokens) checked. */
function toStep(wire: WireStep): AuthStep {
  if (wire.nextStep === 'DONE' && wire.tokens)
    return { nextStep: 'DONE', challenge: null, tokens: wire.tokens };
  if (wire.nextStep !== 'DONE' && wire.challenge) {
    const { expiresAt, resendAvailableAt, ...rest } = wire.challenge;
    return {
      nextStep: wire.nextStep as CodeStep,
      challenge: { ...rest, expiresAt: new Date(expiresAt), resendAvailableAt: new Date(resendAvailableAt) },
      tokens: null,
    };
  }
  throw new OtpgateError('INTERNAL_SERVER_ERROR', `Unexpected step from the gateway: ${wire.nextStep}.`);
}

interface WirePasskey {
  id: string;
  name: string;
  createdAt: string;
  attachment: string | null;
}

const toPasskey = (wire: WirePasskey): Passkey => ({ ...wire, createdAt: new Date(wire.createdAt) });

/** A JSON scalar arrives as an object; a gateway that serialises it as a string is accepted too. */
function jsonObject<T>(value: unknown): T {
  const parsed: unknown = typeof value === 'string' ? JSON.parse(value) : value;
  if (typeof parsed !== 'object' || parsed === null) {
    throw new OtpgateError('INTERNAL_SERVER_ERROR', 'The gateway answered no WebAuthn options.');
  }
  return parsed as T;
}

function toPasskeyStep(
  wire: WireStep & { challenge: (WireChallenge & { credentialRequestOptions?: unknown }) | null },
): PasskeySignInStep {
  if (wire.nextStep !== 'CONFIRM_SIGN_IN_WITH_PASSKEY' || !wire.challenge) {
    throw new OtpgateError('INTERNAL_SERVER_ERROR', `Unexpected step from the gateway: ${wire.nextStep}.`);
  }
  const { expiresAt, resendAvailableAt, credentialRequestOptions, handle, codeLength } = wire.challenge;
  return {
    nextStep: 'CONFIRM_SIGN_IN_WITH_PASSKEY',
    challenge: {
      handle,
      delivery: null,
      codeLength,
      expiresAt: new Date(expiresAt),
      resendAvailableAt: new Date(resendAvailableAt),
      credentialRequestOptions: jsonObject<CredentialRequestOptionsJSON>(credentialRequestOptions),
    },
    tokens: null,
  };
}

export function createOtpgateClient(options: OtpgateClientOptions): OtpgateClient {
  const send = createTransport(options);
  const store = options.tokenStore;

  type StepDocument =
    | 'signUp'
    | 'confirmSignUp'
    | 'startSignIn'
    | 'verifyOtp'
    | 'resendOtp'
    | 'refreshTokens'
    | 'verifyPasskey';

  async function step(name: StepDocument, input: object) {
    const operationName = name.charAt(0).toUpperCase() + name.slice(1);
    const data = await send<Record<string, WireStep>>({
      operationName,
      query: documents[name],
      variables: { input },
    });
    const next = toStep(data[name] as WireStep);
    if (next.nextStep === 'DONE' && store) {
      // Cookie profiles and refreshes without rotation answer refreshToken null: keep the one we had.
      const previous = store.get();
      store.set({ ...next.tokens, refreshToken: next.tokens.refreshToken ?? previous?.refreshToken ?? null });
    }
    return next;
  }

  /** The access token to send: the one given, else the store's. */
  function withToken(given: string | undefined): { accessToken?: string } {
    const accessToken = given ?? store?.get()?.accessToken;
    return accessToken === undefined ? {} : { accessToken };
  }

  async function startSignIn(
    input: StartSignInInput | StartPasskeySignInInput,
  ): Promise<AuthStep | PasskeySignInStep> {
    if (input.method !== 'PASSKEY') return step('startSignIn', input);
    const data = await send<{ startSignIn: WireStep }>({
      operationName: 'StartPasskeySignIn',
      query: documents.startPasskeySignIn,
      variables: { input },
    });
    return toPasskeyStep(data.startSignIn as Parameters<typeof toPasskeyStep>[0]);
  }

  async function startPasskeyRegistration(
    registration: { accessToken?: string } = {},
  ): Promise<CredentialCreationOptionsJSON> {
    const data = await send<{ startPasskeyRegistration: unknown }>({
      operationName: 'StartPasskeyRegistration',
      query: documents.startPasskeyRegistration,
      ...withToken(registration.accessToken),
    });
    return jsonObject<CredentialCreationOptionsJSON>(data.startPasskeyRegistration);
  }

  async function completePasskeyRegistration(input: {
    credential: RegistrationResponseJSON;
    accessToken?: string;
  }): Promise<Passkey> {
    const data = await send<{ completePasskeyRegistration: WirePasskey }>({
      operationName: 'CompletePasskeyRegistration',
      query: documents.completePasskeyRegistration,
      variables: { input: { credential: input.credential } },
      ...withToken(input.accessToken),
    });
    return toPasskey(data.completePasskeyRegistration);
  }

  return {
    tokenStore: store,
    signUp: (input) => step('signUp', input),
    confirmSignUp: (input) => step('confirmSignUp', input),
    startSignIn: startSignIn as OtpgateClient['startSignIn'],
    verifyPasskey: (input) => step('verifyPasskey', input),
    async signInWithPasskey(input, ceremony = {}) {
      const started = (await startSignIn({
        ...input,
        method: 'PASSKEY',
      } as StartPasskeySignInInput)) as PasskeySignInStep;
      const credential = await getPasskey(started.challenge.credentialRequestOptions, ceremony);
      return step('verifyPasskey', { handle: started.challenge.handle, credential });
    },
    startPasskeyRegistration,
    completePasskeyRegistration,
    async registerPasskey(registration = {}) {
      const { accessToken, ...ceremony } = registration;
      const creation = await startPasskeyRegistration({ accessToken });
      const credential = await createPasskey(creation, ceremony);
      return completePasskeyRegistration({ credential, accessToken });
    },
    async passkeys(listOptions = {}) {
      const data = await send<{ passkeys: WirePasskey[] }>({
        operationName: 'Passkeys',
        query: documents.passkeys,
        ...withToken(listOptions.accessToken),
      });
      return data.passkeys.map(toPasskey);
    },
    async deletePasskey(input) {
      const data = await send<{ deletePasskey: boolean }>({
        operationName: 'DeletePasskey',
        query: documents.deletePasskey,
        variables: { id: input.id },
        ...withToken(input.accessToken),
      });
      return data.deletePasskey;
    },
    verifyOtp: (input) => step('verifyOtp', input),
    resendOtp: (input) => step('resendOtp', input),
    refreshTokens(input = {}) {
      const refreshToken = input.refreshToken ?? store?.get()?.refreshToken ?? undefined;
      return step('refreshTokens', refreshToken === undefined ? {} : { refreshToken });
    },
    async signOut(input = {}) {
      const stored = store?.get();
      const refreshToken = input.refreshToken ?? stored?.refreshToken ?? undefined;
      const accessToken = input.accessToken ?? stored?.accessToken;
      try {
        const data = await send<{ signOut: boolean }>({
          operationName: 'SignOut',
          query: documents.signOut,
          variables: {
            input: {
              ...(refreshToken !== undefined && { refreshToken }),
              ...(input.global !== undefined && { global: input.global }),
            },
          },
          ...(accessToken !== undefined && { accessToken }),
        });
        return data.signOut;
      } finally {
        // Forget the tokens even when the gateway refused: a signed-out UI must not keep using them.
        store?.set(null);
      }
    },
    async me(meOptions = {}) {
      const accessToken = meOptions.accessToken ?? store?.get()?.accessToken;
      const data = await send<{ me: User | null }>({
        operationName: 'Me',
        query: documents.me,
        ...(accessToken !== undefined && { accessToken }),
      });
      return data.me;
    },
  };
}
