import { randomBytes } from 'node:crypto';
import type { OtpEngine, RequestContext } from '@otpgate/cognito-otp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../src/testing.js';
import {
  CONFIRM_SIGN_UP,
  REFRESH_TOKENS,
  RESEND_OTP,
  SIGN_OUT,
  SIGN_UP,
  START_SIGN_IN,
  VERIFY_OTP,
} from './operations.js';

// The HTTP surface and its refusals: everything here is refused before the engine, so the emulator
// must see no call at all (checked after every test).

const APP = 'https://app.example';
const SHOP = 'https://shop.example';
let gw: TestGateway;
let callsBefore: Record<string, number>;

beforeAll(async () => {
  gw = await startTestGateway({
    profiles: {
      default: { allowedOrigins: [APP] },
      web: { tokenDelivery: 'cookie', allowedOrigins: [SHOP] },
    },
  });
});
afterAll(async () => {
  await gw?.close();
});

function noCognitoCall() {
  callsBefore = { ...gw.emulator.calls() };
  return () => expect(gw.emulator.calls(), 'the emulator saw a call').toEqual(callsBefore);
}

async function post(body: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${gw.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, text, json: () => JSON.parse(text) };
}

const verify = (alias = '') =>
  `${alias}verifyOtp(input: { handle: "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", code: "12345678" }) { nextStep }`;

describe('one code per request', () => {
  it.each([
    ['two aliased verifyOtp fields', `mutation { a: ${verify()} b: ${verify()} }`],
    ['one aliased verifyOtp field', `mutation { a: ${verify()} }`],
    [
      'two different auth mutations',
      `mutation { ${verify()} resendOtp(input: { handle: "h" }) { nextStep } }`,
    ],
    [
      'the same field twice through fragments',
      `mutation { ...A ...B } fragment A on Mutation { ${verify()} } fragment B on Mutation { ${verify()} }`,
    ],
  ])('refuses %s: BAD_USER_INPUT on `operation`, nothing reaches Cognito', async (_name, query) => {
    const check = noCognitoCall();
    const response = await post(JSON.stringify({ query }));
    expect(response.status).toBe(400);
    expect(response.json().errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'operation' });
    check();
  });

  it('refuses a batched request (JSON array)', async () => {
    const check = noCognitoCall();
    const one = { query: `mutation { ${verify()} }` };
    const response = await post(JSON.stringify([one, one]));
    expect(response.status).toBe(400);
    expect(response.json().errors[0].extensions.code).toBe('BAD_USER_INPUT');
    check();
  });

  it('refuses a CSRF-able simple request (text/plain without apollo-require-preflight)', async () => {
    const check = noCognitoCall();
    const response = await post(JSON.stringify({ query: `mutation { ${verify()} }` }), {
      'content-type': 'text/plain',
    });
    expect(response.status).toBe(400);
    expect(response.json().errors[0]).toMatchObject({
      message: expect.stringContaining('Cross-Site Request Forgery'),
      extensions: { code: 'BAD_USER_INPUT', field: 'request' },
    });
    const form = await post('query=mutation', { 'content-type': 'application/x-www-form-urlencoded' });
    expect(form.status).toBe(415);
    check();
  });

  it('refuses mutations over GET', async () => {
    const check = noCognitoCall();
    const query = encodeURIComponent(`mutation { ${verify()} }`);
    const response = await fetch(`${gw.url}/graphql?query=${query}`, {
      headers: { 'apollo-require-preflight': '1' },
    });
    expect(response.status).toBe(405);
    check();
  });
});

describe('client profiles and CORS', () => {
  it('grants CORS to an allowed origin of the named profile, with credentials for a cookie profile', async () => {
    const check = noCognitoCall();
    const plain = await post(JSON.stringify({ query: '{ me { sub } }' }), { origin: APP });
    expect(plain.status).toBe(200);
    expect(plain.headers.get('access-control-allow-origin')).toBe(APP);
    expect(plain.headers.get('access-control-allow-credentials')).toBeNull();
    const cookie = await post(JSON.stringify({ query: '{ me { sub } }' }), {
      origin: SHOP,
      'apollographql-client-name': 'web',
    });
    expect(cookie.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(cookie.headers.get('access-control-allow-credentials')).toBe('true');
    check();
  });

  it('gives a disallowed origin no CORS grant and FORBIDDEN, before any engine call', async () => {
    const check = noCognitoCall();
    const evil = await post(
      JSON.stringify({ query: SIGN_UP, variables: { input: { email: 'a@b.example' } } }),
      {
        origin: 'https://evil.example',
      },
    );
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect(evil.json().errors[0].extensions).toEqual({ code: 'FORBIDDEN' });
    // An origin of another profile is not one of this profile's.
    const crossed = await post(JSON.stringify({ query: '{ me { sub } }' }), { origin: SHOP });
    expect(crossed.status).toBe(403);
    expect(crossed.headers.get('access-control-allow-origin')).toBeNull();

    const preflight = (origin: string) =>
      fetch(`${gw.url}/graphql`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,apollographql-client-name',
        },
      });
    const denied = await preflight('https://evil.example');
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    const granted = await preflight(SHOP);
    expect(granted.status).toBe(204);
    expect(granted.headers.get('access-control-allow-origin')).toBe(SHOP);
    expect(granted.headers.get('access-control-allow-headers')).toContain('apollographql-client-name');
    check();
  });

  it('answers an unknown profile with FORBIDDEN', async () => {
    const response = await post(JSON.stringify({ query: '{ me { sub } }' }), {
      'apollographql-client-name': 'nope',
    });
    expect(response.status).toBe(403);
    expect(response.json().errors[0].extensions).toEqual({ code: 'FORBIDDEN' });
  });
});

