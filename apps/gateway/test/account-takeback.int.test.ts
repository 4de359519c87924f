import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../src/testing.js';
import { CONFIRM_SIGN_UP, SIGN_UP, START_SIGN_IN } from './operations.js';
import { stepAs } from './step-as.js';

// Issue 11, items 2 and 10, over real HTTP with the default limits (one code per address per 30 s):
// an address someone else signed up and never confirmed can still be taken by its owner, and a
// USER_EXISTS answer does not stand in the way of the sign-in it suggests.

const ATTACKER = '198.51.100.66';
const OWNER = '203.0.113.10';
let gw: TestGateway;
let seq = 0;
const address = (tag: string) => `${tag}.${process.pid}.${++seq}@takeback.example`;

beforeAll(async () => {
  gw = await startTestGateway({ trustProxy: ['127.0.0.1/32'] });
});
afterAll(async () => {
  await gw?.close();
});

const step = (query: string, input: Record<string, unknown>, ip: string) => stepAs(gw, query, input, ip);

describe('a squatted address', () => {
  it('signUp by the owner sends the confirmation code again, and the owner gets in with it', async () => {
    const email = address('squat-signup');
    const squat = await step(SIGN_UP, { email }, ATTACKER);
    expect(squat.step?.nextStep).toBe('CONFIRM_SIGN_UP');
    gw.clock.advance(30_000);

    const owner = await step(SIGN_UP, { email }, OWNER);
    expect(owner.error).toBeUndefined();
    expect(owner.step?.nextStep).toBe('CONFIRM_SIGN_UP');
    expect(owner.step?.challenge?.codeLength).toBe(6);
    const codes = gw.emulator.messages(email);
    expect(codes.map((message) => message.kind)).toEqual(['SIGN_UP', 'SIGN_UP']);

    const done = await step(
      CONFIRM_SIGN_UP,
      { handle: owner.step?.challenge?.handle, code: gw.lastCode(email) },
      OWNER,
    );
    expect(done.error).toBeUndefined();
    expect(done.step?.nextStep).toBe('DONE');
    // The squatter's handle and old code are worth nothing now.
    const stale = await step(
      CONFIRM_SIGN_UP,
      { handle: squat.step?.challenge?.handle, code: codes[1]?.code },
      ATTACKER,
    );
    expect(stale.error?.extensions?.code).toMatch(/SESSION_EXPIRED|CODE_MISMATCH/);
  });

  it('startSignIn by the owner sends the confirmation code instead of nothing', async () => {
    const email = address('squat-signin');
    await step(SIGN_UP, { email }, ATTACKER);
    gw.clock.advance(30_000);

    const owner = await step(START_SIGN_IN, { email }, OWNER);
    expect(owner.step?.nextStep).toBe('CONFIRM_SIGN_UP');
    expect(gw.emulator.messages(email)).toHaveLength(2);
    const done = await step(
      CONFIRM_SIGN_UP,
      { handle: owner.step?.challenge?.handle, code: gw.lastCode(email) },
      OWNER,
    );
    expect(done.step?.nextStep).toBe('DONE');
  });
});

describe('USER_EXISTS', () => {
  it('does not spend the send that the suggested sign-in needs: startSignIn works at once', async () => {
    const email = address('exists');
    const up = await step(SIGN_UP, { email }, OWNER);
    await step(CONFIRM_SIGN_UP, { handle: up.step?.challenge?.handle, code: gw.lastCode(email) }, OWNER);
    gw.clock.advance(30_000);

    const again = await step(SIGN_UP, { email }, OWNER);
    expect(again.error?.extensions?.code).toBe('USER_EXISTS');
    // No clock move: the refused signUp sent nothing, so the address's 30-second slot is still free.
    const signIn = await step(START_SIGN_IN, { email }, OWNER);
    expect(signIn.error).toBeUndefined();
    expect(signIn.step?.nextStep).toBe('CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
    expect(gw.emulator.messages(email).filter((message) => message.kind === 'SIGN_IN')).toHaveLength(1);
  });
});
