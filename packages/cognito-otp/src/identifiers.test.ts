import { domainToASCII } from 'node:url';
import { describe, expect, test } from 'vitest';
import {
  asciiDomain,
  CROSS_CHANNEL_MASK,
  identifierKeys,
  maskEmail,
  maskPhone,
  normaliseEmail,
  normalisePhone,
  redrawMask,
} from './identifiers.js';

describe('normaliseEmail', () => {
  test.each([
    ['Yuki@Example.COM', 'yuki@example.com'],
    ['  yuki+shop@example.co.jp ', 'yuki+shop@example.co.jp'],
    ["o'brien.j@mail.example.org", "o'brien.j@mail.example.org"],
    ['user@bücher.example', 'user@xn--bcher-kva.example'],
  ])('%s -> %s', (input, expected) => {
    expect(normaliseEmail(input)).toBe(expected);
  });

  test.each([
    '',
    'yuki',
    'yuki@',
    '@example.com',
    'yuki@example',
    'yu ki@example.com',
    'yuki@@example.com',
    'a@b@example.com',
    '.yuki@example.com',
    'yuki.@example.com',
    'yu..ki@example.com',
    '"quoted"@example.com',
    'yuki@-example.com',
    'yuki@example.c',
    'yuki@example.123',
    `${'a'.repeat(65)}@example.com`,
    `a@${'b'.repeat(250)}.com`,
  ])('refuses %j', (input) => {
    expect(normaliseEmail(input)).toBeUndefined();
  });

  test('refuses non-strings', () => {
    expect(normaliseEmail(undefined)).toBeUndefined();
    expect(normaliseEmail(42)).toBeUndefined();
  });
});

describe('normalisePhone', () => {
  test.each([
    ['+819012345678', '+819012345678'],
    ['+1 (415) 555-0123', '+14155550123'],
    ['+44 20.7946.0958', '+442079460958'],
  ])('%s -> %s', (input, expected) => {
    expect(normalisePhone(input)).toBe(expected);
  });

  test.each([
    '',
    '09012345678',
    '+0123456789',
    '+1234',
    '+1234567890123456',
    '+1415555O123',
    '+1 415 555 0123 ext 4',
    'tel:+14155550123',
  ])('refuses %j', (input) => {
    expect(normalisePhone(input)).toBeUndefined();
  });
});

describe('masks', () => {
  test('Cognito formats', () => {
    expect(maskEmail('yuki@example.com')).toBe('y***@e***');
    expect(maskPhone('+819012345678')).toBe('+********5678');
    expect(maskPhone('+14155550123')).toBe('+*******0123');
  });

  test('Cognito masks are redrawn in the engine format, or refused', () => {
    expect(redrawMask('EMAIL', 'Y***@E***')).toBe('y***@e***');
    expect(redrawMask('EMAIL', 'y***@e***.com')).toBe('y***@e***');
    expect(redrawMask('SMS', '+*******0123')).toBe('+*******0123');
    expect(redrawMask('SMS', '+********5678')).toBe('+********5678');
    expect(redrawMask('SMS', 'garbage')).toBeUndefined();
    expect(redrawMask('EMAIL', '***')).toBeUndefined();
    expect(redrawMask('EMAIL', undefined)).toBeUndefined();
  });
});

describe('identifierKeys', () => {
  const keys = identifierKeys(Buffer.alloc(32, 7));
  const other = identifierKeys(Buffer.alloc(32, 8));
  const email = { kind: 'email', value: 'yuki@example.com' } as const;
  const phone = { kind: 'phone', value: '+819012345678' } as const;

  test('destination keys are keyed, stable and hide the address', () => {
    expect(keys.destinationKey(email)).toBe(keys.destinationKey({ ...email }));
    expect(keys.destinationKey(email)).not.toBe(other.destinationKey(email));
    expect(keys.destinationKey(email)).not.toBe(keys.destinationKey(phone));
    expect(keys.destinationKey(email)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(keys.destinationKey(email)).not.toContain('yuki');
  });

  test('plausible masks: the address itself on its own channel, one stand-in for everyone across channels', () => {
    expect(keys.plausibleMask(email, 'EMAIL')).toBe('y***@e***');
    expect(keys.plausibleMask(phone, 'SMS')).toBe('+********5678');
    expect(keys.plausibleMask(email, 'SMS')).toBe(CROSS_CHANNEL_MASK.SMS);
    expect(keys.plausibleMask(phone, 'EMAIL')).toBe(CROSS_CHANNEL_MASK.EMAIL);
    expect(CROSS_CHANNEL_MASK.SMS).not.toMatch(/[0-9]/);
  });
});

describe('asciiDomain', () => {
  test('equals domainToASCII, on edge cases and on 20,000 random ASCII domains', () => {
    const edges = [
      'example.com',
      '0x7f.1',
      '127.1',
      'a.0x10',
      'x.0',
      'a.com.',
      'a..com',
      '-a.com',
      'xn--zz.com',
    ];
    const alphabet = 'abcx019-.';
    const random = Array.from({ length: 20_000 }, () =>
      Array.from(
        { length: 1 + Math.floor(Math.random() * 16) },
        () => alphabet[Math.floor(Math.random() * alphabet.length)],
      ).join(''),
    );
    for (const domain of [...edges, ...random])
      expect(asciiDomain(domain), domain).toBe(domainToASCII(domain));
    expect(asciiDomain('bücher.example')).toBe('xn--bcher-kva.example');
  });
});
