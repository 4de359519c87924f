import { GetUserPoolMfaConfigCommand } from '@aws-sdk/client-cognito-identity-provider';
import { createCognitoClient, createMemoryStore } from '@otpgate/cognito-otp';
import { expect, it } from 'vitest';
import { type LocalCognito, localBanner, localWebAuthnOrigins, startLocalCognito } from '../src/local.js';
import { createGateway } from '../src/server.js';

/** Local mode's profile and emulator behind a gateway on free ports, as main.ts wires them. */
async function startLocalGateway(local: LocalCognito) {
  const cognitoClient = createCognitoClient({
    region: local.profile.region,
    endpoint: local.emulator.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const gateway = await createGateway({
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
  return { gateway, cognitoClient, [Symbol.asyncDispose]: () => gateway.close() };
}

it('local mode: embedded emulator, loopback origins, introspection on, a banner naming GraphQL and the mailbox', async () => {
  const local = await startLocalCognito({ port: 0 });
  await using started = await startLocalGateway(local);
  const { gateway } = started;

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

it('local mode: passkeys for the demo page on localhost and Vite dev, not for 127.0.0.1', async () => {
  expect(localWebAuthnOrigins(4001)).toEqual(['http://localhost:4001', 'http://localhost:5173']);
  expect(localWebAuthnOrigins(0)).toEqual(['http://localhost:5173']);
  const local = await startLocalCognito({ port: 0, webAuthnOrigins: localWebAuthnOrigins(4001) });
  await using started = await startLocalGateway(local);
  const { gateway, cognitoClient } = started;
  const startPasskey = async (origin: string) => {
    const response = await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin },
      body: JSON.stringify({
        query:
          'mutation { startSignIn(input: { email: "yuki@example.com", method: PASSKEY }) { nextStep challenge { credentialRequestOptions } } }',
      }),
    });
    return (await response.json()) as {
      data?: { startSignIn: { nextStep: string; challenge: { credentialRequestOptions: { rpId: string } } } };
      errors?: Array<{ extensions: { code: string } }>;
    };
  };
  const answer = await startPasskey('http://localhost:4001');
  expect(answer.data?.startSignIn.nextStep).toBe('CONFIRM_SIGN_IN_WITH_PASSKEY');
  expect(answer.data?.startSignIn.challenge.credentialRequestOptions.rpId).toBe('localhost');
  // The real challenge's options come from the pool: its relying party is set, verification required.
  const mfa = await cognitoClient.send(
    new GetUserPoolMfaConfigCommand({ UserPoolId: local.profile.userPoolId }),
  );
  expect(mfa.WebAuthnConfiguration).toMatchObject({
    RelyingPartyId: 'localhost',
    UserVerification: 'required',
  });
  expect((await startPasskey('http://127.0.0.1:4001')).errors?.[0]?.extensions.code).toBe('FORBIDDEN');
  expect(localBanner(`${gateway.url}/graphql`, local, true)).toMatch(
    /Passkeys: +http:\/\/localhost:4001, http:\/\/localhost:5173 \(relying party localhost\)/,
  );
});
