import type { OtpError, OtpErrorCode } from '../errors.js';
import { otpError } from '../messages.js';

/**
 * THE translation of Cognito failures into the engine's codes. Nothing else in the package looks at
 * a Cognito exception name; flows look at the resulting OtpError's code, or at the one signal below.
 */

/**
 * Which engine step made the call. NotAuthorizedException, UserNotFoundException and
 * InvalidParameterException mean different things in different steps, so the table is keyed by step,
 * not only by Cognito operation.
 */
export type CognitoStep =
  | 'SignUp'
  | 'ConfirmSignUp'
  | 'ResendConfirmationCode'
  /** InitiateAuth USER_AUTH that issues a code (startSignIn, resendOtp, the confirmSignUp fallback). */
  | 'InitiateAuth'
  /** InitiateAuth USER_AUTH with ConfirmSignUp's Session: the automatic sign-in. */
  | 'AutoSignIn'
  /** RespondToAuthChallenge answering SELECT_CHALLENGE. */
  | 'SelectChallenge'
  /** RespondToAuthChallenge with an OTP code. */
  | 'RespondToAuthChallenge'
  | 'GetTokensFromRefreshToken'
  | 'RevokeToken'
  | 'GlobalSignOut'
  /** GetUser with an access token (the engine's getUser). */
  | 'GetUser'
  /** RespondToAuthChallenge WEB_AUTHN with a passkey assertion. */
  | 'RespondToPasskey'
  /** The passkey operations with the user's access token. */
  | 'StartWebAuthnRegistration'
  | 'CompleteWebAuthnRegistration'
  | 'ListWebAuthnCredentials'
  | 'DeleteWebAuthnCredential';

/** Cognito's wording for an assertion made for another origin or relying party (the emulator's too). */
const ORIGIN_OR_RP = /origin|relying party/i;

/**
 * Not errors for the client but turns in a flow; they never leave the engine (its boundary would turn
 * one into INTERNAL_SERVER_ERROR).
 * - UNKNOWN_USER: Cognito said, as PreventUserExistenceErrors LEGACY allows, that nobody can sign in
 *   with this name (unknown or disabled). Sign-in steps answer with a made-up challenge.
 * - LOCKED_OUT: Cognito locked the user out after wrong codes. Sign-in steps answer with a made-up
 *   challenge, as for an unknown address.
 * - USER_NOT_CONFIRMED: the name belongs to an account whose sign-up was never confirmed (possibly
 *   someone else's squat on the address). startSignIn sends the confirmation code instead.
 * - SESSION_REJECTED: the Session we passed is no longer valid (SignUp's to ConfirmSignUp, ConfirmSignUp's
 *   to the automatic sign-in). ConfirmSignUp is retried without it; the automatic sign-in falls back
 *   to a normal sign-in.
 * - NOT_FOUND: DeleteWebAuthnCredential for an id that is not one of the user's passkeys (false).
 */
export type SignalKind =
  | 'UNKNOWN_USER'
  | 'USER_NOT_CONFIRMED'
  | 'LOCKED_OUT'
  | 'SESSION_REJECTED'
  | 'NOT_FOUND';

export class CognitoSignal extends Error {
  constructor(
    readonly kind: SignalKind,
    cause: unknown,
  ) {
    super(kind, { cause });
    this.name = 'CognitoSignal';
  }
}

export const isSignal = (error: unknown, kind: SignalKind): error is CognitoSignal =>
  error instanceof CognitoSignal && error.kind === kind;

/**
 * What to tell a client to wait, in seconds, when Cognito refused for reasons of its own.
 * Throttling quotas are per second; LimitExceededException is a longer-lived resource limit; Cognito's
 * lockouts start at 1 s and double up to 15 min with no way to ask how long is left, so a minute is
 * a middle answer that neither invites hammering nor shuts a user out for long.
 */
