import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../src/testing.js';
import { CONFIRM_SIGN_UP, SIGN_UP, START_SIGN_IN, VERIFY_OTP } from './operations.js';
import { stepAs } from './step-as.js';

// Issue 11, items 3 and 4, over real HTTP: what startSignIn answers must not tell a registered
// identifier from an unknown one, whatever channel is asked for and however many wrong codes a
// stranger has tried; and a stranger's wrong codes do not lock the owner out of a fresh code.

let gw: TestGateway;
let seq = 0;
const address = (tag: string) => `${tag}.${process.pid}.${++seq}@oracles.example`;
const number = () => `+1555${String(process.pid % 1000).padStart(3, '0')}${String(++seq).padStart(4, '0')}`;

beforeAll(async () => {
  gw = await startTestGateway({
    trustProxy: ['127.0.0.1/32'],
    profiles: { default: { limits: { sendPerDestination: [{ points: 100, durationSeconds: 30 }] } } },
  });
});
afterAll(async () => {
  await gw?.close();
});

const step = (query: string, input: Record<string, unknown>, ip = '203.0.113.5') =>
  stepAs(gw, query, input, ip);

/** What an observer compares: the next step and the mask's shape (letters and digits blurred). */
async function shape(input: Record<string, unknown>, ip?: string): Promise<string> {
  const { step: s, error } = await step(START_SIGN_IN, input, ip);
  if (error) return `error ${error.extensions?.code}`;
  return `${s?.nextStep} ${s?.challenge?.delivery.destination.replace(/[a-z0-9]/gi, 'x')}`;
}

async function registered(email: string, phoneNumber?: string): Promise<void> {
  const up = await step(SIGN_UP, { email, ...(phoneNumber && { phoneNumber }) });
  const done = await step(CONFIRM_SIGN_UP, { handle: up.step?.challenge?.handle, code: gw.lastCode(email) });
  expect(done.step?.nextStep).toBe('DONE');
}

describe('channel and identifier oracles', () => {
  it('known and unknown identifiers answer alike on every channel', async () => {
    const emailOnly = address('only');
    await registered(emailOnly);
    const both = address('both');
    const phone = number();
    await registered(both, phone);
    for (const channel of ['EMAIL', 'SMS']) {
      const unknown = await shape({ email: address('nobody'), channel });
      expect(await shape({ email: emailOnly, channel })).toBe(unknown);
      expect(await shape({ email: both, channel })).toBe(unknown);
      const unknownNumber = await shape({ phoneNumber: number(), channel });
      expect(await shape({ phoneNumber: phone, channel })).toBe(unknownNumber);
    }
  });
});

describe('the lockout oracle', () => {
  it('after wrong codes from a stranger, a real and an unknown address still answer alike; the owner gets in', async () => {
    const victim = address('victim');
    await registered(victim);
    const stranger = '198.51.100.200';
    // Ten wrong codes on the victim's handles: the destination's budget and Cognito's lockout both trip.
    for (let i = 0; i < 4; i++) {
      const started = await step(START_SIGN_IN, { email: victim }, stranger);
      for (let attempt = 0; attempt < 3 && i * 3 + attempt < 10; attempt++) {
        await step(VERIFY_OTP, { handle: started.step?.challenge?.handle, code: '00000000' }, stranger);
      }
    }
    const unknown = await shape({ email: address('nobody') }, stranger);
    expect(await shape({ email: victim }, stranger)).toBe(unknown);

    // The owner, from their own network, after Cognito's short lockout: a fresh code works.
    gw.clock.advance(60_000);
    const owner = '203.0.113.99';
    const fresh = await step(START_SIGN_IN, { email: victim }, owner);
    expect(fresh.step?.nextStep).toBe('CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
    const signedIn = await step(
      VERIFY_OTP,
      { handle: fresh.step?.challenge?.handle, code: gw.lastCode(victim) },
      owner,
    );
    expect(signedIn.error).toBeUndefined();
    expect(signedIn.step?.nextStep).toBe('DONE');
  });
});
