import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../src/testing.js';
import { CONFIRM_SIGN_UP, SIGN_UP, START_SIGN_IN, VERIFY_OTP } from './operations.js';
import { stepAs } from './step-as.js';

// Issue 11, item 5, over real HTTP with the default limits: the review got 8 codes and 20 checked
// wrong codes out of one account by alternating its email and phone number. Once a sign-in has told
// the gateway that both name one account, they share the account's send and wrong-code budgets.

const ATTACKER = '198.51.100.77';
const OWNER = '203.0.113.20';
const SEND_WINDOW_MS = 30_000;
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({ trustProxy: ['127.0.0.1/32'] });
});
afterAll(async () => {
  await gw?.close();
});

const step = (query: string, input: Record<string, unknown>, ip: string) => stepAs(gw, query, input, ip);

describe('an account reached through its email and its phone number', () => {
  it('gives one budget of codes and of wrong codes, not one per address', async () => {
    const email = `owner.${process.pid}@accounts.example`;
    const phoneNumber = `+1555${String(process.pid % 10_000_000).padStart(7, '0')}`;
    // The owner signs up (proving the email) and later signs in by SMS (proving the phone).
    const up = await step(SIGN_UP, { email, phoneNumber }, OWNER);
    const confirmed = await step(
      CONFIRM_SIGN_UP,
      { handle: up.step?.challenge?.handle, code: gw.lastCode(email) },
      OWNER,
    );
    expect(confirmed.step?.nextStep).toBe('DONE');
    gw.clock.advance(SEND_WINDOW_MS);
    const bySms = await step(START_SIGN_IN, { phoneNumber, channel: 'SMS' }, OWNER);
    const signedIn = await step(
      VERIFY_OTP,
      { handle: bySms.step?.challenge?.handle, code: gw.lastCode(phoneNumber) },
      OWNER,
    );
    expect(signedIn.step?.nextStep).toBe('DONE');

    // The attacker alternates the two addresses, one request per send window, for 10 minutes, and
    // tries every code it is sent to the end (3 wrong codes per handle).
    let codes = 0;
    const refusals = new Set<string>();
    const answers: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      gw.clock.advance(SEND_WINDOW_MS);
      const input = i % 2 === 0 ? { email } : { phoneNumber, channel: 'SMS' };
      const started = await step(START_SIGN_IN, input, ATTACKER);
      const handle = started.step?.challenge?.handle;
      if (handle === undefined) {
        refusals.add(`${started.error?.extensions?.code}/${started.error?.extensions?.scope}`);
        continue;
      }
      codes += 1;
      for (let j = 0; j < 3; j += 1) {
        const verified = await step(VERIFY_OTP, { handle, code: '00000000' }, ATTACKER);
        answers.push(String(verified.error?.extensions?.code));
      }
    }
    // 5 codes an hour for the account (the default sendPerDestination), not 5 per address.
    expect(codes).toBe(5);
    expect(refusals).toEqual(new Set(['RATE_LIMITED/destination']));
    // 10 wrong codes checked for the account from this IP (wrongCodesPerDestination), not 10 per
    // address (nor 15, the handles' own 3 each); the rest refused before Cognito saw them.
    expect(
      answers.filter((code) => code === 'CODE_MISMATCH'),
      answers.join(' '),
    ).toHaveLength(10);
    expect(answers.slice(10)).toEqual(Array(5).fill('TOO_MANY_ATTEMPTS'));
  });
});