export const RETRY_AFTER = { throttled: 1, failed: 1, limitExceeded: 60, lockout: 60 } as const;

type Rule = OtpErrorCode | ((step: CognitoStep, message: string) => Translation);
type Translation = { code: OtpErrorCode; retryAfterSeconds?: number } | SignalKind;

/** A NotAuthorizedException about the app client itself (secret, SECRET_HASH, client): our configuration. */
const CLIENT_CONFIGURATION = /secret|client/i;
/** Cognito's lockout wording ("Password attempts exceeded"); it has none specific to OTP codes. */
const LOCKOUT = /attempts exceeded|locked/i;

const upstream = (retryAfterSeconds: number): Translation => ({
  code: 'UPSTREAM_UNAVAILABLE',
  retryAfterSeconds,
});

function notAuthorized(step: CognitoStep, message: string): Translation {
  if (CLIENT_CONFIGURATION.test(message)) return { code: 'INTERNAL_SERVER_ERROR' };
  switch (step) {
    case 'RespondToPasskey':
      // A refused assertion spends the Session and counts towards Cognito's lockout like a wrong code.
      // The lockout itself is answered as a refused passkey, as for codes (TOO_MANY_ATTEMPTS would say
      // the address is real).
      if (LOCKOUT.test(message)) return { code: 'CODE_MISMATCH' };
      if (ORIGIN_OR_RP.test(message)) return { code: 'BAD_USER_INPUT' };
      if (/session/i.test(message)) return { code: 'SESSION_EXPIRED' };
      return { code: 'CODE_MISMATCH' };
    case 'InitiateAuth':
      // A locked-out or disabled user is answered like an unknown address: a distinct answer would
      // tell anyone that the address has an account (and that someone has been guessing its codes).
      return LOCKOUT.test(message) ? 'LOCKED_OUT' : 'UNKNOWN_USER';
    case 'RespondToAuthChallenge':
      // Expired, spent or dead Session (including "dead after wrong codes"): a resend gives a new one.
      // The lockout has the same exception; only its wording tells it apart. It is answered as a wrong
      // code, as a made-up handle of an unknown address would be: TOO_MANY_ATTEMPTS here would say
      // the address is real. Cognito's lockout is short (at most about 15 minutes) and ours, per handle,
      // destination and IP, stops the guessing.
      if (LOCKOUT.test(message)) return { code: 'CODE_MISMATCH' };
      return { code: 'CODE_EXPIRED' };
    case 'AutoSignIn':
      // The ConfirmSignUp Session is expired or spent: the flow starts a normal sign-in instead.
      return 'SESSION_REJECTED';
    case 'ConfirmSignUp':
      // "Invalid session": SignUp's Session is no longer valid (the flow retries without it). Anything
      // else is "already confirmed": this handle has nothing left to do.
      return /session/i.test(message) ? 'SESSION_REJECTED' : { code: 'SESSION_EXPIRED' };
    case 'ResendConfirmationCode':
      return { code: 'SESSION_EXPIRED' };
    case 'GetTokensFromRefreshToken':
    case 'RevokeToken':
    case 'GlobalSignOut':
    case 'GetUser':
    case 'StartWebAuthnRegistration':
    case 'CompleteWebAuthnRegistration':
    case 'ListWebAuthnCredentials':
    case 'DeleteWebAuthnCredential':
      return { code: 'UNAUTHENTICATED' };
    default:
      return { code: 'INTERNAL_SERVER_ERROR' };
  }
}

function userGone(step: CognitoStep): Translation {
  switch (step) {
    case 'InitiateAuth':
      return 'UNKNOWN_USER';
    case 'GetTokensFromRefreshToken':
    case 'RevokeToken':
    case 'GlobalSignOut':
    case 'GetUser':
    case 'StartWebAuthnRegistration':
    case 'CompleteWebAuthnRegistration':
    case 'ListWebAuthnCredentials':
    case 'DeleteWebAuthnCredential':
      return { code: 'UNAUTHENTICATED' };
    case 'SignUp':
      return { code: 'INTERNAL_SERVER_ERROR' };
    default:
      // The user behind a handle was deleted (or never confirmed) meanwhile: start again.
      return { code: 'SESSION_EXPIRED' };
  }
}

