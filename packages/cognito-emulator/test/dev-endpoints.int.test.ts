import {
  CognitoIdentityProviderClient,
  ConfirmSignUpCommand,
  DescribeUserPoolCommand,
  InitiateAuthCommand,
  SignUpCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, harness } from './helpers.js';

const TARGET = 'AWSCognitoIdentityProviderService.';

/** A raw JSON 1.1 call, for what the SDK would never send. */
function rawCall(url: string, target: string | undefined, body: string | Uint8Array): Promise<Response> {
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
  if (target !== undefined) headers['x-amz-target'] = target;
  return fetch(`${url}/`, { method: 'POST', headers, body });
}

async function errorOf(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}

describe('dev endpoints', () => {
  let h: Harness;
  const signUp = (email: string) =>
    h.sdk.send(
      new SignUpCommand({
        ClientId: h.clientId,
        Username: email,
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
  /** The server still answers a well-formed call after whatever a test threw at it. */
  const stillUp = async () => {
    const { UserPool } = await h.sdk.send(new DescribeUserPoolCommand({ UserPoolId: h.poolId }));
    expect(UserPool?.Id).toBe(h.poolId);
  };

  beforeAll(async () => {
    h = await harness();
  });
  afterAll(async () => {
    await h[Symbol.asyncDispose]();
  });

  describe('/_dev/messages', () => {
    it('lists sent codes newest first as exactly {to, medium, kind, code, sentAt}, filters by ?to=, DELETE empties it', async () => {
      await fetch(`${h.emulator.url}/_dev/messages`, { method: 'DELETE' });
      await signUp('yuki@example.com');
      h.clock.advance(1000);
      await signUp('ken@example.com');
      h.clock.advance(1000);
      await h.sdk.send(
        new ConfirmSignUpCommand({
          ClientId: h.clientId,
          Username: 'yuki@example.com',
          ConfirmationCode: h.lastCode('yuki@example.com'),
        }),
      );
      await h.sdk.send(
        new InitiateAuthCommand({
          AuthFlow: 'USER_AUTH',
          ClientId: h.clientId,
          AuthParameters: { USERNAME: 'yuki@example.com' },
        }),
      );

      const response = await fetch(`${h.emulator.url}/_dev/messages`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const all = (await response.json()) as Array<Record<string, unknown>>;
      expect(all).toHaveLength(3);
      for (const message of all)
        expect(Object.keys(message).sort()).toEqual(['code', 'kind', 'medium', 'sentAt', 'to']);
      expect(all.map((m) => [m.to, m.medium, m.kind])).toEqual([
        ['yuki@example.com', 'EMAIL', 'SIGN_IN'],
        ['ken@example.com', 'EMAIL', 'SIGN_UP'],
        ['yuki@example.com', 'EMAIL', 'SIGN_UP'],
      ]);
      expect(all[0]?.code).toMatch(/^\d{8}$/);
      expect(all[1]?.code).toMatch(/^\d{6}$/);
      // sentAt is ISO 8601 on the emulator's clock, not the wall clock.
      expect(all[2]?.sentAt).toBe(new Date(Date.UTC(2026, 0, 1)).toISOString());

      const yuki = (await (
        await fetch(`${h.emulator.url}/_dev/messages?to=YUKI%40example.com`)
      ).json()) as unknown[];
      expect(yuki).toEqual([all[0], all[2]]);
      const none = (await (
        await fetch(`${h.emulator.url}/_dev/messages?to=nobody%40example.com`)
      ).json()) as unknown[];
      expect(none).toEqual([]);

      const deleted = await fetch(`${h.emulator.url}/_dev/messages`, { method: 'DELETE' });
      expect(deleted.status).toBe(204);
      expect(await (await fetch(`${h.emulator.url}/_dev/messages`)).json()).toEqual([]);
    });
  });

  describe('/_dev/mailbox', () => {
    it('is a self-contained HTML page that escapes a hostile address', async () => {
      const hostile = '"><img src=x onerror=alert(1)><script>alert(2)</script>@evil.example';
      h.emulator.state.messages.push(
        {
          to: 'yuki@example.com',
          medium: 'EMAIL',
          kind: 'SIGN_UP',
          code: '123456',
          sentAt: '2026-01-01T00:00:00.000Z',
        },
        { to: hostile, medium: 'SMS', kind: 'SIGN_IN', code: '87654321', sentAt: '2026-01-01T00:00:01.000Z' },
      );
      const response = await fetch(`${h.emulator.url}/_dev/mailbox`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      const html = await response.text();

      expect(html).toMatch(/^<!doctype html>/i);
      expect(html).not.toContain('<img src=x');
      expect(html).not.toContain('<script>alert');
      expect(html).toContain(
        '&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;alert(2)&lt;/script&gt;@evil.example',
      );
      // Newest first, each code with its own labelled copy button.
      expect(html.indexOf('87654321')).toBeLessThan(html.indexOf('123456'));
      expect(html).toContain('aria-label="Copy code 123456 sent to yuki@example.com"');
      // No external assets: nothing is loaded from anywhere but this page and /_dev/messages.
      expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
      expect(html).toContain("default-src 'none'");
      // The live parts: polling, the filter and the clear button.
      expect(html).toContain('/_dev/messages');
      expect(html).toContain("method: 'DELETE'");
      expect(html).toMatch(/<label for="to">/);
      h.emulator.clearMessages();
    });
  });

  describe('/_dev/faults', () => {
    it('latency: an SDK call with a shorter requestTimeout times out, and the next call is normal', async () => {
      const injected = await fetch(`${h.emulator.url}/_dev/faults`, {
        method: 'POST',
        body: JSON.stringify({ operation: 'DescribeUserPool', latencyMs: 400 }),
      });
      expect(injected.status).toBe(201);
      // The SDK's own NodeHttpHandler, configured through the client's requestHandler options. Since
      // @smithy/node-http-handler 4.x, requestTimeout alone only logs a warning when it passes; it rejects
      // only with throwOnRequestTimeout (worth knowing for any client of the emulator, and of Cognito).
      const impatient = new CognitoIdentityProviderClient({
        endpoint: h.emulator.url,
        region: h.emulator.region,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 1,
        requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true },
      });
      try {
        const started = Date.now();
        const error = await errorOf(impatient.send(new DescribeUserPoolCommand({ UserPoolId: h.poolId })));
        expect(error.name).toBe('TimeoutError');
        expect(Date.now() - started).toBeLessThan(400);
        const { UserPool } = await impatient.send(new DescribeUserPoolCommand({ UserPoolId: h.poolId }));
        expect(UserPool?.Id).toBe(h.poolId);
      } finally {
        impatient.destroy();
      }
    });

    it('a named error: the SDK throws that exception for exactly `count` calls, then the operation runs', async () => {
      await fetch(`${h.emulator.url}/_dev/faults`, {
        method: 'POST',
        body: JSON.stringify({ operation: 'DescribeUserPool', error: 'InternalErrorException', count: 2 }),
      });
      for (let i = 0; i < 2; i++) {
        const error = await errorOf(h.sdk.send(new DescribeUserPoolCommand({ UserPoolId: h.poolId })));
        expect(error.name).toBe('InternalErrorException');
        expect(error.$metadata?.httpStatusCode).toBe(500);
      }
      await stillUp();
    });

    it('refuses a malformed fault with 400 and a reason', async () => {
      const response = await fetch(`${h.emulator.url}/_dev/faults`, {
        method: 'POST',
        body: JSON.stringify({ operation: 'InitiateAuth', count: 0, error: 'TooManyRequestsException' }),
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as { message: string }).message).toMatch(/count/);
    });
  });

  describe('the Cognito endpoint answers bad requests with a clear error and stays up', () => {
    it('unknown operation', async () => {
      const response = await rawCall(h.emulator.url, `${TARGET}LaunchRocket`, '{}');
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        __type: 'UnknownOperationException',
        message: expect.stringContaining('LaunchRocket'),
      });
      await stillUp();
    });

    it('missing X-Amz-Target', async () => {
      const response = await rawCall(h.emulator.url, undefined, '{}');
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ __type: 'UnknownOperationException' });
      await stillUp();
    });

    it('malformed JSON body', async () => {
      for (const body of ['{"UserPoolId": ', '[1, 2]', 'null']) {
        const response = await rawCall(h.emulator.url, `${TARGET}DescribeUserPool`, body);
        expect(response.status, body).toBe(400);
        expect(await response.json()).toMatchObject({ __type: 'SerializationException' });
      }
      await stillUp();
    });

    // The client must get an error answer, not a reset connection: the server has to read (and discard)
    // the rest of the body before answering, or the socket is torn down under the response.
    it('a body over the size limit', async () => {
      const huge = JSON.stringify({ UserPoolId: h.poolId, Padding: 'x'.repeat(2 * 1024 * 1024) });
      const response = await rawCall(h.emulator.url, `${TARGET}DescribeUserPool`, huge);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ __type: 'SerializationException' });
      await stillUp();
    });

    it('wrong types in a well-formed body: InvalidParameterException naming the member', async () => {
      const response = await rawCall(
        h.emulator.url,
        `${TARGET}DescribeUserPool`,
        JSON.stringify({ UserPoolId: 42 }),
      );
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({
        __type: 'InvalidParameterException',
        message: expect.stringContaining('userPoolId'),
      });
    });
  });
});

