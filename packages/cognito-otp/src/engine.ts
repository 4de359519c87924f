import { createHmac } from 'node:crypto';
import { CognitoApi } from './cognito/api.js';
import { completePasskeyRegistration } from './complete-passkey-registration.js';
import { confirmSignUp } from './confirm-sign-up.js';
import { deletePasskey } from './delete-passkey.js';
import { isOtpError, OtpConfigError } from './errors.js';
import { LatencyAverage } from './flow/latency.js';
import { type Call, type EngineRuntime, newCall, type ProfileRuntime } from './flow/runtime.js';
import { getUser } from './get-user.js';
import { identifierKeys } from './identifiers.js';
import { type LimitRule, Limits, type LimitsConfig } from './limits/limits.js';
import { listPasskeys } from './list-passkeys.js';
import { otpError } from './messages.js';
import { type OtpEngineOptions, resolveOptions } from './options.js';
import { refreshTokens } from './refresh-tokens.js';
import { resendOtp } from './resend-otp.js';
import { signOut } from './sign-out.js';
import { signUp } from './sign-up.js';
import { startPasskeyRegistration } from './start-passkey-registration.js';
import { startSignIn } from './start-sign-in.js';
import type {
  AuthStep,
  CompletePasskeyRegistrationInput,
  ConfirmSignUpInput,
  DeletePasskeyInput,
  GetUserInput,
  JsonObject,
  Passkey,
  PasskeyTokenInput,
  RefreshTokensInput,
  RequestContext,
  ResendOtpInput,
  SignOutInput,
  SignUpInput,
  StartSignInInput,
  User,
  VerifyOtpInput,
  VerifyPasskeyInput,
} from './types.js';
import { verifyOtp } from './verify-otp.js';
import { verifyPasskey } from './verify-passkey.js';

/**
 * The passwordless engine: one method per flow. Every method takes plain input and the request
 * context, and either answers the next step or rejects with OtpError (a code of docs/API.md section 2,
 * the original failure as `cause`). The one exception is OtpConfigError on the first call through a
 * Cognito client that retries (see `createCognitoClient`). Unknown `ctx.clientProfile`: FORBIDDEN.
 * Each method documents its codes and its Cognito calls in its own file.
 */
export interface OtpEngine {
  /** -> CONFIRM_SIGN_UP (or CONFIRM_SIGN_IN_WITH_EMAIL_CODE, see sign-up.ts). */
  signUp(input: SignUpInput, ctx: RequestContext): Promise<AuthStep>;
  /** -> DONE, or CONFIRM_SIGN_IN_WITH_EMAIL_CODE with a new handle when the automatic sign-in cannot succeed. */
  confirmSignUp(input: ConfirmSignUpInput, ctx: RequestContext): Promise<AuthStep>;
  /** -> CONFIRM_SIGN_IN_WITH_EMAIL_CODE / CONFIRM_SIGN_IN_WITH_SMS_CODE, or CONFIRM_SIGN_IN_WITH_PASSKEY. */
  startSignIn(input: StartSignInInput, ctx: RequestContext): Promise<AuthStep>;
  /** -> DONE. */
  verifyOtp(input: VerifyOtpInput, ctx: RequestContext): Promise<AuthStep>;
  /** -> the same next step, same handle, new code. */
  resendOtp(input: ResendOtpInput, ctx: RequestContext): Promise<AuthStep>;
  /** -> DONE. */
  refreshTokens(input: RefreshTokensInput, ctx: RequestContext): Promise<AuthStep>;
  /** true when something was signed out, false when there was nothing to sign out. */
  signOut(input: SignOutInput, ctx: RequestContext): Promise<boolean>;
  /** The user of an access token, as Cognito has them now; UNAUTHENTICATED once the token is revoked. */
  getUser(input: GetUserInput, ctx: RequestContext): Promise<User>;
  /** A passkey assertion for a CONFIRM_SIGN_IN_WITH_PASSKEY handle -> DONE. */
  verifyPasskey(input: VerifyPasskeyInput, ctx: RequestContext): Promise<AuthStep>;
  /** PublicKeyCredentialCreationOptionsJSON for the access token's user. */
  startPasskeyRegistration(input: PasskeyTokenInput, ctx: RequestContext): Promise<JsonObject>;
  /** Registers the RegistrationResponseJSON -> the new passkey. */
  completePasskeyRegistration(input: CompletePasskeyRegistrationInput, ctx: RequestContext): Promise<Passkey>;
  /** The access token's user's passkeys, oldest first. */
  listPasskeys(input: PasskeyTokenInput, ctx: RequestContext): Promise<Passkey[]>;
  /** true when the passkey was deleted, false when the user has none with that id. */
  deletePasskey(input: DeletePasskeyInput, ctx: RequestContext): Promise<boolean>;
}

/**
 * Builds an engine; checks every option first.
 * @throws OtpConfigError naming the bad option (pool id, region, client id, secret, limits, store,
 *   hmacSecret, timeouts)
 */
