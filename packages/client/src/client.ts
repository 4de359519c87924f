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
  RefreshTokensInput,
  ResendOtpInput,
  SignOutInput,
  SignUpInput,
  StartSignInInput,
  User,
  VerifyOtpInput,
} from './types.js';

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
  /** -> CONFIRM_SIGN_IN_WITH_EMAIL_CODE / _SMS_CODE (8-digit code sent), also for unknown addresses. RATE_LIMITED, BAD_USER_INPUT. */
  startSignIn(input: StartSignInInput): Promise<AuthStep>;
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

export function createOtpgateClient(options: OtpgateClientOptions): OtpgateClient {
  const send = createTransport(options);
  const store = options.tokenStore;

  async function step(name: Exclude<keyof typeof documents, 'signOut' | 'me'>, input: object) {
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

  return {
    tokenStore: store,
    signUp: (input) => step('signUp', input),
    confirmSignUp: (input) => step('confirmSignUp', input),
    startSignIn: (input) => step('startSignIn', input),
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
