import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { type GraphQLRequestOptions, startTestGateway, type TestGateway } from '../src/testing.js';
import {
  CONFIRM_SIGN_UP,
  ME,
  REFRESH_TOKENS,
  RESEND_OTP,
  SIGN_OUT,
  SIGN_UP,
  START_SIGN_IN,
  type StepData,
  TEST_LIMITS,
  VERIFY_OTP,
} from './operations.js';

// Every flow over real HTTP: fetch -> gateway -> engine -> the real AWS SDK -> emulator. One gateway
// for the file; each test uses its own addresses. Logs are captured at trace level and checked last.

const SHOP = 'https://shop.example';
/** The end user's IP, as the (trusted) proxy in front reports it. */
const CLIENT_IP = '203.0.113.77';
const logLines: string[] = [];
/** Every secret the tests saw: none may appear in a log line. */
const secrets = new Set<string>();
let gw: TestGateway;
let seq = 0;

const address = (tag: string) => `${tag}.${process.pid}.${++seq}@flows.example`;
const phone = () => `+1555${String(process.pid % 1000).padStart(3, '0')}${String(++seq).padStart(4, '0')}`;

function remember(step: StepData | null | undefined): void {
  if (step?.challenge) secrets.add(step.challenge.handle);
  if (step?.tokens) {
    secrets.add(step.tokens.accessToken);
    secrets.add(step.tokens.idToken);
    if (step.tokens.refreshToken) secrets.add(step.tokens.refreshToken);
  }
}

function codeFor(to: string): string {
  const code = gw.lastCode(to);
  secrets.add(code);
  return code;
}

async function step(query: string, input: Record<string, unknown>, options: GraphQLRequestOptions = {}) {
  const headers = { 'x-forwarded-for': CLIENT_IP, ...options.headers };
  const response = await gw.graphql<Record<string, StepData>>(query, { input }, { ...options, headers });
  const data = response.body.data ? Object.values(response.body.data)[0] : undefined;
  remember(data);
  return { ...response, step: data, error: response.body.errors?.[0] };
}

/** Signs up and confirms: the user is signed in (DONE) in one code. */
async function registered(email: string, extra: Record<string, unknown> = {}, profile?: string) {
  secrets.add(email);
  const options: GraphQLRequestOptions =
    profile === undefined ? {} : { profile, headers: profile === 'web' ? { origin: SHOP } : {} };
  const up = await step(SIGN_UP, { email, ...extra }, options);
  expect(up.error).toBeUndefined();
  const done = await step(
    CONFIRM_SIGN_UP,
    { handle: up.step?.challenge?.handle, code: codeFor(email) },
    options,
  );
  expect(done.error).toBeUndefined();
  return { up, done };
}

beforeAll(async () => {
  gw = await startTestGateway({
    profiles: {
      default: { limits: TEST_LIMITS },
      other: { limits: TEST_LIMITS },
      web: { limits: TEST_LIMITS, tokenDelivery: 'cookie', allowedOrigins: [SHOP] },
    },
    // One proxy hop in front: the gateway believes its X-Forwarded-For.
    trustProxy: 1,
    logger: createLogger({
      level: 'trace',
      destination: { write: (line: string) => void logLines.push(line) },
    }),
  });
});

afterAll(async () => {
  await gw?.close();
});

