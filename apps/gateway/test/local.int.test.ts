import { createCognitoClient, createMemoryStore } from '@otpgate/cognito-otp';
import { expect, it } from 'vitest';
import { localBanner, startLocalCognito } from '../src/local.js';
import { createGateway } from '../src/server.js';

it('local mode: embedded emulator, loopback origins, introspection on, a banner naming GraphQL and the mailbox', async () => {
  const local = await startLocalCognito({ port: 0 });
  const cognitoClient = createCognitoClient({
    region: local.profile.region,
    endpoint: local.emulator.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await using gateway = await createGateway({
    profiles: { default: local.profile },
    store: createMemoryStore(),
    cognitoClientFor: () => cognitoClient,
    cognitoEndpoint: local.emulator.url,
    hmacSecret: local.hmacSecret,
    port: 0,
    host: '127.0.0.1',
    metricsPort: 0,
    local: true,
    logLevel: 'silent',
    processMetrics: false,
    onClose: async () => {
      cognitoClient.destroy();
      await local.close();
    },
  });

  const banner = localBanner(`${gateway.url}/graphql`, local, true, undefined, gateway.metricsUrl);
  expect(banner).toContain(`${gateway.url}/graphql`);
  expect(banner).toMatch(new RegExp(`Metrics: +${gateway.metricsUrl.replaceAll('.', '\\.')} `));
  expect(gateway.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
  expect(banner).toMatch(new RegExp(`Dev mailbox: +${local.emulator.url}/_dev/mailbox +EMULATOR_PORT`));
  expect(banner).toMatch(new RegExp(`GraphQL: +${gateway.url}/graphql +PORT`));
  expect(banner).toMatch(/in-memory store: single process only/);
  expect((await fetch(`${local.emulator.url}/_dev/mailbox`)).status).toBe(200);

  const response = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: 'http://localhost:5173' },
    body: JSON.stringify({ query: '{ __schema { mutationType { name } } }' }),
  });
  expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  expect(await response.json()).toEqual({ data: { __schema: { mutationType: { name: 'Mutation' } } } });
  expect(local.hmacSecret.length).toBeGreaterThanOrEqual(32);
});
