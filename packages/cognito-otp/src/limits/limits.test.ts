import { describe, expect, it } from 'vitest';
import { OtpConfigError } from '../errors.js';
import { DEFAULT_LIMITS, INVALID_IP_KEY, ipKey, ipv6Network, validateLimits } from './limits.js';

describe('ipKey', () => {
  it.each([
    ['IPv4 as is', '203.0.113.7', '203.0.113.7'],
    ['IPv4 with surrounding spaces', ' 203.0.113.7 ', '203.0.113.7'],
    ['IPv4-mapped IPv6 as its IPv4', '::ffff:203.0.113.7', '203.0.113.7'],
    ['IPv4-mapped IPv6 in hex', '::ffff:cb00:7107', '203.0.113.7'],
    ['IPv4-mapped IPv6, upper case', '::FFFF:203.0.113.7', '203.0.113.7'],
    ['IPv6 by /64', '2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['IPv6 compressed', '2001:db8::1', '2001:db8:0:0::/64'],
    ['IPv6 with leading zeros and upper case', '2001:0DB8:0000:0002::abcd', '2001:db8:0:2::/64'],
    ['IPv6 loopback', '::1', '0:0:0:0::/64'],
    ['IPv6 unspecified', '::', '0:0:0:0::/64'],
    ['IPv6 with zone id', 'fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['IPv6 in brackets', '[2001:db8:1:2::9]', '2001:db8:1:2::/64'],
    ['IPv6 with embedded IPv4 (not mapped)', '64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
  ])('%s', (_name, input, expected) => {
    expect(ipKey(input)).toBe(expected);
  });

  it('puts every address of one /64 in one bucket and neighbouring /64s in others', () => {
    expect(ipKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(ipKey('2001:db8:1:2::1'));
    expect(ipKey('2001:db8:1:3::1')).not.toBe(ipKey('2001:db8:1:2::1'));
  });

  it.each([
    '',
    'localhost',
    '256.1.1.1',
    '1.2.3',
    '01.2.3.4',
    '1.2.3.4:80',
    '2001:db8:::1',
    '2001:db8::1::2',
    '12345::1',
    'g::1',
    ':::',
    '[::1',
  ])('maps garbage %j to the invalid bucket', (input) => {
    expect(ipKey(input)).toBe(INVALID_IP_KEY);
  });

  it('never throws, whatever it is given', () => {
    for (const value of [undefined, null, 42, {}, [], Symbol('x')]) {
      expect(ipKey(value as unknown as string)).toBe(INVALID_IP_KEY);
    }
  });
});

function configError(run: () => unknown): OtpConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof OtpConfigError) return error;
    throw error;
  }
  throw new Error('expected an OtpConfigError');
}

describe('validateLimits', () => {
  it('returns the defaults for undefined and {}, as a copy', () => {
    const config = validateLimits(undefined);
    expect(config).toEqual(DEFAULT_LIMITS);
    expect(validateLimits({})).toEqual(DEFAULT_LIMITS);
    config.sendPerIp.push({ points: 1, durationSeconds: 1 });
    expect(DEFAULT_LIMITS.sendPerIp).toHaveLength(1);
  });

  it('has the defaults of docs/ARCHITECTURE.md', () => {
    expect(DEFAULT_LIMITS).toEqual({
      sendPerDestination: [
        { points: 1, durationSeconds: 30 },
        { points: 5, durationSeconds: 3600 },
        { points: 10, durationSeconds: 86400 },
      ],
      sendPerIp: [{ points: 20, durationSeconds: 3600 }],
      sendPerIpv6Slash56: [{ points: 40, durationSeconds: 3600 }],
      sendPerIpv6Slash48: [{ points: 100, durationSeconds: 3600 }],
      sendPerProfile: [{ points: 1000, durationSeconds: 3600 }],
      wrongCodesPerHandle: 3,
      wrongCodesPerDestination: [{ points: 10, durationSeconds: 3600 }],
      wrongCodesPerIp: [{ points: 100, durationSeconds: 86400 }],
      requestsPerIp: [{ points: 300, durationSeconds: 60 }],
    });
    expect(Object.isFrozen(DEFAULT_LIMITS.sendPerDestination[0])).toBe(true);
  });

  it('replaces a whole list and keeps the others', () => {
    const config = validateLimits({
      sendPerIp: [{ points: 5, durationSeconds: 60 }],
      wrongCodesPerHandle: 5,
    });
    expect(config.sendPerIp).toEqual([{ points: 5, durationSeconds: 60 }]);
    expect(config.wrongCodesPerHandle).toBe(5);
    expect(config.sendPerDestination).toEqual(DEFAULT_LIMITS.sendPerDestination);
  });

  it.each([
    ['negative points', { sendPerIp: [{ points: -1, durationSeconds: 60 }] }, 'limits.sendPerIp[0].points'],
    ['zero points', { sendPerIp: [{ points: 0, durationSeconds: 60 }] }, 'limits.sendPerIp[0].points'],
    [
      'fractional points',
      { sendPerIp: [{ points: 1.5, durationSeconds: 60 }] },
      'limits.sendPerIp[0].points',
    ],
    [
      'NaN points',
      { sendPerIp: [{ points: Number.NaN, durationSeconds: 60 }] },
      'limits.sendPerIp[0].points',
    ],
    ['string points', { sendPerIp: [{ points: '5', durationSeconds: 60 }] }, 'limits.sendPerIp[0].points'],
    [
      'missing duration',
      { requestsPerIp: [{ points: 1, durationSeconds: 60 }, { points: 5 }] },
      'limits.requestsPerIp[1].durationSeconds',
    ],
    [
      'infinite duration',
      { sendPerProfile: [{ points: 1, durationSeconds: Number.POSITIVE_INFINITY }] },
      'limits.sendPerProfile[0].durationSeconds',
    ],
    [
      'duplicate window',
      {
        sendPerDestination: [
          { points: 1, durationSeconds: 30 },
          { points: 2, durationSeconds: 30 },
        ],
      },
      'limits.sendPerDestination[1].durationSeconds',
    ],
    [
      'unknown rule key',
      { wrongCodesPerIp: [{ points: 1, durationSeconds: 60, burst: 2 }] },
      'limits.wrongCodesPerIp[0].burst',
    ],
    ['rule not an object', { wrongCodesPerIp: [5] }, 'limits.wrongCodesPerIp[0]'],
    ['empty list', { sendPerIp: [] }, 'limits.sendPerIp'],
    ['list not an array', { sendPerIp: { points: 1, durationSeconds: 1 } }, 'limits.sendPerIp'],
    ['unknown limit (typo)', { sendPerIP: [{ points: 1, durationSeconds: 1 }] }, 'limits.sendPerIP'],
    ['zero wrong codes per handle', { wrongCodesPerHandle: 0 }, 'limits.wrongCodesPerHandle'],
  ])('names the bad value: %s', (_name, partial, option) => {
    const error = configError(() => validateLimits(partial));
    expect(error.option).toBe(option);
    expect(error.message).toContain(option);
  });

  it('refuses a non-object and uses the given option path', () => {
    expect(configError(() => validateLimits(5)).option).toBe('limits');
    expect(configError(() => validateLimits([])).option).toBe('limits');
    expect(
      configError(() =>
        validateLimits({ sendPerIp: [{ points: 0, durationSeconds: 1 }] }, 'profiles.shop.limits'),
      ).option,
    ).toBe('profiles.shop.limits.sendPerIp[0].points');
  });
});

describe('ipv6Network', () => {
  it.each([
    ['2001:db8:1:2::1', 48, '2001:db8:1::/48'],
    ['2001:db8:1:2::1', 56, '2001:db8:1:0::/56'],
    ['2001:db8:1:2ff::1', 56, '2001:db8:1:200::/56'],
    ['[2001:db8:ab:cdef::1%eth0]', 48, '2001:db8:ab::/48'],
  ] as const)('%s /%d is %s', (ip, bits, expected) => {
    expect(ipv6Network(ip, bits)).toBe(expected);
  });

  it('groups every /64 of one network together, and no IPv4 address or garbage', () => {
    expect(ipv6Network('2001:db8:1:ff::1', 48)).toBe(ipv6Network('2001:db8:1:1::1', 48));
    expect(ipv6Network('2001:db8:2:1::1', 48)).not.toBe(ipv6Network('2001:db8:1:1::1', 48));
    expect(ipv6Network('203.0.113.7', 48)).toBeUndefined();
    expect(ipv6Network('::ffff:203.0.113.7', 56)).toBeUndefined();
    expect(ipv6Network('nonsense', 48)).toBeUndefined();
  });
});
