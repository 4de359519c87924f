import { describe, expect, it } from 'vitest';
import { startTestGateway } from '../src/testing.js';
import { CONFIRM_SIGN_UP, SIGN_UP, START_SIGN_IN, VERIFY_OTP } from './operations.js';
import { stepAs } from './step-as.js';

// Issue 11, items 1 and 6, over real HTTP: budgets a client cannot turn against everyone by flooding
// from one network, nor multiply by picking another profile in its header.

let seq = 0;
const address = (tag: string) => `${tag}.${process.pid}.${++seq}@budgets.example`;

const step = stepAs;

describe('a flood from a few IPv6 networks', () => {
  it('cannot spend the profile budget for a user from another network', async () => {
    const events: string[] = [];
    await using gw = await startTestGateway({
      trustProxy: ['127.0.0.1/32'],
      logger: {
        level: 'warn',
        ...Object.fromEntries(
          ['trace', 'debug', 'info', 'warn', 'error', 'fatal'].map((level) => [
            level,
            // The gateway logs an engine event as pino's message: (fields, event).
            (_fields: unknown, message?: unknown) => {
              if (typeof message === 'string') events.push(message);
            },
          ]),
        ),
        child() {
          return this;
        },
        silent: () => undefined,
      } as never,
      profiles: {
        default: {
          limits: {
            sendPerProfile: [{ points: 60, durationSeconds: 3600 }],
            sendPerIpv6Slash48: [{ points: 30, durationSeconds: 3600 }],
          },
        },
      },
    });
    // Three attacking /48s, each rotating through its /64s, 40 requests each to fresh addresses.
    const outcomes: string[] = [];
    for (const network of ['2001:db8:bad1', '2001:db8:bad2', '2001:db8:bad3']) {
      for (let i = 0; i < 40; i++) {
        const ip = `${network}:${(i % 56).toString(16)}::1`;
        const { step: s, error } = await step(gw, START_SIGN_IN, { email: address('flood') }, ip);
        outcomes.push(s?.nextStep ?? `${error?.extensions?.code}:${error?.extensions?.scope}`);
      }
    }
    const sent = outcomes.filter((outcome) => outcome.startsWith('CONFIRM_SIGN_IN')).length;
    // Each /48 is held to its own budget, and the profile's general share runs out: the rest is shed.
    expect(sent).toBeLessThanOrEqual(60);
    expect(outcomes.filter((outcome) => outcome === 'RATE_LIMITED:ip').length).toBeGreaterThan(0);
    expect(outcomes).toContain('RATE_LIMITED:profile');

    // A real user from another network, whose IP and address are clean, still gets a code.
    const user = await step(gw, START_SIGN_IN, { email: address('real') }, '2001:db8:600d:1::42');
    expect(user.error).toBeUndefined();
    expect(user.step?.nextStep).toBe('CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
    expect(events).toContain('limits.profile_shedding');
  });
});

describe('a profile picked by header', () => {
  it('does not buy a second destination budget: sends and wrong codes hold across profiles', async () => {
    await using gw = await startTestGateway({
      trustProxy: ['127.0.0.1/32'],
      profiles: {
        default: {
          limits: {
            sendPerDestination: [{ points: 1, durationSeconds: 30 }],
            wrongCodesPerDestination: [{ points: 2, durationSeconds: 3600 }],
          },
        },
        lax: {
          limits: {
            sendPerDestination: [{ points: 1, durationSeconds: 10 }],
            wrongCodesPerDestination: [{ points: 2, durationSeconds: 600 }],
          },
        },
      },
    });
    const ip = '203.0.113.20';
    // An account on the default profile's pool; both profiles' pools are separate, but the address
    // (and so the destination budget) is the same.
    const email = address('two-profiles');
    const up = await step(gw, SIGN_UP, { email }, ip);
    await step(gw, CONFIRM_SIGN_UP, { handle: up.step?.challenge?.handle, code: gw.lastCode(email) }, ip);
    gw.clock.advance(30_000);

    await step(gw, START_SIGN_IN, { email }, ip);
    const viaLax = await step(gw, START_SIGN_IN, { email }, ip, 'lax');
    expect(viaLax.error?.extensions).toMatchObject({ code: 'RATE_LIMITED', scope: 'destination' });

    gw.clock.advance(30_000);
    const a = await step(gw, START_SIGN_IN, { email }, ip);
    for (let i = 0; i < 2; i++) {
      const wrong = await step(gw, VERIFY_OTP, { handle: a.step?.challenge?.handle, code: '00000000' }, ip);
      expect(wrong.error?.extensions?.code).toBe('CODE_MISMATCH');
    }
    gw.clock.advance(30_000);
    const b = await step(gw, START_SIGN_IN, { email }, ip, 'lax');
    expect(b.step?.nextStep).toBe('CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
    const third = await step(
      gw,
      VERIFY_OTP,
      { handle: b.step?.challenge?.handle, code: '00000000' },
      ip,
      'lax',
    );
    // The default profile's hourly rule, counted on the shared counter, decides the wait.
    expect(third.error?.extensions?.code).toBe('TOO_MANY_ATTEMPTS');
    expect(third.error?.extensions?.retryAfterSeconds).toBeGreaterThan(600);
  });
});
