import { unwrapResolverError } from '@apollo/server/errors';
import {
  type LimitScope,
  OTP_ERROR_CODES,
  OtpError,
  type OtpErrorCode,
  type OtpErrorDetails,
} from '@otpgate/cognito-otp';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { fieldOfValidationError, fieldOfVariableError } from './graphql/validation-fields.js';

/** `extensions.code` values a client can see: docs/API.md section 2, a closed set. */
export type ApiErrorCode = OtpErrorCode;
export const API_ERROR_CODES: readonly ApiErrorCode[] = OTP_ERROR_CODES;

type Extra = 'field' | 'attemptsRemaining' | 'retryAfterSeconds' | 'scope';

/**
 * THE mapping from engine error codes to GraphQL `extensions`: the code a client sees and
 * the extra keys docs/API.md lets it carry. The gateway's own refusals are OtpErrors too, so they go through
 * this table as well; nothing else in the gateway knows how a code is presented.
 */
export const ERROR_TABLE: Readonly<Record<OtpErrorCode, { code: ApiErrorCode; extras: readonly Extra[] }>> = {
  BAD_USER_INPUT: { code: 'BAD_USER_INPUT', extras: ['field'] },
  CODE_MISMATCH: { code: 'CODE_MISMATCH', extras: ['attemptsRemaining'] },
  CODE_EXPIRED: { code: 'CODE_EXPIRED', extras: [] },
  SESSION_EXPIRED: { code: 'SESSION_EXPIRED', extras: [] },
  TOO_MANY_ATTEMPTS: { code: 'TOO_MANY_ATTEMPTS', extras: ['retryAfterSeconds'] },
  RATE_LIMITED: { code: 'RATE_LIMITED', extras: ['retryAfterSeconds', 'scope'] },
  USER_EXISTS: { code: 'USER_EXISTS', extras: [] },
  DELIVERY_FAILED: { code: 'DELIVERY_FAILED', extras: [] },
  UNAUTHENTICATED: { code: 'UNAUTHENTICATED', extras: [] },
  FORBIDDEN: { code: 'FORBIDDEN', extras: [] },
  UPSTREAM_UNAVAILABLE: { code: 'UPSTREAM_UNAVAILABLE', extras: ['retryAfterSeconds'] },
  SERVICE_UNAVAILABLE: { code: 'SERVICE_UNAVAILABLE', extras: [] },
  INTERNAL_SERVER_ERROR: { code: 'INTERNAL_SERVER_ERROR', extras: [] },
};

/** What a client sees of any failure. */
export interface ApiErrorExtensions {
  code: ApiErrorCode;
  field?: string;
  attemptsRemaining?: number;
  retryAfterSeconds?: number;
  scope?: LimitScope;
}

export interface ClassifiedError {
  message: string;
  extensions: ApiErrorExtensions;
  /** True for INTERNAL_SERVER_ERROR: something unexpected that operators must see in the logs. */
  unexpected: boolean;
}

const INTERNAL_MESSAGE = 'Internal server error.';

/** An engine (or gateway) OtpError as the client sees it, through ERROR_TABLE. */
export function presentOtpError(error: OtpError): ClassifiedError {
  // An OtpError always has a code of the table; the fallback guards a newer engine with a new code.
  const entry =
    (ERROR_TABLE[error.code] as (typeof ERROR_TABLE)[OtpErrorCode] | undefined) ??
    ERROR_TABLE.INTERNAL_SERVER_ERROR;
  const extensions: ApiErrorExtensions = { code: entry.code };
  for (const extra of entry.extras) {
    const value = error[extra];
    if (value !== undefined) Object.assign(extensions, { [extra]: value });
  }
  const unexpected = entry.code === 'INTERNAL_SERVER_ERROR';
  return { message: unexpected ? INTERNAL_MESSAGE : error.message, extensions, unexpected };
}

function badInput(field: string, message: string): ClassifiedError {
  return { message, extensions: { code: 'BAD_USER_INPUT', field }, unexpected: false };
}

/**
 * Classifies anything Apollo hands to `formatError`: the engine's OtpErrors (through ERROR_TABLE),
 * GraphQL's own request errors (parse, validation, variable coercion: BAD_USER_INPUT naming the field,
 * never a 500), Apollo's request refusals (CSRF, batching, GET mutations), and everything else as a
 * masked INTERNAL_SERVER_ERROR.
 */
export function classifyError(error: unknown, apolloCode?: unknown): ClassifiedError {
  const original = unwrapResolverError(error);
  if (original instanceof OtpError) return presentOtpError(original);
  if (error instanceof GraphQLError) {
    const code = apolloCode ?? error.extensions.code;
    switch (code) {
      case 'GRAPHQL_PARSE_FAILED':
        // The syntax message quotes the offending token (user input): not echoed.
        return badInput('query', 'The query is not a valid GraphQL document, or it is too long.');
      case 'GRAPHQL_VALIDATION_FAILED': {
        const { field, message } = fieldOfValidationError(error);
        return badInput(field, message);
      }
      case 'BAD_USER_INPUT': {
        // Variable coercion: graphql-js quotes the variable's value in the message; not echoed.
        const field = fieldOfVariableError(error.message);
        return badInput(field, `Invalid value for "${field}".`);
      }
      case 'BAD_REQUEST':
      case 'PERSISTED_QUERY_NOT_FOUND':
      case 'PERSISTED_QUERY_NOT_SUPPORTED':
        // Apollo's refusals (CSRF, batching, GET mutations, missing query): static, helpful texts.
        return badInput('request', stripSuggestions(error.message));
      case 'OPERATION_RESOLUTION_FAILURE':
        return badInput('operationName', 'The operation to run is missing or unknown.');
    }
  }
  return { message: INTERNAL_MESSAGE, extensions: { code: 'INTERNAL_SERVER_ERROR' }, unexpected: true };
}

/** Apollo's `formatError`: only the classified message and extensions leave the process. */
export function formatError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const classified = classifyError(error, formatted.extensions?.code);
  return {
    message: classified.message,
    ...(formatted.locations && { locations: formatted.locations }),
    ...(formatted.path && { path: formatted.path }),
    extensions: { ...classified.extensions },
  };
}

/** graphql-js "Did you mean …?" hints name schema members a client did not ask about. */
export function stripSuggestions(message: string): string {
  return message.replace(/\s*Did you mean [^?]*\?/g, '').trim();
}

/** A gateway refusal: an OtpError, so it is presented through ERROR_TABLE like the engine's. */
export function gatewayError(code: OtpErrorCode, message: string, details: OtpErrorDetails = {}): OtpError {
  return new OtpError(code, message, details);
}

/** The body of a refusal sent before GraphQL runs (unknown profile, bad origin, oversized body…). */
export function errorBody(code: ApiErrorCode, message: string, field?: string) {
  return { errors: [{ message, extensions: { code, ...(field !== undefined && { field }) } }] };
}
