import { type LimitScope, OtpError, type OtpErrorCode, type OtpErrorDetails } from './errors.js';

/**
 * End-user messages, one per code: safe to show as they are (no Cognito name, address, code or
 * handle ever goes into one). Callers pick the code; the words live here so they stay consistent.
 */
const MESSAGES: Record<OtpErrorCode, string> = {
  BAD_USER_INPUT: 'Some of the input is not valid.',
  CODE_MISMATCH: 'The code is not correct.',
  CODE_EXPIRED: 'The code has expired. Ask for a new one.',
  SESSION_EXPIRED: 'This sign-in attempt has ended. Please start again.',
  TOO_MANY_ATTEMPTS: 'Too many wrong codes. Please wait before trying again.',
  RATE_LIMITED: 'Too many requests. Please wait before trying again.',
  USER_EXISTS: 'An account with this address already exists.',
  DELIVERY_FAILED: 'The code could not be delivered. Please try again later.',
  UNAUTHENTICATED: 'You are not signed in, or your session has ended.',
  FORBIDDEN: 'This client is not allowed.',
  UPSTREAM_UNAVAILABLE: 'The sign-in service is temporarily unavailable. Please try again shortly.',
  SERVICE_UNAVAILABLE: 'The service is temporarily unavailable. Please try again shortly.',
  INTERNAL_SERVER_ERROR: 'Something went wrong. Please try again later.',
};

/** Messages for BAD_USER_INPUT by field, so a client can show them next to the field. */
const FIELD_MESSAGES: Record<string, string> = {
  email: 'Enter a valid email address.',
  phoneNumber: 'Enter a valid phone number in international format, e.g. +14155550123.',
  code: 'Enter the code exactly as you received it.',
  handle: 'This sign-in attempt is not valid. Please start again.',
  input: 'Give either an email address or a phone number.',
  channel: 'Choose EMAIL or SMS.',
  method: 'Choose EMAIL_CODE, SMS_CODE or PASSKEY (matching the channel, if you give one).',
  credential: 'This passkey cannot be used here. Try again, or sign in with a code.',
  id: 'No such passkey.',
  passkeys: 'This account has the most passkeys allowed. Delete one before adding another.',
  locale: 'The language tag is not valid.',
};

export function otpError(code: OtpErrorCode, details: OtpErrorDetails = {}): OtpError {
  const message =
    code === 'BAD_USER_INPUT' && details.field !== undefined
      ? (FIELD_MESSAGES[details.field] ?? MESSAGES.BAD_USER_INPUT)
      : MESSAGES[code];
  return new OtpError(code, message, details);
}

export function badInput(field: string, cause?: unknown): OtpError {
  return otpError('BAD_USER_INPUT', { field, cause });
}

/** RATE_LIMITED / TOO_MANY_ATTEMPTS with whole seconds, at least 1 (0 would invite a busy loop). */
export function refusal(
  code: 'RATE_LIMITED' | 'TOO_MANY_ATTEMPTS',
  scope: LimitScope,
  retryAfterMs: number,
): OtpError {
  return otpError(code, { scope, retryAfterSeconds: Math.max(1, Math.ceil(retryAfterMs / 1000)) });
}
