import { OTPGATE_ERROR_CODES, OtpgateError } from '@otpgate/client';
import { describe, expect, it } from 'vitest';
import { describeError, formatWait } from './messages.js';

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
