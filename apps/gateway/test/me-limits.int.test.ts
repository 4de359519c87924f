import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../src/testing.js';
import { CONFIRM_SIGN_UP, ME, SIGN_UP, type StepData } from './operations.js';

// `me` is the one query that reaches Cognito (GetUser). Each call is one engine request, counted
// against the caller's per-IP request budget, and an operation may ask for it once: never aliased,
// never twice, not through fragments. The emulator counts the GetUser calls that get through.

/** Small enough to run out within a test: sign-up and confirmation spend 2 of them. */
const REQUESTS_PER_MINUTE = 3;
let gw: TestGateway;
let bearer: Record<string, string>;
const email = `me-limits.${process.pid}@limits.example`;

beforeAll(async () => {
  gw = await startTestGateway({
    profiles: {
      default: { limits: { requestsPerIp: [{ points: REQUESTS_PER_MINUTE, durationSeconds: 60 }] } },
    },
  });
  const up = await gw.graphql<{ signUp: StepData }>(SIGN_UP, { input: { email } });
  const handle = up.body.data?.signUp.challenge?.handle;
  const done = await gw.graphql<{ confirmSignUp: StepData }>(CONFIRM_SIGN_UP, {
    input: { handle, code: gw.lastCode(email) },
  });
  const accessToken = done.body.data?.confirmSignUp.tokens?.accessToken;
  if (!accessToken) throw new Error(`no access token: ${JSON.stringify(done.body)}`);
  bearer = { authorization: `Bearer ${accessToken}` };
});
afterAll(async () => {
  await gw?.close();
});

/** A fresh request window for 127.0.0.1 (the store and the emulator share the clock). */
function nextWindow(): void {
  gw.clock.advance(61_000);
}

const getUserCalls = () => gw.emulator.calls().GetUser ?? 0;

describe('me and the per-IP request budget', () => {
  it('counts every me against requestsPerIp: past it RATE_LIMITED scope request, and Cognito sees no more GetUser', async () => {
    nextWindow();
    gw.emulator.resetCalls();
    for (let i = 0; i < REQUESTS_PER_MINUTE; i++) {
      const me = await gw.graphql<{ me: { email: string } }>(ME, undefined, { headers: bearer });
      expect(me.body.errors).toBeUndefined();
      expect(me.body.data?.me.email).toBe(email);
    }
    expect(getUserCalls()).toBe(REQUESTS_PER_MINUTE);

    for (let i = 0; i < 5; i++) {
      const refused = await gw.graphql(ME, undefined, { headers: bearer });
      expect(refused.body.data?.me).toBeNull();
      expect(refused.body.errors).toHaveLength(1);
      const extensions = refused.body.errors?.[0]?.extensions;
      expect(extensions).toMatchObject({ code: 'RATE_LIMITED', scope: 'request' });
      expect(extensions?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(extensions?.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
    expect(getUserCalls(), 'a refused me reached Cognito').toBe(REQUESTS_PER_MINUTE);

    // The budget is the IP's, not the query's: a flow mutation is refused the same way.
    const mutation = await gw.graphql(
      'mutation { refreshTokens(input: { refreshToken: "x" }) { nextStep } }',
    );
    expect(mutation.body.errors?.[0]?.extensions).toMatchObject({ code: 'RATE_LIMITED', scope: 'request' });
  });
});

describe('one me per operation', () => {
  const aliased = (n: number) =>
    `query { ${Array.from({ length: n }, (_, i) => `m${i}: me { sub email }`).join(' ')} }`;

  it.each([
    ['five aliased me fields', aliased(5)],
    ['two aliased me fields', aliased(2)],
    ['one aliased me field', aliased(1)],
    ['an alias equal to the name', 'query { me: me { sub } }'],
    ['me twice', 'query { me { sub } me { email } }'],
    ['me twice under @skip/@include', 'query { me { sub } me @skip(if: true) { email } }'],
    ['aliased me inside a fragment', 'query { ...Who } fragment Who on Query { who: me { sub } }'],
    [
      'me in two fragments',
      'query { ...A ... on Query { me { email } } } fragment A on Query { me { sub } }',
    ],
  ])('refuses %s: one BAD_USER_INPUT on `operation`, no GetUser', async (_name, query) => {
    nextWindow();
    gw.emulator.resetCalls();
    const response = await gw.graphql(query, undefined, { headers: bearer });
    expect(response.status).toBe(400);
    expect(response.body.data ?? null).toBeNull();
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'operation' });
    expect(getUserCalls(), 'GetUser calls').toBe(0);
  });

  it('still answers one me (one GetUser), with __typename beside it and through a fragment', async () => {
    nextWindow();
    gw.emulator.resetCalls();
    const plain = await gw.graphql<{ me: { email: string } }>(
      'query { me { email } __typename }',
      undefined,
      {
        headers: bearer,
      },
    );
    expect(plain.body.data?.me.email).toBe(email);
    const fragment = await gw.graphql<{ me: { email: string } }>(
      'query { ...Who } fragment Who on Query { me { email } }',
      undefined,
      { headers: bearer },
    );
    expect(fragment.body.data?.me.email).toBe(email);
    expect(getUserCalls()).toBe(2);
  });
});