describe('malformed input answers BAD_USER_INPUT naming the field, never 500', () => {
  const long = 'x'.repeat(10_000);
  // Well-formed (32 random bytes, base64url) but unknown: the engine then looks at the code.
  const handle = randomBytes(32).toString('base64url');
  type Case = [string, string, unknown, string];
  const cases: Case[] = [
    ['signUp', SIGN_UP, { email: '' }, 'email'],
    ['signUp', SIGN_UP, { email: `${long}@example.com` }, 'email'],
    ['signUp', SIGN_UP, { email: 'ünïcødé-without-at' }, 'email'],
    ['signUp', SIGN_UP, { email: 5 }, 'email'],
    ['signUp', SIGN_UP, { email: null }, 'email'],
    ['signUp', SIGN_UP, {}, 'email'],
    ['signUp', SIGN_UP, { email: 'a@b.example', phoneNumber: 'call me' }, 'phoneNumber'],
    ['signUp', SIGN_UP, { email: 'a@b.example', phoneNumber: long }, 'phoneNumber'],
    ['signUp', SIGN_UP, { email: 'a@b.example', locale: long }, 'locale'],
    ['signUp', SIGN_UP, { email: 'a@b.example', locale: ['en'] }, 'locale'],
    ['signUp', SIGN_UP, { email: 'a@b.example', extra: 1 }, 'extra'],
    ['confirmSignUp', CONFIRM_SIGN_UP, { handle, code: '' }, 'code'],
    ['confirmSignUp', CONFIRM_SIGN_UP, { handle: '', code: '123456' }, 'handle'],
    ['confirmSignUp', CONFIRM_SIGN_UP, { handle: long, code: '123456' }, 'handle'],
    ['confirmSignUp', CONFIRM_SIGN_UP, { code: '123456' }, 'handle'],
    ['verifyOtp', VERIFY_OTP, { handle, code: 'abcdefgh' }, 'code'],
    ['verifyOtp', VERIFY_OTP, { handle, code: '１２３４５６７８' }, 'code'],
    ['verifyOtp', VERIFY_OTP, { handle, code: long }, 'code'],
    ['verifyOtp', VERIFY_OTP, { handle, code: 12345678 }, 'code'],
    ['verifyOtp', VERIFY_OTP, { handle: true, code: '12345678' }, 'handle'],
    ['verifyOtp', VERIFY_OTP, { handle: 'not a handle!', code: '12345678' }, 'handle'],
    ['resendOtp', RESEND_OTP, {}, 'handle'],
    ['resendOtp', RESEND_OTP, { handle: long }, 'handle'],
    ['startSignIn', START_SIGN_IN, { email: 'a@b.example', channel: 'FAX' }, 'channel'],
    ['startSignIn', START_SIGN_IN, { email: '@@' }, 'email'],
    ['startSignIn', START_SIGN_IN, { phoneNumber: '12' }, 'phoneNumber'],
    ['refreshTokens', REFRESH_TOKENS, { refreshToken: long }, 'refreshToken'],
    ['refreshTokens', REFRESH_TOKENS, { refreshToken: 42 }, 'refreshToken'],
    ['signOut', SIGN_OUT, { global: 'yes' }, 'global'],
  ];

  it.each(cases.map(([mutation, query, input, field], index) => ({ mutation, query, input, field, index })))(
    '$mutation case $index -> $field',
    async ({ query, input, field }) => {
      const check = noCognitoCall();
      const response = await gw.graphql(query, { input });
      expect(response.status).not.toBe(500);
      expect(response.body.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
      expect(JSON.stringify(response.body)).not.toMatch(/Did you mean|xxxxxxxxxx/);
      check();
    },
  );

  it('both or neither identifier for startSignIn', async () => {
    const check = noCognitoCall();
    for (const input of [{ email: 'a@b.example', phoneNumber: '+15550000000' }, {}, { channel: 'SMS' }]) {
      const response = await gw.graphql(START_SIGN_IN, { input });
      expect(response.body.errors?.[0]?.extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        field: expect.any(String),
      });
    }
    check();
  });

  it('a missing or null input argument, a missing variable', async () => {
    const check = noCognitoCall();
    expect((await gw.graphql(VERIFY_OTP, { input: null })).body.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input',
    });
    expect((await gw.graphql(VERIFY_OTP)).body.errors?.[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'input',
    });
    const literal = await gw.graphql('mutation { verifyOtp { nextStep } }');
    expect(literal.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input' });
    check();
  });

  it('oversized, non-JSON and non-GraphQL bodies', async () => {
    const check = noCognitoCall();
    const huge = await post(
      JSON.stringify({ query: '{ me { sub } }', variables: { pad: 'x'.repeat(100_000) } }),
    );
    expect(huge.status).toBe(413);
    expect(huge.json().errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'body' });
    const broken = await post('{"query": ');
    expect(broken.status).toBe(400);
    expect(broken.json().errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'body' });
    const syntax = await post(JSON.stringify({ query: 'mutation { verifyOtp(input: { code: "87654321" ' }));
    expect(syntax.status).toBe(400);
    expect(syntax.json().errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'query' });
    expect(syntax.text).not.toContain('87654321');
    const tokens = await post(JSON.stringify({ query: `{ ${'me { sub } '.repeat(500)} }` }));
    expect(tokens.json().errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'query' });
    check();
  });
});

