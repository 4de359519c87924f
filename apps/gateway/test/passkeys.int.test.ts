// Passkeys over HTTP: the gateway on a real port, the engine, and the emulator verifying every WebAuthn
// response for real; credentials come from a software authenticator, as a browser would make them.
import { SoftwareAuthenticator } from '@otpgate/cognito-emulator/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../src/testing.js';
import { CONFIRM_SIGN_UP, SIGN_OUT, SIGN_UP, type StepData, TEST_LIMITS } from './operations.js';

const ORIGIN = 'http://localhost:5173';
/** Allowed for the profile's code flows, but not for passkeys. */
const OTHER_ORIGIN = 'https://shop.example';

const STEP = `nextStep
  challenge { handle credentialRequestOptions delivery { medium destination } }
  tokens { accessToken refreshToken }`;
const START = `mutation Start($input: StartSignInInput!) { startSignIn(input: $input) { ${STEP} } }`;
const VERIFY = `mutation Verify($input: VerifyPasskeyInput!) { verifyPasskey(input: $input) { ${STEP} } }`;
const START_REGISTRATION = 'mutation { startPasskeyRegistration }';
const COMPLETE_REGISTRATION = `mutation Complete($input: CompletePasskeyRegistrationInput!) {
  completePasskeyRegistration(input: $input) { id name createdAt attachment } }`;
const PASSKEYS = 'query { passkeys { id name createdAt attachment } }';
const DELETE = 'mutation Delete($id: ID!) { deletePasskey(id: $id) }';

interface PasskeyStep {
  nextStep: string;
  challenge: {
    handle: string;
    credentialRequestOptions: { challenge: string; rpId: string } | null;
    delivery: unknown;
  } | null;
  tokens: { accessToken: string; refreshToken: string | null } | null;
}

let gw: TestGateway;
const email = `passkeys.${process.pid}@gateway.example`;
const authenticator = new SoftwareAuthenticator();
const browser = { origin: ORIGIN };

beforeAll(async () => {
  gw = await startTestGateway({
    profiles: {
      default: {
        pool: { webAuthn: { relyingPartyId: 'localhost', userVerification: 'required' } },
        allowedOrigins: [ORIGIN, OTHER_ORIGIN],
        webAuthnOrigins: [ORIGIN],
        limits: TEST_LIMITS,
      },
    },
  });
});
afterAll(async () => {
  await gw?.close();
});

async function signUp(): Promise<{ accessToken: string; refreshToken: string }> {
  const up = await gw.graphql<{ signUp: StepData }>(SIGN_UP, { input: { email } });
  const done = await gw.graphql<{ confirmSignUp: StepData }>(CONFIRM_SIGN_UP, {
    input: { handle: up.body.data?.signUp.challenge?.handle, code: gw.lastCode(email) },
  });
  const tokens = done.body.data?.confirmSignUp.tokens;
  if (!tokens?.refreshToken) throw new Error(`no tokens: ${JSON.stringify(done.body)}`);
  return { accessToken: tokens.accessToken, refreshToken: tokens.refreshToken };
}

async function passkeySignIn(headers: Record<string, string> = browser) {
  const started = await gw.graphql<{ startSignIn: PasskeyStep }>(
    START,
    { input: { email, method: 'PASSKEY' } },
    { headers },
  );
  const challenge = started.body.data?.startSignIn.challenge;
  if (!challenge?.credentialRequestOptions)
    throw new Error(`no passkey step: ${JSON.stringify(started.body)}`);
  const credential = authenticator.assert(challenge.credentialRequestOptions, ORIGIN);
  const verified = await gw.graphql<{ verifyPasskey: PasskeyStep }>(
    VERIFY,
    { input: { handle: challenge.handle, credential } },
    { headers },
  );
  return { started, verified };
}

const codeOf = (body: { errors?: Array<{ extensions?: Record<string, unknown> }> }) =>
  body.errors?.[0]?.extensions?.code;

