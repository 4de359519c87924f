import { ManualClock, startEmulator } from '@otpgate/cognito-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../src/testing.js';
import { CONFIRM_SIGN_UP, SIGN_UP, type StepData, TEST_LIMITS, VERIFY_OTP } from './operations.js';

// docs/API.md: confirmSignUp signs the user in with the Session Cognito returns; when that automatic
// sign-in can no longer succeed (the Session window has passed), the gateway starts a normal sign-in and
// answers CONFIRM_SIGN_IN_WITH_EMAIL_CODE with a new challenge. Over HTTP, with one ManualClock for the
// emulator, the engine and the store, so the window passes without waiting.
//
// What real Cognito does when SignUp's Session has expired before confirmation is not settled
// (docs/COGNITO.md, "The emulator's choices"): the transcript's ConfirmSignUp answer starts like
// SignUp's Session ("AYABeLIBKr5g..."), which hints that Cognito hands back SignUp's own Session,
// expired by then. The emulator does that by default (`autoSignInWindowFrom: 'sign-up'`) and can issue
// a fresh window instead ('confirmation'). The engine depends on neither: it tries the automatic
// sign-in and falls back when Cognito refuses it. Both alternatives are pinned below.

/** The pools' AuthSessionValidity (the emulator's default, 3 minutes), plus a margin. */
const PAST_SESSION_WINDOW_MS = 3 * 60_000 + 10_000;

let gw: TestGateway;
let seq = 0;
const address = (tag: string) => `${tag}.${process.pid}.${++seq}@fallback.example`;

beforeAll(async () => {
  gw = await startTestGateway({ profiles: { default: { limits: TEST_LIMITS } } });
});
afterAll(async () => {
  await gw?.close();
});

async function step(query: string, input: Record<string, unknown>) {
  const response = await gw.graphql<Record<string, StepData>>(query, { input });
  const data = response.body.data ? Object.values(response.body.data)[0] : undefined;
  return { status: response.status, step: data, extensions: response.body.errors?.[0]?.extensions };
}

/** Calls the emulator received per operation while `run` ran. */
async function counting<T>(run: () => Promise<T>): Promise<{ result: T; calls: Record<string, number> }> {
  const before = gw.emulator.calls();
  const result = await run();
  const after = gw.emulator.calls();
  const calls: Record<string, number> = {};
  for (const [operation, count] of Object.entries(after)) {
    const delta = count - (before[operation] ?? 0);
    if (delta > 0) calls[operation] = delta;
  }
  return { result, calls };
}

/** The fallback's answer, then the sign-in finished with the new code: DONE. */
async function expectFallbackThenDone(
  email: string,
  signUpHandle: string | undefined,
  fallback: Awaited<ReturnType<typeof step>>,
) {
  expect(fallback.extensions).toBeUndefined();
  expect(fallback.step).toMatchObject({
    nextStep: 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE',
    challenge: { codeLength: 8, delivery: { medium: 'EMAIL' } },
    tokens: null,
  });
  const handle = fallback.step?.challenge?.handle;
  expect(handle).not.toBe(signUpHandle);
  expect(Date.parse(fallback.step?.challenge?.expiresAt ?? '')).toBeGreaterThan(gw.clock.now());
  const mail = gw.emulator.messages(email)[0];
  expect(mail?.kind).toBe('SIGN_IN');
  const done = await step(VERIFY_OTP, { handle, code: mail?.code });
  expect(done.step).toMatchObject({ nextStep: 'DONE', tokens: { tokenType: 'Bearer' } });
  // The sign-up handle was consumed when the sign-in handle was issued.
  const old = await step(CONFIRM_SIGN_UP, { handle: signUpHandle, code: '123456' });
  expect(old.extensions?.code).toBe('SESSION_EXPIRED');
}