describe('request quotas', () => {
  it('TooManyRequestsException past the per-second quota, within one second of the emulator clock only', async () => {
    await using h = await harness({}, { quotas: { UserAuthentication: 2 } });
    const email = 'yuki@example.com';
    await h.sdk.send(
      new SignUpCommand({
        ClientId: h.clientId,
        Username: email,
        UserAttributes: [{ Name: 'email', Value: email }],
      }),
    );
    await h.sdk.send(
      new ConfirmSignUpCommand({
        ClientId: h.clientId,
        Username: email,
        ConfirmationCode: h.lastCode(email),
      }),
    );
    const start = () =>
      h.sdk.send(
        new InitiateAuthCommand({
          AuthFlow: 'USER_AUTH',
          ClientId: h.clientId,
          AuthParameters: { USERNAME: email },
        }),
      );

    expect((await start()).ChallengeName).toBe('EMAIL_OTP');
    expect((await start()).ChallengeName).toBe('EMAIL_OTP');
    const throttled = await errorOf(start());
    expect(throttled.name).toBe('TooManyRequestsException');
    expect(throttled.$metadata?.httpStatusCode).toBe(429);
    // Real time does not matter, only the emulator clock: the next second has a fresh allowance.
    h.clock.advance(1000);
    expect((await start()).ChallengeName).toBe('EMAIL_OTP');
  });
});