describe('email flows', () => {
  it('signUp -> CONFIRM_SIGN_UP; confirmSignUp -> DONE with tokens (one code, automatic sign-in)', async () => {
    const email = address('signup');
    const { up, done } = await registered(email);
    expect(up.status).toBe(200);
    expect(up.step).toMatchObject({ nextStep: 'CONFIRM_SIGN_UP', tokens: null });
    const challenge = up.step?.challenge;
    expect(challenge?.codeLength).toBe(6);
    expect(challenge?.delivery.medium).toBe('EMAIL');
    expect(challenge?.delivery.destination).not.toContain(email.split('@')[0]);
    expect(new Date(challenge?.expiresAt ?? '').toISOString()).toBe(challenge?.expiresAt);
    expect(done.step).toMatchObject({ nextStep: 'DONE', challenge: null, tokens: { tokenType: 'Bearer' } });
    expect(done.step?.tokens?.refreshToken).toEqual(expect.any(String));
    expect(done.step?.tokens?.expiresIn).toBeGreaterThan(0);
  });

  it('startSignIn -> wrong code CODE_MISMATCH -> resendOtp keeps the handle -> verifyOtp -> DONE; then me', async () => {
    const email = address('signin');
    await registered(email);
    const start = await step(START_SIGN_IN, { email });
    expect(start.step).toMatchObject({ nextStep: 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE', tokens: null });
    expect(start.step?.challenge?.codeLength).toBe(8);
    const handle = start.step?.challenge?.handle;

    const good = codeFor(email);
    const wrong = await step(VERIFY_OTP, { handle, code: good === '00000000' ? '11111111' : '00000000' });
    expect(wrong.error?.extensions).toMatchObject({
      code: 'CODE_MISMATCH',
      attemptsRemaining: expect.any(Number),
    });

    const early = await step(RESEND_OTP, { handle });
    expect(early.error?.extensions).toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterSeconds: expect.any(Number),
    });
    gw.clock.advance(Date.parse(start.step?.challenge?.resendAvailableAt ?? '') - gw.clock.now() + 1_000);
    const resent = await step(RESEND_OTP, { handle });
    expect(resent.error).toBeUndefined();
    expect(resent.step?.nextStep).toBe('CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
    expect(resent.step?.challenge?.handle).toBe(handle);

    const done = await step(VERIFY_OTP, { handle, code: codeFor(email) });
    expect(done.step?.nextStep).toBe('DONE');
    // The handle is consumed by the step that reaches DONE.
    const again = await step(VERIFY_OTP, { handle, code: gw.lastCode(email) });
    expect(again.error?.extensions?.code).toBe('SESSION_EXPIRED');

    const bearer = { authorization: `Bearer ${done.step?.tokens?.accessToken}` };
    const me = await gw.graphql<{ me: Record<string, unknown> }>(ME, undefined, { headers: bearer });
    expect(me.body.data?.me).toMatchObject({ email, emailVerified: true, sub: expect.any(String) });
    expect((await gw.graphql<{ me: unknown }>(ME)).body.data?.me).toBeNull();
    const forged = await gw.graphql(ME, undefined, { headers: { authorization: 'Bearer a.b.c' } });
    expect(forged.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('startSignIn for an unknown address answers exactly like for a known one', async () => {
    const unknown = address('nobody');
    secrets.add(unknown);
    const start = await step(START_SIGN_IN, { email: unknown });
    expect(start.step?.nextStep).toBe('CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
    expect(start.step?.challenge).toMatchObject({ codeLength: 8, delivery: { medium: 'EMAIL' } });
  });

  it('refreshTokens with the body token; global signOut revokes, and `me` then says UNAUTHENTICATED', async () => {
    const email = address('refresh');
    const { done } = await registered(email);
    const tokens = done.step?.tokens;
    const refreshed = await step(REFRESH_TOKENS, { refreshToken: tokens?.refreshToken });
    expect(refreshed.step).toMatchObject({ nextStep: 'DONE', tokens: { tokenType: 'Bearer' } });

    const accessToken = refreshed.step?.tokens?.accessToken;
    const withoutBearer = await gw.graphql(SIGN_OUT, {
      input: { refreshToken: tokens?.refreshToken, global: true },
    });
    expect(withoutBearer.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const out = await gw.graphql(
      SIGN_OUT,
      { input: { refreshToken: tokens?.refreshToken, global: true } },
      { headers: { authorization: `Bearer ${accessToken}` } },
    );
    expect(out.body).toEqual({ data: { signOut: true } });
    const me = await gw.graphql(ME, undefined, { headers: { authorization: `Bearer ${accessToken}` } });
    expect(me.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const reuse = await step(REFRESH_TOKENS, { refreshToken: tokens?.refreshToken });
    expect(reuse.error?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('a handle created under one profile is SESSION_EXPIRED under another', async () => {
    const email = address('profiles');
    await registered(email);
    const start = await step(START_SIGN_IN, { email });
    const handle = start.step?.challenge?.handle;
    const foreign = await step(VERIFY_OTP, { handle, code: codeFor(email) }, { profile: 'other' });
    expect(foreign.error?.extensions?.code).toBe('SESSION_EXPIRED');
    const foreignResend = await step(RESEND_OTP, { handle }, { profile: 'other' });
    expect(foreignResend.error?.extensions?.code).toBe('SESSION_EXPIRED');
  });
});

describe('SMS flow', () => {
  it('signUp with a phone number, then startSignIn by phone over SMS -> verifyOtp -> DONE', async () => {
    const email = address('sms');
    const phoneNumber = phone();
    secrets.add(phoneNumber);
    await registered(email, { phoneNumber });
    const start = await step(START_SIGN_IN, { phoneNumber, channel: 'SMS' });
    expect(start.error).toBeUndefined();
    expect(start.step).toMatchObject({
      nextStep: 'CONFIRM_SIGN_IN_WITH_SMS_CODE',
      challenge: { codeLength: 8, delivery: { medium: 'SMS' } },
    });
    expect(start.step?.challenge?.delivery.destination).not.toContain(phoneNumber.slice(1, -4));
    const done = await step(VERIFY_OTP, {
      handle: start.step?.challenge?.handle,
      code: codeFor(phoneNumber),
    });
    expect(done.step?.nextStep).toBe('DONE');
  });
});

describe('cookie profile', () => {
  it('keeps the refresh token in an httpOnly cookie: set on DONE, read by refreshTokens, cleared by signOut', async () => {
    const email = address('cookie');
    const { done } = await registered(email, {}, 'web');
    expect(done.step?.tokens?.refreshToken).toBeNull();
    const setCookie = done.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(/^__Secure-otpgate-rt-web=[^;]+;/);
    expect(setCookie).toMatch(/HttpOnly/);
    expect(setCookie).toMatch(/Secure/);
    expect(setCookie).toMatch(/SameSite=Strict/);
    expect(setCookie).toMatch(/Path=\/graphql/);
    expect(done.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(done.headers.get('access-control-allow-credentials')).toBe('true');
    const cookie = setCookie.split(';')[0] as string;
    secrets.add(cookie.split('=')[1] as string);

    const headers = { origin: SHOP, cookie };
    const refreshed = await step(REFRESH_TOKENS, {}, { profile: 'web', headers });
    expect(refreshed.step).toMatchObject({ nextStep: 'DONE', tokens: { refreshToken: null } });

    const out = await gw.graphql(SIGN_OUT, { input: {} }, { profile: 'web', headers });
    expect(out.body).toEqual({ data: { signOut: true } });
    expect(out.headers.get('set-cookie')).toMatch(/^__Secure-otpgate-rt-web=;.*Expires=Thu, 01 Jan 1970/);

    // A body profile never reads the cookie.
    const bodyProfile = await step(REFRESH_TOKENS, {}, { headers: { cookie } });
    expect(bodyProfile.error?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});

describe('metrics', () => {
  it('count outcomes, limit refusals by scope and Cognito latency, with no identifier in a label', async () => {
    const text = await (await fetch(gw.gateway.metricsUrl)).text();
    expect(text).toMatch(/otpgate_graphql_outcomes_total\{operation="verifyOtp",outcome="CODE_MISMATCH"\} 1/);
    expect(text).toMatch(/otpgate_limit_refusals_total\{scope="\w+",code="RATE_LIMITED"\} \d+/);
    expect(text).toMatch(
      /otpgate_cognito_call_duration_seconds_count\{step="InitiateAuth",outcome="ok"\} \d+/,
    );
    expect(text).toMatch(/otpgate_engine_call_duration_seconds_count\{operation="signUp"\} \d+/);
    for (const secret of secrets) expect(text.includes(secret)).toBe(false);
  });
});

describe('logs', () => {
  it('hold no code, handle, token, session or address from the flows above', () => {
    expect(logLines.length).toBeGreaterThan(10);
    const text = logLines.join('');
    expect(secrets.size).toBeGreaterThan(20);
    for (const secret of secrets) expect(text.includes(secret), 'a secret reached the logs').toBe(false);
    expect(text).not.toContain(CLIENT_IP);
    expect(text).not.toMatch(/"(code|handle|email|phoneNumber|refreshToken|accessToken)":"(?!\[redacted\])/);
    // What operators do get: operation and outcome per request.
    expect(text).toContain('"operation":"verifyOtp","outcome":"CODE_MISMATCH"');
  });
});
