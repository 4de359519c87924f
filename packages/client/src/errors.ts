/**
 * `extensions.code` values of the contract (docs/API.md section 2): a closed set, fixed by the contract.
 * A new code is a breaking change of the contract, so this list changes only with it.
 */
export const OTPGATE_ERROR_CODES = [
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

export type ContractErrorCode = (typeof OTPGATE_ERROR_CODES)[number];

/**
 * A contract code, or `NETWORK_ERROR`: the client's own, for when no contract answer arrived at all
 * (offline, DNS, timeout, CORS refusal, a proxy's HTML error page).
 */
export type OtpgateErrorCode = ContractErrorCode | 'NETWORK_ERROR';

/** Which limit refused, for RATE_LIMITED. */
export type LimitScope = 'destination' | 'ip' | 'profile' | 'handle' | 'request';

export interface OtpgateErrorDetails {
  /** BAD_USER_INPUT: the input field at fault (`email`, `code`, `handle`, …). */
  field?: string;
  /** CODE_MISMATCH: wrong codes the handle still accepts. */
  attemptsRemaining?: number;
  /** RATE_LIMITED, TOO_MANY_ATTEMPTS, UPSTREAM_UNAVAILABLE: whole seconds until a retry can succeed. */
  retryAfterSeconds?: number;
  /** RATE_LIMITED: which limit. */
  scope?: LimitScope;
  /** HTTP status of the answer; absent when there was none. */
  status?: number;
  /** The underlying failure (a fetch TypeError, a JSON SyntaxError), for logs. */
  cause?: unknown;
}

const KNOWN = new Set<string>(OTPGATE_ERROR_CODES);

/**
 * The one error the client throws. `message` is the gateway's, safe to log but written for developers:
 * show your own text per `code` (see apps/demo-web/src/messages.ts).
 */
export class OtpgateError extends Error {
  readonly code: OtpgateErrorCode;
  readonly field?: string;
  readonly attemptsRemaining?: number;
  readonly retryAfterSeconds?: number;
  readonly scope?: LimitScope;
  readonly status?: number;

  constructor(code: OtpgateErrorCode, message: string, details: OtpgateErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'OtpgateError';
    this.code = code;
    if (details.field !== undefined) this.field = details.field;
    if (details.attemptsRemaining !== undefined) this.attemptsRemaining = details.attemptsRemaining;
    if (details.retryAfterSeconds !== undefined) this.retryAfterSeconds = details.retryAfterSeconds;
    if (details.scope !== undefined) this.scope = details.scope;
    if (details.status !== undefined) this.status = details.status;
  }
}

export function isOtpgateError(error: unknown): error is OtpgateError {
  return error instanceof OtpgateError;
}

const num = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);
const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

/**
 * A GraphQL error entry as an OtpgateError. A code this client does not know (a newer gateway) is
 * INTERNAL_SERVER_ERROR, so a `switch` over codes stays exhaustive.
 */
export function errorFromGraphQL(entry: unknown, status: number): OtpgateError {
  const record = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
  const extensions = (
    typeof record.extensions === 'object' && record.extensions !== null ? record.extensions : {}
  ) as Record<string, unknown>;
  const raw = str(extensions.code);
  const code: ContractErrorCode =
    raw !== undefined && KNOWN.has(raw) ? (raw as ContractErrorCode) : 'INTERNAL_SERVER_ERROR';
  const field = str(extensions.field);
  const attemptsRemaining = num(extensions.attemptsRemaining);
  const retryAfterSeconds = num(extensions.retryAfterSeconds);
  const scope = str(extensions.scope) as LimitScope | undefined;
  return new OtpgateError(code, str(record.message) ?? code, {
    status,
    ...(field !== undefined && { field }),
    ...(attemptsRemaining !== undefined && { attemptsRemaining }),
    ...(retryAfterSeconds !== undefined && { retryAfterSeconds }),
    ...(scope !== undefined && { scope }),
  });
}
