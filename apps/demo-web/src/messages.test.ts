import { OTPGATE_ERROR_CODES, OtpgateError, PASSKEY_ERROR_CODES, PasskeyError } from '@otpgate/client';
import { describe, expect, it } from 'vitest';
import {
  describeError,
  describePasskeyError,
  formatWait,
  PASSKEY_REFUSED,
  passkeyAddedText,
  passkeyUnavailableText,
} from './messages.js';

describe('messages', () => {
  it.each([...OTPGATE_ERROR_CODES, 'NETWORK_ERROR' as const])('%s has a message of its own', (code) => {
    const { text } = describeError(new OtpgateError(code, 'gateway text'));
    expect(text).not.toBe('gateway text');
    expect(text).toMatch(/\.$/);
  });

  it('CODE_MISMATCH counts the attempts left', () => {
    const text = (attemptsRemaining: number) =>
      describeError(new OtpgateError('CODE_MISMATCH', '', { attemptsRemaining })).text;
    expect(text(2)).toBe("That code isn't right. You have 2 attempts left.");
    expect(text(1)).toBe("That code isn't right. You have 1 attempt left.");
    expect(text(0)).toMatch(/last try/);
  });

  it('waits are said in words and rounded up', () => {
    expect(describeError(new OtpgateError('RATE_LIMITED', '', { retryAfterSeconds: 25 })).text).toBe(
      'Too many requests. Try again in 25 seconds.',
    );
    expect(formatWait(1)).toBe('1 second');
    expect(formatWait(61)).toBe('2 minutes');
    expect(formatWait(3600)).toBe('1 hour');
  });

  it('expired handles and spent budgets send the user back to the email form', () => {
    expect(describeError(new OtpgateError('SESSION_EXPIRED', '')).effect).toBe('restart');
    expect(describeError(new OtpgateError('TOO_MANY_ATTEMPTS', '')).effect).toBe('restart');
    expect(describeError(new OtpgateError('CODE_MISMATCH', '')).effect).toBe('stay');
  });
});

describe('passkey messages', () => {
  const ceremonies = ['sign-in', 'registration'] as const;

  it.each(ceremonies.flatMap((ceremony) => PASSKEY_ERROR_CODES.map((code) => [ceremony, code] as const)))(
    '%s: browser failure %s has a sentence of its own',
    (ceremony, code) => {
      const { text, effect } = describePasskeyError(new PasskeyError(code, 'browser text'), ceremony);
      expect(text).not.toBe('browser text');
      expect(text).toMatch(/\.$/);
      expect(effect).toBe('stay');
    },
  );

  it('a cancelled sign-in says so and offers the code', () => {
    const { text } = describePasskeyError(new PasskeyError('PASSKEY_CANCELLED', ''), 'sign-in');
    expect(text).toBe(
      'The passkey sign-in was cancelled or not confirmed. Try again, or use a code instead.',
    );
  });

  it('every refusal of a sign-in reads the same, whatever the gateway knew', () => {
    // CODE_MISMATCH is all the gateway says for a wrong passkey, an address without one and no account.
    const refusals = [
      new OtpgateError('CODE_MISMATCH', 'wrong passkey', { attemptsRemaining: 0 }),
      new OtpgateError('BAD_USER_INPUT', 'other origin', { field: 'credential' }),
    ];
    for (const error of refusals) {
      expect(describePasskeyError(error, 'sign-in')).toEqual({ text: PASSKEY_REFUSED, effect: 'stay' });
    }
    // Not the code screen's "last try. Send a new code.": there is no code here.
    expect(PASSKEY_REFUSED).not.toMatch(/attempt|last try/);
  });

  it('gateway codes without a passkey sentence read as on the code screens', () => {
    const limited = new OtpgateError('RATE_LIMITED', '', { retryAfterSeconds: 25 });
    expect(describePasskeyError(limited, 'sign-in')).toEqual(describeError(limited));
    const ended = new OtpgateError('UNAUTHENTICATED', '');
    expect(describePasskeyError(ended, 'registration')).toEqual({
      text: 'Your session has ended. Sign in again.',
      effect: 'restart',
    });
  });

  it('registration: the per-user limit and an expired registration have their own sentences', () => {
    const full = new OtpgateError('BAD_USER_INPUT', '', { field: 'passkeys' });
    expect(describePasskeyError(full, 'registration').text).toMatch(/Delete one to add another\.$/);
    const late = new OtpgateError('SESSION_EXPIRED', '');
    expect(describePasskeyError(late, 'registration')).toEqual({
      text: 'That took too long. Add the passkey again.',
      effect: 'stay',
    });
    expect(describePasskeyError(new OtpgateError('FORBIDDEN', ''), 'sign-in').text).toMatch(
      /webAuthnOrigins/,
    );
  });

  it('says why passkeys are off, with the address to open when there is one', () => {
    expect(passkeyUnavailableText('unsupported', 'sign-in')).toBe(
      "This browser can't use passkeys, so sign in with a code.",
    );
    expect(passkeyUnavailableText('ip-address', 'sign-in', 'http://localhost:4001')).toBe(
      "Passkeys need the site's name in the address bar, not an IP address: open http://localhost:4001.",
    );
    expect(passkeyUnavailableText('ip-address', 'registration')).toMatch(/not an IP address\.$/);
  });

  it('names when a passkey was added, in the given locale and time zone', () => {
    const createdAt = new Date('2026-12-04T18:40:12Z');
    expect(passkeyAddedText(createdAt, 'en-GB', 'UTC')).toBe('Added 4 Dec 2026, 18:40');
    expect(passkeyAddedText(createdAt, 'en-GB', 'Asia/Tokyo')).toBe('Added 5 Dec 2026, 03:40');
  });
});
