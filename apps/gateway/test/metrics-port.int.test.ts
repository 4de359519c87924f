import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../src/testing.js';
import {
  CONFIRM_SIGN_UP,
  SIGN_UP,
  START_SIGN_IN,
  type StepData,
  TEST_LIMITS,
  VERIFY_OTP,
} from './operations.js';
import { startGatewayProcess } from './process.js';

// /metrics lives on a listener of its own (loopback by default), never on the public port, and no label
// value says what Cognito answered about an account: a metrics reader must learn nothing per user that
// the answers themselves do not say.

let gw: TestGateway;
let seq = 0;
const address = (tag: string) => `${tag}.${process.pid}.${++seq}@metrics.example`;

beforeAll(async () => {
  gw = await startTestGateway({ profiles: { default: { limits: TEST_LIMITS } } });
});
afterAll(async () => {
  await gw?.close();
});

const scrape = async () => {
  const response = await fetch(gw.gateway.metricsUrl);
  expect(response.status).toBe(200);
  return response.text();
};

/** `name{labels}` of every sample line, with their label values. */
function series(text: string): Array<{ line: string; name: string; labels: Record<string, string> }> {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? /.exec(line);
      const labels: Record<string, string> = {};
      for (const [, key, value] of (match?.[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
        labels[key as string] = value as string;
      }
      return { line, name: match?.[1] ?? line, labels };
    });
}

describe('where /metrics is served', () => {
  it('the public port answers 404 for /metrics, whatever the spelling or method', async () => {
    for (const path of ['/metrics', '/metrics/', '/metrics?format=text', '/Metrics']) {
      const response = await fetch(`${gw.url}${path}`);
      const text = await response.text();
      expect(response.status, path).toBe(404);
      expect(text).not.toContain('otpgate_');
      expect(text).not.toMatch(/nodejs|process_/);
    }
    const post = await fetch(`${gw.url}/metrics`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(404);
    // The public endpoints stay where they were.
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
  });

  it('a loopback listener of its own serves Prometheus text at /metrics, and nothing else', async () => {
    const url = new URL(gw.gateway.metricsUrl);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.pathname).toBe('/metrics');
    expect(url.port).not.toBe(new URL(gw.url).port);
    await gw.graphql(START_SIGN_IN, { input: { email: address('listener') } });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(/^# HELP otpgate_/m);
    expect(text).toMatch(/^otpgate_graphql_requests_total\{operation="startSignIn"\} [1-9]\d*$/m);
    for (const path of ['/graphql', '/healthz', '/', '/metrics/x']) {
      expect((await fetch(new URL(path, url))).status, path).toBe(404);
    }
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    expect((await fetch(url, { method: 'HEAD' })).status).toBe(200);
  });
});

describe('labels', () => {
  it('name no outcome of an account: unconfirmed, unknown, existing and wrong-code answers count `ok`', async () => {
    // An account that signed up and never confirmed (Cognito: UserNotConfirmedException on sign-in).
    const unconfirmed = address('unconfirmed');
    expect((await gw.graphql(SIGN_UP, { input: { email: unconfirmed } })).body.errors).toBeUndefined();
    // A confirmed account, for an existing-address sign-up and a wrong code.
    const known = address('known');
    const up = await gw.graphql<{ signUp: StepData }>(SIGN_UP, { input: { email: known } });
    await gw.graphql(CONFIRM_SIGN_UP, {
      input: { handle: up.body.data?.signUp.challenge?.handle, code: gw.lastCode(known) },
    });
    gw.clock.advance(61_000);
    const before = await scrape();

    const asUnconfirmed = await gw.graphql<{ startSignIn: StepData }>(START_SIGN_IN, {
      input: { email: unconfirmed },
    });
    const asUnknown = await gw.graphql<{ startSignIn: StepData }>(START_SIGN_IN, {
      input: { email: address('unknown') },
    });
    // What each answer says is the engine's business (the unconfirmed account's code goes to its
    // owner's address only); the labels must add nothing to it.
    expect(asUnconfirmed.body.errors).toBeUndefined();
    expect(asUnknown.body.errors).toBeUndefined();
    const signIn = await gw.graphql<{ startSignIn: StepData }>(START_SIGN_IN, { input: { email: known } });
    const handle = signIn.body.data?.startSignIn.challenge?.handle;
    const good = gw.lastCode(known);
    const wrong = await gw.graphql(VERIFY_OTP, {
      input: { handle, code: good === '00000000' ? '11111111' : '00000000' },
    });
    expect(wrong.body.errors?.[0]?.extensions?.code).toBe('CODE_MISMATCH');
    gw.clock.advance(61_000);
    const again = await gw.graphql(SIGN_UP, { input: { email: known } });
    expect(again.body.errors?.[0]?.extensions?.code).toBe('USER_EXISTS');

    const after = await scrape();
    expect(after).not.toEqual(before);
    const samples = series(after);
    const values = samples.flatMap((sample) => Object.values(sample.labels));
    // No Cognito exception name, no account state, no address in any label.
    for (const value of values) {
      expect(value).not.toMatch(/Exception|NotConfirmed|NotFound|unconfirmed|unknown_user|UNKNOWN_USER|@/i);
    }
    // What Cognito said about an account is not a failure of Cognito: each of those calls counts `ok`.
    const cognito = samples.filter((sample) => sample.name === 'otpgate_cognito_call_duration_seconds_count');
    expect(cognito.length).toBeGreaterThan(0);
    expect(cognito.filter((sample) => sample.labels.outcome !== 'ok').map((sample) => sample.line)).toEqual(
      [],
    );
    for (const step of ['InitiateAuth', 'RespondToAuthChallenge', 'SignUp']) {
      expect(cognito.some((sample) => sample.labels.step === step)).toBe(true);
    }
  });

  it('still count a failure of Cognito itself as `error`', async () => {
    gw.emulator.injectFault({ operation: 'InitiateAuth', error: 'InternalErrorException', count: 1 });
    const failed = await gw.graphql(START_SIGN_IN, { input: { email: address('fault') } });
    expect(failed.body.errors?.[0]?.extensions?.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(await scrape()).toMatch(
      /^otpgate_cognito_call_duration_seconds_count\{step="InitiateAuth",outcome="error"\} 1$/m,
    );
  });
});

it('the real entry point in local mode: metrics on loopback, named in the banner, none on the public port', async () => {
  await using local = await startGatewayProcess({
    name: 'local-metrics',
    // No Cognito settings: local mode. METRICS_PORT=0 (the harness default) picks a free port.
    env: { OTPGATE_HMAC_SECRET: undefined },
  });
  const banner = /Metrics:\s+(http:\/\/127\.0\.0\.1:\d+\/metrics)/.exec(local.output());
  expect(banner, local.output().slice(0, 2_000)).not.toBeNull();
  const metricsUrl = banner?.[1] as string;
  expect(metricsUrl).toBe(local.metricsUrl);
  const text = await (await fetch(metricsUrl)).text();
  expect(text).toContain('otpgate_graphql_requests_total');
  // Node process metrics (heap, event loop, the runtime's version) stay, on this private port only.
  expect(text).toMatch(/^otpgate_nodejs_version_info\{/m);
  const publicMetrics = await fetch(`${local.url}/metrics`);
  expect(publicMetrics.status).toBe(404);
  expect(await publicMetrics.text()).not.toContain('nodejs');
  expect(await local.stop('SIGTERM')).toBe(0);
});