function invalidParameter(step: CognitoStep, message: string): Translation {
  switch (step) {
    case 'RespondToPasskey':
    case 'CompleteWebAuthnRegistration':
    // The credential's JSON, encoding or attestation is not valid, or is already registered; a
    // credential id Cognito cannot parse.
    case 'DeleteWebAuthnCredential':
      return { code: 'BAD_USER_INPUT' };
    case 'StartWebAuthnRegistration':
    case 'ListWebAuthnCredentials':
      return { code: 'UNAUTHENTICATED' };
    case 'SignUp':
      // The engine validated both already; this is Cognito being stricter than we are.
      return /phone|email|username/i.test(message)
        ? { code: 'BAD_USER_INPUT' }
        : { code: 'INTERNAL_SERVER_ERROR' };
    case 'ResendConfirmationCode':
      // "User is already confirmed.": the sign-up handle has nothing left to do.
      return /confirmed/i.test(message) ? { code: 'SESSION_EXPIRED' } : { code: 'INTERNAL_SERVER_ERROR' };
    case 'GetTokensFromRefreshToken':
    case 'RevokeToken':
    case 'GlobalSignOut':
    case 'GetUser':
      return { code: 'UNAUTHENTICATED' };
    default:
      // Pool or client misconfiguration (flow not enabled, MFA required, ...): not the user's doing.
      return { code: 'INTERNAL_SERVER_ERROR' };
  }
}

const TABLE: Record<string, Rule> = {
  CodeMismatchException: 'CODE_MISMATCH',
  ExpiredCodeException: 'CODE_EXPIRED',
  UsernameExistsException: 'USER_EXISTS',
  AliasExistsException: 'USER_EXISTS',
  TooManyFailedAttemptsException: () => ({
    code: 'TOO_MANY_ATTEMPTS',
    retryAfterSeconds: RETRY_AFTER.lockout,
  }),
  CodeDeliveryFailureException: 'DELIVERY_FAILED',
  // Cognito could not use the pool's SMS or SES role: nothing is sent, and the user can do nothing.
  InvalidSmsRoleAccessPolicyException: 'DELIVERY_FAILED',
  InvalidSmsRoleTrustRelationshipException: 'DELIVERY_FAILED',
  InvalidEmailRoleAccessPolicyException: 'DELIVERY_FAILED',
  // Over the sending quota (the default email sender's ~50 a day) Cognito answers LimitExceeded too.
  LimitExceededException: (step, message) =>
    step === 'StartWebAuthnRegistration' || step === 'CompleteWebAuthnRegistration'
      ? // The user has the most passkeys a pool allows (20): a delete makes room.
        { code: 'BAD_USER_INPUT' }
      : /email|sms|message|deliver|send/i.test(message)
        ? { code: 'DELIVERY_FAILED' }
        : upstream(RETRY_AFTER.limitExceeded),
  TooManyRequestsException: () => upstream(RETRY_AFTER.throttled),
  InternalErrorException: () => upstream(RETRY_AFTER.failed),
  InternalServerException: () => upstream(RETRY_AFTER.failed),
  NotAuthorizedException: notAuthorized,
  UnauthorizedException: (step, message) =>
    step === 'RevokeToken' && !/secret/i.test(message)
      ? { code: 'UNAUTHENTICATED' }
      : { code: 'INTERNAL_SERVER_ERROR' },
  UnsupportedTokenTypeException: 'UNAUTHENTICATED',
  RefreshTokenReuseException: 'UNAUTHENTICATED',
  UserNotFoundException: (step) => userGone(step),
  UserNotConfirmedException: (step) => (step === 'InitiateAuth' ? 'USER_NOT_CONFIRMED' : userGone(step)),
  InvalidParameterException: invalidParameter,
  // WebAuthn: a credential the pool cannot take is the caller's input; a pool without passkeys set up
  // is our configuration (the pool doctor names the fix).
  WebAuthnOriginNotAllowedException: 'BAD_USER_INPUT',
  WebAuthnRelyingPartyMismatchException: 'BAD_USER_INPUT',
  WebAuthnCredentialNotSupportedException: 'BAD_USER_INPUT',
  WebAuthnChallengeNotFoundException: 'SESSION_EXPIRED',
  WebAuthnClientMismatchException: 'SESSION_EXPIRED',
  WebAuthnNotEnabledException: 'INTERNAL_SERVER_ERROR',
  WebAuthnConfigurationMissingException: 'INTERNAL_SERVER_ERROR',
  ResourceNotFoundException: (step) =>
    step === 'DeleteWebAuthnCredential' ? 'NOT_FOUND' : { code: 'INTERNAL_SERVER_ERROR' },
};

