import { InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, test } from 'vitest';
import { createCognitoClient } from './client.js';

/** Sends one InitiateAuth through `createCognitoClient` to a handler that records the request. */
async function sentRequest() {
  const client = createCognitoClient({
    region: 'eu-west-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
  let seen: { headers: Record<string, string> } | undefined;
  // Unit test: the socket is replaced by a handler that answers at once.
  (client.config as { requestHandler: unknown }).requestHandler = {
    handle: async (request: { headers: Record<string, string> }) => {
      seen = request;
      return {
        response: {
          statusCode: 200,
          headers: { 'content-type': 'application/x-amz-json-1.1' },
          body: new TextEncoder().encode('{"ChallengeName":"EMAIL_OTP","Session":"s"}'),
        },
      };
    },
    updateHttpClientConfig: () => {},
    httpHandlerConfigs: () => ({}),
  };
  const out = await client.send(
    new InitiateAuthCommand({ AuthFlow: 'USER_AUTH', ClientId: 'c', AuthParameters: { USERNAME: 'u' } }),
  );
  client.destroy();
  return { out, headers: seen?.headers ?? {} };
}

describe('createCognitoClient', () => {
  test('sends no user-agent headers (their middleware is off the stack)', async () => {
    const { out, headers } = await sentRequest();
    expect(out.ChallengeName).toBe('EMAIL_OTP');
    expect(headers['x-amz-target']).toBe('AWSCognitoIdentityProviderService.InitiateAuth');
    expect(Object.keys(headers).map((name) => name.toLowerCase())).not.toContain('x-amz-user-agent');
    expect(Object.keys(headers).map((name) => name.toLowerCase())).not.toContain('user-agent');
  });

  test('makes one attempt', async () => {
    const client = createCognitoClient({ region: 'eu-west-1' });
    const attempts = client.config.maxAttempts as unknown;
    expect(typeof attempts === 'function' ? await (attempts as () => Promise<number>)() : attempts).toBe(1);
    client.destroy();
  });
});
