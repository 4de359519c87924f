import type { ValidatorFn } from 'type-graphql';
import { gatewayError } from '../errors.js';

/**
 * Length caps of every string input field, in UTF-16 code units, checked before the engine is called.
 * They bound what a request can make the gateway hash, log-redact and forward; the engine still
 * validates formats. A field name means the same thing in every input that has it.
 */
export const INPUT_MAX_LENGTHS: Readonly<Record<string, number>> = {
  /** RFC 5321 path limit. */
  email: 254,
  /** E.164 is at most 16 characters with the "+"; room for spaces the engine may strip. */
  phoneNumber: 32,
  /** RFC 5646 recommends supporting 35-character language tags. */
  locale: 35,
  /** Handles are 43 characters (32 bytes, base64url). */
  handle: 64,
  /** Codes are 6 or 8 digits. */
  code: 16,
  /** Cognito refresh tokens are JWEs of about 1.7 KB. */
  refreshToken: 8192,
  /** Passkey credential ids: at most 1023 bytes, base64url. */
  id: 1400,
};

/** type-graphql `validateFn`: BAD_USER_INPUT naming the first over-long field. */
export const validateInputLengths: ValidatorFn = (argValue) => {
  if (argValue === null || typeof argValue !== 'object') return;
  for (const [field, value] of Object.entries(argValue as Record<string, unknown>)) {
    const max = INPUT_MAX_LENGTHS[field];
    if (typeof value === 'string' && max !== undefined && value.length > max) {
      throw gatewayError('BAD_USER_INPUT', `"${field}" is too long (${max} characters at most).`, { field });
    }
  }
};