/** Errors below the Cognito protocol: the call never got a Cognito answer. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);
const NETWORK_NAMES = new Set(['AbortError', 'TimeoutError', 'RequestTimeout', 'TimeoutException']);

interface ErrorLike {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
}

/** The Cognito exception name of a service error, or undefined for anything else (network, bug). */
export function cognitoErrorName(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const e = error as ErrorLike;
  return (e.$fault === 'client' || e.$fault === 'server') && typeof e.name === 'string' ? e.name : undefined;
}

/**
 * The engine's answer to a failed Cognito call: an OtpError (original as `cause`), or a CognitoSignal
 * for the flow to act on. Field-level BAD_USER_INPUT gets its field from `inputField`.
 */
export function translateCognitoError(
  error: unknown,
  step: CognitoStep,
  inputField?: string,
): OtpError | CognitoSignal {
  const translation = translate(error, step);
  if (typeof translation === 'string') return new CognitoSignal(translation, error);
  const { code, retryAfterSeconds } = translation;
  return otpError(code, {
    cause: error,
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }),
    ...(code === 'BAD_USER_INPUT' ? { field: fieldOf(error, inputField) } : {}),
  });
}

function fieldOf(error: unknown, inputField: string | undefined): string {
  // A passkey step's bad input is its credential (or id), whatever words Cognito's message uses.
  if (inputField === 'credential' || inputField === 'id' || inputField === 'passkeys') return inputField;
  const message = String((error as ErrorLike | undefined)?.message ?? '');
  if (/phone/i.test(message)) return 'phoneNumber';
  if (/email|username/i.test(message)) return 'email';
  return inputField ?? 'input';
}

function translate(error: unknown, step: CognitoStep): Translation {
  const name = cognitoErrorName(error);
  const e = (typeof error === 'object' && error !== null ? error : {}) as ErrorLike;
  if (name !== undefined) {
    const rule = TABLE[name];
    if (typeof rule === 'string') return { code: rule };
    if (rule) return rule(step, typeof e.message === 'string' ? e.message : '');
    // A server fault Cognito did not name for us is still Cognito failing, not our bug.
    return e.$fault === 'server' ? upstream(RETRY_AFTER.failed) : { code: 'INTERNAL_SERVER_ERROR' };
  }
  if (isNetworkFailure(e)) return upstream(RETRY_AFTER.failed);
  return { code: 'INTERNAL_SERVER_ERROR' };
}

/** Timeouts (the engine's own, the SDK's socket timeouts), connection failures and 5xx without a Cognito body. */
function isNetworkFailure(e: ErrorLike): boolean {
  if (typeof e.name === 'string' && NETWORK_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number' && status >= 500) return true;
  return typeof e.message === 'string' && /socket hang up|timed? ?out|aborted/i.test(e.message);
}
