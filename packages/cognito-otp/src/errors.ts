/**
 * The closed set of codes an engine call can fail with (docs/API.md section 2). The gateway maps them to
 * `extensions.code` one to one; nothing else about a failure crosses the package boundary.
 */
export const OTP_ERROR_CODES = [
  'BAD_USER_INPUT',
  'CODE_MISMATCH',
  'CODE_EXPIRED',
  'SESSION_EXPIRED',
  'TOO_MANY_ATTEMPTS',
  'RATE_LIMITED',
  'USER_EXISTS',
  'DELIVERY_FAILED',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'UPSTREAM_UNAVAILABLE',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
] as const;

export type OtpErrorCode = (typeof OTP_ERROR_CODES)[number];

/** Which limit refused a request, for RATE_LIMITED and TOO_MANY_ATTEMPTS. */
export type LimitScope = 'destination' | 'ip' | 'profile' | 'handle' | 'request';

export interface OtpErrorDetails {
  /** The input field at fault, for BAD_USER_INPUT. */
  field?: string;
  /** Wrong codes the handle still accepts, for CODE_MISMATCH. */
  attemptsRemaining?: number;
  /** Whole seconds until a retry can succeed; set on every refusal (RATE_LIMITED, TOO_MANY_ATTEMPTS, UPSTREAM_UNAVAILABLE). */
  retryAfterSeconds?: number;
  scope?: LimitScope;
  /** The underlying error (a Cognito exception, a Redis error): for logs, never for clients. */
  cause?: unknown;
}

/**
 * The one error class of the engine. `message` is safe to show to an end user: it never carries a
 * Cognito exception name, an address, a code or a handle. The original failure is in `cause`.
 */
export class OtpError extends Error {
  readonly code: OtpErrorCode;
  readonly field?: string;
  readonly attemptsRemaining?: number;
  readonly retryAfterSeconds?: number;
  readonly scope?: LimitScope;

  constructor(code: OtpErrorCode, message: string, details: OtpErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'OtpError';
    this.code = code;
    if (details.field !== undefined) this.field = details.field;
    if (details.attemptsRemaining !== undefined) this.attemptsRemaining = details.attemptsRemaining;
    if (details.retryAfterSeconds !== undefined) this.retryAfterSeconds = details.retryAfterSeconds;
    if (details.scope !== undefined) this.scope = details.scope;
  }
}

export function isOtpError(error: unknown): error is OtpError {
  return error instanceof OtpError;
}

/** Thrown by factories for bad options: names the option and the value's problem. Never caught by flows. */
export class OtpConfigError extends Error {
  constructor(
    /** The bad option's path, e.g. `profiles.web.region`. */
    readonly option: string,
    /** What is wrong with it, without the option's name. */
    readonly reason: string,
  ) {
    super(`Invalid otpgate option "${option}": ${reason}`);
    this.name = 'OtpConfigError';
  }
}