describe('passkeys over GraphQL', () => {
  it('registers a passkey, signs out, signs in with it, lists it, deletes it, and is refused after', async () => {
    const first = await signUp();
    const bearer = { ...browser, authorization: `Bearer ${first.accessToken}` };

    const options = await gw.graphql<{ startPasskeyRegistration: Record<string, unknown> }>(
      START_REGISTRATION,
      undefined,
      { headers: bearer },
    );
    expect(options.body.errors).toBeUndefined();
    const creation = options.body.data?.startPasskeyRegistration as never;
    const registered = await gw.graphql<{ completePasskeyRegistration: { id: string; attachment: string } }>(
      COMPLETE_REGISTRATION,
      { input: { credential: authenticator.register(creation, ORIGIN) } },
      { headers: bearer },
    );
    expect(registered.body.errors).toBeUndefined();
    const passkey = registered.body.data?.completePasskeyRegistration;
    expect(passkey).toMatchObject({ id: authenticator.credentialId, attachment: 'platform' });

    const out = await gw.graphql<{ signOut: boolean }>(SIGN_OUT, {
      input: { refreshToken: first.refreshToken },
    });
    expect(out.body.data?.signOut).toBe(true);

    const { started, verified } = await passkeySignIn();
    expect(started.body.data?.startSignIn).toMatchObject({
      nextStep: 'CONFIRM_SIGN_IN_WITH_PASSKEY',
      challenge: { delivery: null, credentialRequestOptions: { rpId: 'localhost' } },
    });
    expect(started.body.data?.startSignIn.challenge?.credentialRequestOptions).not.toHaveProperty(
      'allowCredentials',
    );
    expect(verified.body.errors).toBeUndefined();
    const tokens = verified.body.data?.verifyPasskey.tokens;
    expect(verified.body.data?.verifyPasskey.nextStep).toBe('DONE');
    const signedIn = { ...browser, authorization: `Bearer ${tokens?.accessToken}` };

    const listed = await gw.graphql<{ passkeys: Array<{ id: string }> }>(PASSKEYS, undefined, {
      headers: signedIn,
    });
    expect(listed.body.data?.passkeys.map((entry) => entry.id)).toEqual([passkey?.id]);
    expect(codeOf((await gw.graphql(PASSKEYS)).body)).toBe('UNAUTHENTICATED');
    const forged = await gw.graphql(PASSKEYS, undefined, { headers: { authorization: 'Bearer a.b.c' } });
    expect(codeOf(forged.body)).toBe('UNAUTHENTICATED');
    expect(codeOf((await gw.graphql(DELETE, { id: passkey?.id })).body)).toBe('UNAUTHENTICATED');

    const deleted = await gw.graphql<{ deletePasskey: boolean }>(
      DELETE,
      { id: passkey?.id },
      { headers: signedIn },
    );
    expect(deleted.body.data?.deletePasskey).toBe(true);
    const empty = await gw.graphql<{ passkeys: unknown[] }>(PASSKEYS, undefined, { headers: signedIn });
    expect(empty.body.data?.passkeys).toEqual([]);

    const after = await passkeySignIn();
    expect(after.started.body.data?.startSignIn.nextStep).toBe('CONFIRM_SIGN_IN_WITH_PASSKEY');
    expect(after.verified.body.data?.verifyPasskey ?? null).toBeNull();
    expect(after.verified.body.errors?.[0]?.extensions).toMatchObject({
      code: 'CODE_MISMATCH',
      attemptsRemaining: 0,
    });
  });

  it('refuses passkey ceremonies from an origin outside webAuthnOrigins, or without Origin: FORBIDDEN', async () => {
    for (const headers of [{ origin: OTHER_ORIGIN }, {}] as Array<Record<string, string>>) {
      const start = await gw.graphql(START, { input: { email, method: 'PASSKEY' } }, { headers });
      expect(codeOf(start.body)).toBe('FORBIDDEN');
      const verify = await gw.graphql(
        VERIFY,
        { input: { handle: 'x'.repeat(43), credential: {} } },
        { headers },
      );
      expect(codeOf(verify.body)).toBe('FORBIDDEN');
      const registration = await gw.graphql(START_REGISTRATION, undefined, {
        headers: { ...headers, authorization: 'Bearer a.b.c' },
      });
      expect(codeOf(registration.body)).toBe('FORBIDDEN');
    }
    // The code flows of the same origin are unaffected.
    const code = await gw.graphql(
      START,
      { input: { email: `other.${email}` } },
      { headers: { origin: OTHER_ORIGIN } },
    );
    expect(code.body.errors).toBeUndefined();
  });

  it.each([
    ['aliased passkeys', 'query { mine: passkeys { id } }'],
    ['passkeys twice', 'query { passkeys { id } passkeys { name } }'],
    ['passkeys beside me', 'query { me { sub } passkeys { id } }'],
    ['aliased deletePasskey', 'mutation { d: deletePasskey(id: "AAAA") }'],
    ['two passkey mutations', 'mutation { deletePasskey(id: "AAAA") startPasskeyRegistration }'],
    [
      'verifyPasskey beside verifyOtp',
      'mutation { verifyPasskey(input: { handle: "h", credential: {} }) { nextStep } verifyOtp(input: { handle: "h", code: "1" }) { nextStep } }',
    ],
  ])('refuses %s: BAD_USER_INPUT on `operation`', async (_name, query) => {
    const response = await gw.graphql(query, undefined, {
      headers: { ...browser, authorization: 'Bearer a.b.c' },
    });
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'operation' });
  });
});
