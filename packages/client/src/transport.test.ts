import { describe, expect, it } from 'vitest';
import { createOtpgateClient } from './client.js';
import { OtpgateError } from './errors.js';
import { createMemoryTokenStore } from './token-store.js';
import type { FetchLike } from './transport.js';

type Call = Parameters<FetchLike>;

/** A fetch double that records calls and answers with the given status and body. */
function fakeFetch(status: number, body: unknown, calls: Call[] = []): FetchLike {
  return async (...args) => {
    calls.push(args);
    return { status, text: async () => (typeof body === 'string' ? body : JSON.stringify(body)) };
  };
}

const TOKENS = { accessToken: 'at', idToken: 'it', refreshToken: 'rt', expiresIn: 3600, tokenType: 'Bearer' };

describe('transport', () => {
  it('POSTs JSON with the profile header, credentials and the operation name', async () => {
    const calls: Call[] = [];
    const client = createOtpgateClient({
      url: 'https://auth.shop.example/graphql',
      clientName: 'web',
      clientVersion: '1.2.3',
      credentials: 'include',
      headers: { 'x-trace': 't1' },
      fetch: fakeFetch(200, { data: { me: null } }, calls),
    });
    await expect(client.me()).resolves.toBeNull();
    const [url, init] = calls[0] ?? [];
    expect(url).toBe('https://auth.shop.example/graphql');
    expect(init?.method).toBe('POST');
    expect(init?.credentials).toBe('include');
    expect(init?.headers).toEqual({
      'content-type': 'application/json',
      'apollographql-client-name': 'web',
      'apollographql-client-version': '1.2.3',
      'x-trace': 't1',
    });
    expect(JSON.parse(init?.body ?? '')).toMatchObject({ operationName: 'Me' });
  });

  it('a GraphQL error becomes OtpgateError with the contract code and extras', async () => {
    const client = createOtpgateClient({
      url: '/graphql',
      fetch: fakeFetch(200, {
        errors: [{ message: 'Wrong code.', extensions: { code: 'CODE_MISMATCH', attemptsRemaining: 2 } }],
        data: null,
      }),
    });
    const error = await client.verifyOtp({ handle: 'h', code: '12345678' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OtpgateError);
    expect(error).toMatchObject({ code: 'CODE_MISMATCH', attemptsRemaining: 2, status: 200 });
  });

  it('request refusals (4xx with a GraphQL body) keep their code, field and retry hint', async () => {
    const client = createOtpgateClient({
      url: '/graphql',
      fetch: fakeFetch(429, {
        errors: [
          { message: 'Slow down.', extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 12, scope: 'ip' } },
        ],
      }),
    });
    await expect(client.startSignIn({ email: 'a@b.example' })).rejects.toMatchObject({
      code: 'RATE_LIMITED',
      retryAfterSeconds: 12,
      scope: 'ip',
      status: 429,
    });
  });

  it('an unknown code from a newer gateway is INTERNAL_SERVER_ERROR', async () => {
    const client = createOtpgateClient({
      url: '/graphql',
      fetch: fakeFetch(200, { errors: [{ message: 'x', extensions: { code: 'SOMETHING_NEW' } }] }),
    });
    await expect(client.me()).rejects.toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
  });

  it('no answer, a proxy page or a timeout is NETWORK_ERROR', async () => {
    const offline = createOtpgateClient({
      url: '/graphql',
      fetch: async () => {
        throw new TypeError('Failed to fetch');
      },
    });
    await expect(offline.me()).rejects.toMatchObject({ code: 'NETWORK_ERROR' });

    const proxy = createOtpgateClient({ url: '/graphql', fetch: fakeFetch(502, '<html>Bad gateway</html>') });
    await expect(proxy.me()).rejects.toMatchObject({ code: 'NETWORK_ERROR', status: 502 });

    const slow = createOtpgateClient({
      url: '/graphql',
      timeoutMs: 20,
      fetch: (_url, init) =>
        new Promise((_resolve, reject) =>
          init.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
        ),
    });
    await expect(slow.me()).rejects.toMatchObject({ code: 'NETWORK_ERROR', message: /within 20 ms/ });
  });

  it('parses challenge dates and stores DONE tokens, keeping a refresh token the answer left out', async () => {
    const store = createMemoryTokenStore({ ...TOKENS, refreshToken: 'old-rt' });
    const calls: Call[] = [];
    const client = createOtpgateClient({
      url: '/graphql',
      tokenStore: store,
      fetch: fakeFetch(
        200,
        {
          data: {
            refreshTokens: {
              nextStep: 'DONE',
              challenge: null,
              tokens: { ...TOKENS, accessToken: 'new-at', refreshToken: null },
            },
          },
        },
        calls,
      ),
    });
    const step = await client.refreshTokens();
    expect(step.nextStep).toBe('DONE');
    expect(store.get()).toMatchObject({ accessToken: 'new-at', refreshToken: 'old-rt' });
    expect(JSON.parse(calls[0]?.[1].body ?? '').variables).toEqual({ input: { refreshToken: 'old-rt' } });

    const withChallenge = createOtpgateClient({
      url: '/graphql',
      fetch: fakeFetch(200, {
        data: {
          startSignIn: {
            nextStep: 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE',
            challenge: {
              handle: 'h',
              codeLength: 8,
              expiresAt: '2030-01-01T00:03:00.000Z',
              resendAvailableAt: '2030-01-01T00:00:30.000Z',
              delivery: { medium: 'EMAIL', destination: 'a***@b***' },
            },
            tokens: null,
          },
        },
      }),
    });
    const next = await withChallenge.startSignIn({ email: 'a@b.example' });
    expect(next.challenge?.resendAvailableAt).toEqual(new Date('2030-01-01T00:00:30.000Z'));
  });

  it('signOut sends the stored tokens and empties the store, even when refused', async () => {
    const store = createMemoryTokenStore(TOKENS);
    const calls: Call[] = [];
    const client = createOtpgateClient({
      url: '/graphql',
      tokenStore: store,
      fetch: fakeFetch(200, { errors: [{ message: 'no', extensions: { code: 'UNAUTHENTICATED' } }] }, calls),
    });
    await expect(client.signOut({ global: true })).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(store.get()).toBeNull();
    const init = calls[0]?.[1];
    expect(init?.headers.authorization).toBe('Bearer at');
    expect(JSON.parse(init?.body ?? '').variables).toEqual({ input: { refreshToken: 'rt', global: true } });
  });

  it('refuses a URL that is neither http(s) nor a path', () => {
    expect(() => createOtpgateClient({ url: 'javascript:alert(1)', fetch: fakeFetch(200, {}) })).toThrow(
      TypeError,
    );
  });
});
