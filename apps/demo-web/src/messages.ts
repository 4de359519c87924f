import { isPasskeyError, type OtpgateError, type OtpgateErrorCode, type PasskeyError } from '@otpgate/client';

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

/** Which passkey ceremony failed: signing in, or adding a passkey while signed in. */
export type PasskeyCeremony = 'sign-in' | 'registration';

/**
 * One sentence for every refusal of a passkey sign-in, on purpose: a wrong passkey, an address with no
 * passkey and an address with no account must read the same, or the page would tell anyone which
 * addresses have an account (the gateway answers all three alike, CODE_MISMATCH).
 */
export const PASSKEY_REFUSED = "That passkey didn't sign you in. Use a code instead, or try another passkey.";

/** While the browser's passkey prompt is open. */
export const PASSKEY_WAITING = 'Confirm with your passkey when your browser asks.';

const PASSKEY_NOT_ENABLED =
  "Passkeys aren't turned on for this site (check the gateway profile's webAuthnOrigins).";

/**
 * The browser's side: the prompt was closed, timed out or the device did not confirm (the browser
 * reports all three alike), the browser cannot, or the page is on the wrong address.
 */
function browserFailure(error: PasskeyError, ceremony: PasskeyCeremony): string {
  const otherwise = ceremony === 'sign-in' ? 'Use a code instead.' : 'You can still sign in with codes.';
  switch (error.code) {
    case 'PASSKEY_CANCELLED':
      return ceremony === 'sign-in'
        ? 'The passkey sign-in was cancelled or not confirmed. Try again, or use a code instead.'
        : 'No passkey was added: the request was cancelled or not confirmed.';
    case 'PASSKEY_ALREADY_REGISTERED':
      return 'This device already has a passkey for your account.';
    case 'PASSKEY_NOT_SUPPORTED':
      return `This browser can't use passkeys here. ${otherwise}`;
    case 'PASSKEY_RELYING_PARTY_MISMATCH':
      return `This site's passkeys don't work at this page's address. ${otherwise}`;
    default:
      return ceremony === 'sign-in'
        ? "Your device couldn't use a passkey just now. Try again, or use a code instead."
        : "Your device couldn't create a passkey just now. Try again.";
  }
}

/** The gateway's side of a passkey sign-in: every refusal is PASSKEY_REFUSED. */
function signInRefusal(error: OtpgateError): string | undefined {
  switch (error.code) {
    case 'CODE_MISMATCH':
      return PASSKEY_REFUSED;
    case 'BAD_USER_INPUT':
      // A credential the gateway will not take (another site's, malformed) is a refusal like any other.
      return error.field === 'credential' || error.field === 'handle' ? PASSKEY_REFUSED : undefined;
    case 'SESSION_EXPIRED':
      return 'That took too long. Try the passkey again, or use a code instead.';
    case 'TOO_MANY_ATTEMPTS':
      return `Too many failed sign-ins. Try again ${later(error.retryAfterSeconds, 'later')}, or use a code.`;
    case 'FORBIDDEN':
      return PASSKEY_NOT_ENABLED;
    default:
      return undefined;
  }
}

/** The gateway's side of adding a passkey. */
function registrationRefusal(error: OtpgateError): string | undefined {
  switch (error.code) {
    case 'BAD_USER_INPUT':
      return error.field === 'passkeys'
        ? 'You have as many passkeys as an account can have. Delete one to add another.'
        : "Your device's passkey couldn't be registered. Try again.";
    case 'SESSION_EXPIRED':
      return 'That took too long. Add the passkey again.';
    case 'FORBIDDEN':
      return PASSKEY_NOT_ENABLED;
    default:
      return undefined;
  }
}

/**
 * The message for a failed passkey sign-in or registration, from the browser (PasskeyError) or the
 * gateway (OtpgateError), and where it leaves the user. Gateway codes without a passkey sentence of
 * their own (RATE_LIMITED, NETWORK_ERROR, UNAUTHENTICATED...) read as everywhere else.
 */
export function describePasskeyError(
  error: OtpgateError | PasskeyError,
  ceremony: PasskeyCeremony,
): { text: string; effect: ErrorEffect } {
  if (isPasskeyError(error)) return { text: browserFailure(error, ceremony), effect: 'stay' };
  const text = ceremony === 'sign-in' ? signInRefusal(error) : registrationRefusal(error);
  // A refused sign-in or an expired registration leaves the user where they are, with a way on.
  return text === undefined ? describeError(error) : { text, effect: 'stay' };
}

/** Why the passkey buttons are off (see passkey-support.ts), as a sentence under them. */
export function passkeyUnavailableText(
  reason: 'unsupported' | 'ip-address',
  ceremony: PasskeyCeremony,
  suggestion?: string,
): string {
  if (reason === 'unsupported') {
    return ceremony === 'sign-in'
      ? "This browser can't use passkeys, so sign in with a code."
      : "This browser can't use passkeys.";
  }
  return suggestion === undefined
    ? "Passkeys need the site's name in the address bar, not an IP address."
    : `Passkeys need the site's name in the address bar, not an IP address: open ${suggestion}.`;
}

/** "Added 4 Dec 2026, 18:40": when a passkey was registered, in the reader's locale and time zone. */
export function passkeyAddedText(createdAt: Date, locale?: string, timeZone?: string): string {
  const format = new Intl.DateTimeFormat(locale, {
    dateStyle: 'medium',
    timeStyle: 'short',
    ...(timeZone !== undefined && { timeZone }),
  });
  return `Added ${format.format(createdAt)}`;
}