describe('operation limits', () => {
  it('refuses too many aliases and too much depth without stating the limits', async () => {
    const aliases = await post(
      JSON.stringify({ query: `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: me { sub }`).join(' ')} }` }),
    );
    expect(aliases.status).toBe(400);
    expect(aliases.json().errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(aliases.text).not.toMatch(/\b(5|20)\b/);
  });

  it('has introspection and the landing page off outside local mode', async () => {
    const introspection = await post(JSON.stringify({ query: '{ __schema { types { name } } }' }));
    expect(introspection.json().errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const landing = await fetch(`${gw.url}/graphql`, { headers: { accept: 'text/html' } });
    expect(landing.headers.get('content-type') ?? '').not.toContain('text/html');
  });

  it('strips "Did you mean" suggestions', async () => {
    const response = await post(JSON.stringify({ query: `mutation { verifyOt(input: {}) { nextStep } }` }));
    expect(response.json().errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'verifyOt' });
    expect(response.text).not.toContain('Did you mean');
  });
});

describe('operations endpoints', () => {
  it('/healthz, /readyz, and /metrics on the metrics listener', async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { store: 'up', cognito: 'up' } });
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(404);
    const metrics = await (await fetch(gw.gateway.metricsUrl)).text();
    expect(metrics).toMatch(
      /otpgate_graphql_outcomes_total\{operation="verifyOtp",outcome="BAD_USER_INPUT"\} \d+/,
    );
    expect(metrics).toContain('otpgate_graphql_requests_total');
    expect(metrics).not.toContain('@');
  });

  it('/readyz is 503 naming Cognito when it cannot be reached', async () => {
    await using other = await startTestGateway();
    await other.emulator.close();
    const ready = await fetch(`${other.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ checks: { store: 'up', cognito: 'down' } });
  });
});

describe('request context', () => {
  /** An engine that only records what the gateway passes it. */
  function recordingEngine(seen: RequestContext[]): OtpEngine {
    const step = async (_input: unknown, context: RequestContext) => {
      seen.push(context);
      return {
        nextStep: 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE' as const,
        challenge: {
          handle: 'h',
          codeLength: 8,
          delivery: { medium: 'EMAIL' as const, destination: 'a***@b***' },
          expiresAt: new Date(0),
          resendAvailableAt: new Date(0),
        },
      };
    };
    return {
      signUp: step,
      confirmSignUp: step,
      startSignIn: step,
      verifyOtp: step,
      resendOtp: step,
      refreshTokens: step,
      signOut: async () => true,
      getUser: async () => ({ sub: 's', email: null, emailVerified: null, phoneNumber: null }),
      verifyPasskey: step,
      startPasskeyRegistration: async () => ({}),
      completePasskeyRegistration: async () => ({
        id: 'p',
        name: 'Passkey',
        createdAt: new Date(0),
        attachment: null,
      }),
      listPasskeys: async () => [],
      deletePasskey: async () => true,
    };
  }

  it('takes the client IP from X-Forwarded-For only behind a trusted proxy', async () => {
    const seen: RequestContext[] = [];
    const headers = { 'x-forwarded-for': '198.51.100.7', 'user-agent': 'shop-app/1.0' };
    {
      await using direct = await startTestGateway({ engine: recordingEngine(seen) });
      await direct.graphql(START_SIGN_IN, { input: { email: 'a@b.example' } }, { headers });
    }
    {
      await using proxied = await startTestGateway({ engine: recordingEngine(seen), trustProxy: 1 });
      await proxied.graphql(START_SIGN_IN, { input: { email: 'a@b.example' } }, { headers });
    }
    expect(seen).toEqual([
      { clientProfile: 'default', clientIp: '127.0.0.1', userAgent: 'shop-app/1.0' },
      { clientProfile: 'default', clientIp: '198.51.100.7', userAgent: 'shop-app/1.0' },
    ]);
  });
});