export function createOtpEngine(options: OtpEngineOptions): OtpEngine {
  const resolved = resolveOptions(options);
  const rt: EngineRuntime = {
    store: resolved.store,
    clock: resolved.clock,
    random: resolved.random,
    keys: identifierKeys(resolved.hmacSecret),
    cognitoTimeoutMs: resolved.cognitoTimeoutMs,
    ...(resolved.logger === undefined ? {} : { logger: resolved.logger }),
  };
  // IPs are counted under a keyed hash too; its own derived key, so it says nothing about address keys.
  const ipKeySecret = createHmac('sha256', resolved.hmacSecret).update('otpgate/ip/v1').digest();
  const logger = resolved.logger;

  // A destination's budgets hold whichever profile asks: every profile counts every profile's
  // destination rules, on shared counters, so a client cannot pick a laxer profile by header.
  const shared = sharedDestinationRules([...resolved.profiles.values()].map((profile) => profile.limits));

  const profiles = new Map<string, ProfileRuntime>();
  for (const configured of resolved.profiles.values()) {
    const profile = { ...configured, limits: { ...configured.limits, ...shared } };
    const sendLatency = new LatencyAverage();
    profiles.set(profile.name, {
      settings: profile,
      api: new CognitoApi({
        client: profile.cognitoClient,
        clientOption: profile.cognitoClientOption,
        clientId: profile.clientId,
        ...(profile.clientSecret === undefined ? {} : { clientSecret: profile.clientSecret }),
        timeoutMs: resolved.cognitoTimeoutMs,
        profile: profile.name,
        ...(resolved.logger === undefined ? {} : { logger: resolved.logger }),
      }),
      limits: new Limits(resolved.store, profile.limits, {
        keySecret: ipKeySecret,
        onShed: () =>
          logger?.({
            level: 'warn',
            event: 'limits.profile_shedding',
            profile: profile.name,
            operation: 'send',
          }),
      }),
      sendLatency,
      verifyLatency: new LatencyAverage(),
      passkeyStartLatency: new LatencyAverage(),
      passkeyVerifyLatency: new LatencyAverage(),
      webAuthn: {},
      resendAfterSeconds: Math.min(...profile.limits.sendPerDestination.map((rule) => rule.durationSeconds)),
    });
  }

  const run =
    <I, O>(operation: string, flow: (call: Call, input: I) => Promise<O>) =>
    async (input: I, ctx: RequestContext): Promise<O> => {
      const name = typeof ctx?.clientProfile === 'string' ? ctx.clientProfile : undefined;
      const p = name === undefined ? undefined : profiles.get(name);
      if (p === undefined) throw otpError('FORBIDDEN');
      try {
        return await flow(newCall(rt, p, ctx), input);
      } catch (error) {
        if (error instanceof OtpConfigError) throw error;
        const failure = isOtpError(error) ? error : otpError('INTERNAL_SERVER_ERROR', { cause: error });
        if (failure.code === 'INTERNAL_SERVER_ERROR' || failure.code === 'SERVICE_UNAVAILABLE') {
          const cause = failure.cause;
          logger?.({
            level: 'error',
            event: 'engine.error',
            profile: p.settings.name,
            operation,
            errorCode: failure.code,
            ...(cause instanceof Error ? { cognitoError: cause.name } : {}),
          });
        }
        throw failure;
      }
    };

  return {
    signUp: run('signUp', signUp),
    confirmSignUp: run('confirmSignUp', confirmSignUp),
    startSignIn: run('startSignIn', startSignIn),
    verifyOtp: run('verifyOtp', verifyOtp),
    resendOtp: run('resendOtp', resendOtp),
    refreshTokens: run('refreshTokens', refreshTokens),
    signOut: run('signOut', signOut),
    getUser: run('getUser', getUser),
    verifyPasskey: run('verifyPasskey', verifyPasskey),
    startPasskeyRegistration: run('startPasskeyRegistration', startPasskeyRegistration),
    completePasskeyRegistration: run('completePasskeyRegistration', completePasskeyRegistration),
    listPasskeys: run('listPasskeys', listPasskeys),
    deletePasskey: run('deletePasskey', deletePasskey),
  };
}

/**
 * The destination rules every profile applies: the union of all profiles' `sendPerDestination` and
 * `wrongCodesPerDestination` rules, the fewest points where two share a window (the window names the
 * counter, so one window must mean one limit).
 */
export function sharedDestinationRules(
  all: readonly LimitsConfig[],
): Pick<LimitsConfig, 'sendPerDestination' | 'wrongCodesPerDestination'> {
  const union = (lists: readonly LimitRule[][]): LimitRule[] => {
    const byWindow = new Map<number, number>();
    for (const rule of lists.flat()) {
      const points = byWindow.get(rule.durationSeconds);
      byWindow.set(rule.durationSeconds, points === undefined ? rule.points : Math.min(points, rule.points));
    }
    return [...byWindow]
      .sort(([a], [b]) => a - b)
      .map(([durationSeconds, points]) => ({ points, durationSeconds }));
  };
  return {
    sendPerDestination: union(all.map((limits) => limits.sendPerDestination)),
    wrongCodesPerDestination: union(all.map((limits) => limits.wrongCodesPerDestination)),
  };
}
