import type { OtpgateError, OtpgateErrorCode } from '@otpgate/client';

/** Where a failure leaves the user: on the screen they are on, or back at the email form. */
export type ErrorEffect = 'stay' | 'restart';

/** "45 seconds", "2 minutes", "1 hour": a wait as people say it, rounded up. */
export function formatWait(seconds: number): string {
  const s = Math.max(1, Math.ceil(seconds));
  if (s < 60) return `${s} ${s === 1 ? 'second' : 'seconds'}`;
  if (s < 3600) {
    const m = Math.ceil(s / 60);
    return `${m} ${m === 1 ? 'minute' : 'minutes'}`;
  }
  const h = Math.ceil(s / 3600);
  return `${h} ${h === 1 ? 'hour' : 'hours'}`;
}

const later = (seconds: number | undefined, fallback: string) =>
  seconds !== undefined && seconds > 0 ? `in ${formatWait(seconds)}` : fallback;

/**
 * One message per code of the contract, and what the page does about it. A Record over every code: a
 * code added to the client fails the type check here until it has a message.
 */
const MESSAGES: Record<
  OtpgateErrorCode,
  { text: (error: OtpgateError, secondsLeft: number | undefined) => string; effect: ErrorEffect }
> = {
  BAD_USER_INPUT: {
    text: (error) =>
      error.field === 'email'
        ? 'Enter a valid email address, like name@example.com.'
        : error.field === 'code'
          ? 'Enter the whole code: digits only.'
          : 'Something in the request was not valid. Check it and try again.',
    effect: 'stay',
  },
  CODE_MISMATCH: {
    text: (error) => {
      const left = error.attemptsRemaining;
      if (left === undefined) return "That code isn't right. Check it and try again.";
      if (left === 0) return "That code isn't right, and it was the last try. Send a new code.";
      return `That code isn't right. You have ${left} ${left === 1 ? 'attempt' : 'attempts'} left.`;
    },
    effect: 'stay',
  },
  CODE_EXPIRED: { text: () => 'That code has expired. Send a new code.', effect: 'stay' },
  SESSION_EXPIRED: {
    text: () => 'This sign-in has expired. Enter your email to get a new code.',
    effect: 'restart',
  },
  TOO_MANY_ATTEMPTS: {
    text: (_error, left) => `Too many wrong codes. Try again ${later(left, 'later')}.`,
    effect: 'restart',
  },
  RATE_LIMITED: {
    text: (_error, left) => `Too many requests. Try again ${later(left, 'in a moment')}.`,
    effect: 'stay',
  },
  USER_EXISTS: {
    text: () => 'There is already an account with this email. Sign in with a code instead.',
    effect: 'stay',
  },
  DELIVERY_FAILED: {
    text: () => "We couldn't send a code to that address. Check it, or try again later.",
    effect: 'stay',
  },
  UNAUTHENTICATED: { text: () => 'Your session has ended. Sign in again.', effect: 'restart' },
  FORBIDDEN: {
    text: () => "This site isn't allowed to use the sign-in service (check the gateway's client profile).",
    effect: 'stay',
  },
  UPSTREAM_UNAVAILABLE: {
    text: (_error, left) => `The sign-in service is busy. Try again ${later(left, 'in a moment')}.`,
    effect: 'stay',
  },
  SERVICE_UNAVAILABLE: {
    text: () => 'The sign-in service is temporarily unavailable. Try again in a moment.',
    effect: 'stay',
  },
  INTERNAL_SERVER_ERROR: { text: () => 'Something went wrong on our side. Try again.', effect: 'stay' },
  NETWORK_ERROR: {
    text: () => "We couldn't reach the sign-in service. Check your connection and try again.",
    effect: 'stay',
  },
};

/**
 * The message for `error` and where it leaves the user. `secondsLeft` (@default the error's
 * `retryAfterSeconds`) is the wait to name: a countdown calls this again as the wait shrinks.
 */
export function describeError(
  error: OtpgateError,
  secondsLeft: number | undefined = error.retryAfterSeconds,
): { text: string; effect: ErrorEffect } {
  const entry = MESSAGES[error.code];
  return { text: entry.text(error, secondsLeft), effect: entry.effect };
}