describe('confirmSignUp after the Cognito Session window', () => {
  it('automatic sign-in failed once (Cognito down), the user retries after the window: a new sign-in code, then DONE', async () => {
    const email = address('retry-late');
    const up = await step(SIGN_UP, { email });
    const signUpHandle = up.step?.challenge?.handle;
    const code = gw.lastCode(email);

    // The confirmation succeeds, the automatic sign-in does not: the handle is kept, marked confirmed.
    gw.emulator.injectFault({ operation: 'InitiateAuth', error: 'InternalErrorException', count: 1 });
    const failed = await counting(() => step(CONFIRM_SIGN_UP, { handle: signUpHandle, code }));
    expect(failed.result.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryAfterSeconds: 1 });
    expect(failed.calls).toEqual({ ConfirmSignUp: 1, InitiateAuth: 1 });

    gw.clock.advance(PAST_SESSION_WINDOW_MS);
    // ConfirmSignUp's Session is now past its window: no second confirmation, no doomed automatic
    // sign-in, straight to a normal sign-in (one InitiateAuth, which sends the code).
    const fallback = await counting(() => step(CONFIRM_SIGN_UP, { handle: signUpHandle, code }));
    expect(fallback.calls).toEqual({ InitiateAuth: 1 });
    await expectFallbackThenDone(email, signUpHandle, fallback.result);
  });

  it("SignUp's Session expired before confirmation and Cognito refuses the automatic sign-in: a new sign-in code, then DONE", async () => {
    const email = address('late-refused');
    const up = await step(SIGN_UP, { email });
    const signUpHandle = up.step?.challenge?.handle;
    gw.clock.advance(PAST_SESSION_WINDOW_MS);
    // The transcript's alternative (the emulator's default): ConfirmSignUp answers with SignUp's
    // Session, expired by now, and the automatic sign-in gets Cognito's expired-session answer.
    const fallback = await counting(() =>
      step(CONFIRM_SIGN_UP, { handle: signUpHandle, code: gw.lastCode(email) }),
    );
    // SignUp's expired Session is not passed to ConfirmSignUp (it would only be refused).
    expect(fallback.calls).toEqual({ ConfirmSignUp: 1, InitiateAuth: 2 });
    await expectFallbackThenDone(email, signUpHandle, fallback.result);
  });

  it("SignUp's Session expired before confirmation and Cognito issues a fresh Session: DONE in one code", async () => {
    const clock = new ManualClock(Date.now());
    await using emulator = await startEmulator({
      clock,
      behaviour: { autoSignInWindowFrom: 'confirmation' },
    });
    await using fresh = await startTestGateway({
      emulator,
      clock,
      profiles: { default: { limits: TEST_LIMITS } },
    });
    const email = address('late-fresh');
    const up = await fresh.graphql<Record<string, StepData>>(SIGN_UP, { input: { email } });
    clock.advance(PAST_SESSION_WINDOW_MS);
    emulator.resetCalls();
    const done = await fresh.graphql<Record<string, StepData>>(CONFIRM_SIGN_UP, {
      input: { handle: up.body.data?.signUp?.challenge?.handle, code: fresh.lastCode(email) },
    });
    expect(done.body.data?.confirmSignUp).toMatchObject({
      nextStep: 'DONE',
      tokens: { tokenType: 'Bearer' },
    });
    // No fallback when it is not needed: the user is not asked for a second code.
    expect(emulator.calls()).toEqual({ ConfirmSignUp: 1, InitiateAuth: 1 });
    expect(emulator.messages(email)).toHaveLength(1);
  });

  it('the fallback sign-in cannot be started (Cognito throttles it): the confirmation is kept and a later call resumes with the sign-in', async () => {
    const email = address('resume');
    const up = await step(SIGN_UP, { email });
    const signUpHandle = up.step?.challenge?.handle;
    const code = gw.lastCode(email);
    gw.emulator.injectFault({
      operation: 'InitiateAuth',
      error: 'NotAuthorizedException',
      message: 'Invalid session for the user, session is expired.',
      count: 1,
    });
    gw.emulator.injectFault({ operation: 'InitiateAuth', error: 'TooManyRequestsException', count: 1 });
    const throttled = await counting(() => step(CONFIRM_SIGN_UP, { handle: signUpHandle, code }));
    expect(throttled.result.extensions).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryAfterSeconds: 1 });
    expect(throttled.calls).toEqual({ ConfirmSignUp: 1, InitiateAuth: 2 });

    // Regression: the resumed call neither confirms again (the code is spent) nor offers Cognito the
    // Session it already refused; it goes straight to the sign-in.
    const resumed = await counting(() => step(CONFIRM_SIGN_UP, { handle: signUpHandle, code }));
    expect(resumed.calls).toEqual({ InitiateAuth: 1 });
    await expectFallbackThenDone(email, signUpHandle, resumed.result);
  });
});
