import { startTestGateway, type TestGateway } from '@otpgate/gateway/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createMemoryTokenStore,
  createOtpgateClient,
  type OtpgateClient,
  OtpgateError,
} from '../src/index.js';

// The client over real HTTP against the gateway harness (emulator + gateway on free ports). The harness
// clock is manual: `gw.clock.advance` moves every limit and expiry without sleeping.
let gw: TestGateway;
let client: OtpgateClient;

beforeAll(async () => {
  gw = await startTestGateway({ profiles: { default: {}, web: {} } });
  client = createOtpgateClient({ url: `${gw.url}/graphql`, tokenStore: createMemoryTokenStore() });
});
afterAll(() => gw?.close());

/** The rejection of `promise`, which must be an OtpgateError. */
async function failure(promise: Promise<unknown>): Promise<OtpgateError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(OtpgateError);
  return error as OtpgateError;
}

describe('the whole flow over HTTP', () => {
  const email = 'yuki@example.com';

  it('sign up, a wrong code, confirm: DONE with tokens in the store, then me', async () => {
    const step = await client.signUp({ email });
    expect(step.nextStep).toBe('CONFIRM_SIGN_UP');
    if (step.nextStep === 'DONE') throw new Error('unreachable');
    expect(step.challenge.codeLength).toBe(6);
    expect(step.challenge.delivery).toEqual({ medium: 'EMAIL', destination: expect.stringMatching(/\*/) });
    expect(step.challenge.resendAvailableAt).toBeInstanceOf(Date);

    const code = gw.lastCode(email);
    const wrong = code === '000000' ? '111111' : '000000';
    const mismatch = await failure(client.confirmSignUp({ handle: step.challenge.handle, code: wrong }));
    expect(mismatch).toMatchObject({ code: 'CODE_MISMATCH', attemptsRemaining: 2 });

    const done = await client.confirmSignUp({ handle: step.challenge.handle, code });
    expect(done.nextStep).toBe('DONE');
    expect(client.tokenStore?.get()?.accessToken).toBe(done.tokens?.accessToken);
    await expect(client.me()).resolves.toMatchObject({ email, emailVerified: true });
  });

  it('refreshTokens uses the stored refresh token; signOut revokes it and empties the store', async () => {
    const before = client.tokenStore?.get();
    const refreshed = await client.refreshTokens();
    expect(refreshed.nextStep).toBe('DONE');
    expect(client.tokenStore?.get()?.refreshToken).toBe(before?.refreshToken);

    const accessToken = client.tokenStore?.get()?.accessToken as string;
    await expect(client.signOut()).resolves.toBe(true);
    expect(client.tokenStore?.get()).toBeNull();
    await expect(client.me()).resolves.toBeNull();
    expect(await failure(client.me({ accessToken }))).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('sign in: resend before resendAvailableAt is RATE_LIMITED with retryAfterSeconds; after it, a new code', async () => {
    // One send per destination per 30 s by default: the sign-up code was just sent.
    const early = await failure(client.startSignIn({ email }));
    expect(early).toMatchObject({ code: 'RATE_LIMITED', scope: 'destination' });
    expect(early.retryAfterSeconds).toBeGreaterThan(0);
    gw.clock.advance(30_000);

    const step = await client.startSignIn({ email });
    if (step.nextStep !== 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE') throw new Error(`got ${step.nextStep}`);
    expect(step.challenge.codeLength).toBe(8);
    const first = gw.lastCode(email);

    const tooSoon = await failure(client.resendOtp({ handle: step.challenge.handle }));
    expect(tooSoon.code).toBe('RATE_LIMITED');
    expect(tooSoon.retryAfterSeconds).toBe(
      Math.ceil((step.challenge.resendAvailableAt.getTime() - gw.clock.now()) / 1000),
    );

    gw.clock.advance(30_000);
    const resent = await client.resendOtp({ handle: step.challenge.handle });
    expect(resent.challenge?.handle).toBe(step.challenge.handle);
    expect(resent.challenge?.resendAvailableAt.getTime()).toBeGreaterThan(
      step.challenge.resendAvailableAt.getTime(),
    );
    const second = gw.lastCode(email);
    expect(gw.emulator.messages(email).map((m) => m.code)).toContain(first);

    const done = await client.verifyOtp({ handle: step.challenge.handle, code: second });
    expect(done.nextStep).toBe('DONE');
    await expect(client.me()).resolves.toMatchObject({ email });
  });
});

describe('errors carry their contract code', () => {
  it('BAD_USER_INPUT names the field', async () => {
    expect(await failure(client.startSignIn({ email: 'not-an-email' }))).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'email',
    });
  });

  it('USER_EXISTS for a registered address', async () => {
    gw.clock.advance(60_000);
    expect(await failure(client.signUp({ email: 'yuki@example.com' }))).toMatchObject({
      code: 'USER_EXISTS',
    });
  });

  it('SESSION_EXPIRED for a handle the gateway never issued', async () => {
    // Well-formed (43 base64url characters) but unknown.
    const error = await failure(client.verifyOtp({ handle: 'A'.repeat(43), code: '12345678' }));
    expect(error.code).toBe('SESSION_EXPIRED');
  });

  it('FORBIDDEN for an unknown client profile; a known one is served', async () => {
    const stranger = createOtpgateClient({ url: `${gw.url}/graphql`, clientName: 'nobody' });
    expect(await failure(stranger.me())).toMatchObject({ code: 'FORBIDDEN', status: 403 });
    const web = createOtpgateClient({ url: `${gw.url}/graphql`, clientName: 'web' });
    await expect(web.me()).resolves.toBeNull();
  });

  it('a handle is bound to the profile that created it', async () => {
    const web = createOtpgateClient({ url: `${gw.url}/graphql`, clientName: 'web' });
    const step = await web.startSignIn({ email: 'someone@example.com' });
    const error = await failure(
      client.verifyOtp({ handle: step.challenge?.handle as string, code: '12345678' }),
    );
    expect(error.code).toBe('SESSION_EXPIRED');
  });

  it('NETWORK_ERROR when nothing listens', async () => {
    const nowhere = createOtpgateClient({ url: 'http://127.0.0.1:9/graphql' });
    expect(await failure(nowhere.me())).toMatchObject({ code: 'NETWORK_ERROR' });
  });
});
