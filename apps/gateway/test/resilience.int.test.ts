import { type Emulator, type PasswordlessPool, startEmulator } from '@otpgate/cognito-emulator';
import { type RedisServer, startRedis } from '@otpgate/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  connectionRefused,
  type GatewayProcess,
  LOAD_LIMITS,
  profileEnv,
  sleep,
  startGatewayProcess,
} from './process.js';
import {
  confirmSignUp,
  type FlowRecord,
  newAddress,
  newestCode,
  register,
  resendOtp,
  runFlowLoops,
  type StepResult,
  signUp,
  splitByOutage,
  startSignIn,
  tally,
  verifyOtp,
} from './process-flows.js';

// Issue 5: the real gateway process under failure. Redis restarted under load; Cognito slower than the
// engine's timeout, and throttling; SIGTERM with requests in flight. Whatever fails, the client gets a
// contract error promptly, never a 500, never a hang, and Cognito is never hammered by retries.

/** The engine's per-call Cognito timeout (its default; main.ts does not change it). */
const COGNITO_TIMEOUT_MS = 4_000;

let emulator: Emulator;
let redis: RedisServer;
let pool: PasswordlessPool;
let env: Record<string, string>;
let gw: GatewayProcess;

beforeAll(async () => {
  [emulator, redis] = await Promise.all([startEmulator({ port: 0 }), startRedis()]);
  pool = await emulator.createPasswordlessPool();
  env = { ...profileEnv(pool, emulator.url, { limits: LOAD_LIMITS }), REDIS_URL: redis.url };
  gw = await startGatewayProcess({ name: 'resilience', env });
});

afterAll(async () => {
  await gw?.stop();
  await redis?.[Symbol.asyncDispose]();
  await emulator?.close();
});

/** The Cognito operations the engine calls (the gateway's start-up pool check makes others). */
const ENGINE_OPERATIONS = new Set([
  'SignUp',
  'ConfirmSignUp',
  'ResendConfirmationCode',
  'InitiateAuth',
  'RespondToAuthChallenge',
  'GetTokensFromRefreshToken',
  'RevokeToken',
  'GlobalSignOut',
]);

/** Engine calls the emulator received per operation since `before` (a snapshot of `emulator.calls()`). */
function callsSince(before: Record<string, number>): Record<string, number> {
  const delta: Record<string, number> = {};
  for (const [operation, count] of Object.entries(emulator.calls())) {
    if (!ENGINE_OPERATIONS.has(operation)) continue;
    const n = count - (before[operation] ?? 0);
    if (n > 0) delta[operation] = n;
  }
  return delta;
}

async function until(what: string, condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe('Redis restarted under load', () => {
  it('requests during the outage get SERVICE_UNAVAILABLE within a few seconds; the gateway recovers without a restart', async () => {
    const emails = [newAddress('outage'), newAddress('outage')];
    for (const email of emails) await register(gw, emulator, email);

    let stopAt = Date.now() + 20_000;
    const stream = runFlowLoops({ gateways: [gw], emulator, emails, stop: () => Date.now() > stopAt });
    const timeline: Record<string, number> = {};
    let downAt = Number.POSITIVE_INFINITY;
    let readyAt = Number.POSITIVE_INFINITY;
    try {
      await sleep(1_500);
      downAt = Date.now();
      await redis.stop();
      // A request of our own while Redis is down: refused promptly, and said why.
      const refused = await startSignIn(gw, emails[0] as string);
      expect(refused.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
      expect(refused.ms).toBeLessThan(3_000);
      expect(await gw.probe('/readyz')).toBe(503);
      await sleep(2_000);
      await redis.start();
      timeline.redisDownMs = Date.now() - downAt;
      // ioredis reconnects on its own back-off (at most 2 s apart): no restart of the gateway.
      await until('the gateway to be ready again', async () => (await gw.probe('/readyz')) === 200, 10_000);
      readyAt = Date.now();
      timeline.readyAfterRestartMs = readyAt - downAt - timeline.redisDownMs;
      stopAt = Math.min(stopAt, readyAt + 3_000);
    } finally {
      stopAt = Math.min(stopAt, Date.now() + 3_000);
      await stream.catch(() => undefined);
    }
    const records: FlowRecord[] = await stream;
    const { before, during, after, slowestMs: slowest } = splitByOutage(records, downAt, readyAt);
    console.info(
      JSON.stringify({
        timeline,
        flows: { before: tally(before), during: tally(during), after: tally(after) },
        slowestRequestMs: Math.round(slowest),
      }),
    );

    expect(tally(before)).toEqual({ DONE: before.length });
    // Redis keeps nothing across the restart (no persistence in tests): a flow whose handle was
    // written before it may end SESSION_EXPIRED, which tells the client to start again.
    for (const record of during) {
      expect(['DONE', 'SERVICE_UNAVAILABLE', 'SESSION_EXPIRED'], record.outcome).toContain(record.outcome);
    }
    expect(during.filter((record) => record.outcome === 'SERVICE_UNAVAILABLE').length).toBeGreaterThan(0);
    for (const record of records) {
      for (const request of record.requests) expect(request.status).not.toBe(500);
    }
    expect(slowest).toBeLessThan(3_000);
    expect(after.length).toBeGreaterThan(4);
    expect(tally(after)).toEqual({ DONE: after.length });
    expect(gw.running).toBe(true);
  });
});

describe('Cognito slow and throttled', () => {
  const expectUpstream = (result: StepResult) => {
    expect(result.status).not.toBe(500);
    expect(result.extensions).toEqual({ code: 'UPSTREAM_UNAVAILABLE', retryAfterSeconds: 1 });
  };

  it('slower than the engine timeout: UPSTREAM_UNAVAILABLE at the timeout, one InitiateAuth per startSignIn, no retry', async () => {
    const emails = [newAddress('slow'), newAddress('slow'), newAddress('slow')];
    const before = emulator.calls();
    emulator.injectFault({ operation: 'InitiateAuth', latencyMs: COGNITO_TIMEOUT_MS + 3_000, count: 3 });
    const results = await Promise.all(emails.map((email) => startSignIn(gw, email)));
    console.info(JSON.stringify({ slowCognitoAnsweredMs: results.map((result) => Math.round(result.ms)) }));
    for (const result of results) {
      expectUpstream(result);
      // Answered when the engine gave up, not when the emulator would have (timeout + 3 s), and not
      // after a second attempt (twice the timeout).
      expect(result.ms).toBeGreaterThan(COGNITO_TIMEOUT_MS - 200);
      expect(result.ms).toBeLessThan(COGNITO_TIMEOUT_MS + 2_500);
    }
    expect(callsSince(before)).toEqual({ InitiateAuth: 3 });
    // Still one each once the emulator has finished the slow calls: nothing was retried later.
    await sleep(3_500);
    expect(callsSince(before)).toEqual({ InitiateAuth: 3 });
  });

  it('throttled (TooManyRequestsException): UPSTREAM_UNAVAILABLE with retryAfterSeconds, exactly one Cognito call per mutation', async () => {
    const user = newAddress('throttled');
    await register(gw, emulator, user);
    const pendingSignUp = newAddress('throttled-up');
    const up = await signUp(gw, pendingSignUp);
    const signIn = await startSignIn(gw, user);
    // resendOtp needs resendAvailableAt to have passed (LOAD_LIMITS: 2 s after a send).
    await sleep(Math.max(0, Date.parse(signIn.step?.challenge?.resendAvailableAt ?? '') - Date.now()) + 100);

    const cases: Array<[string, string, () => Promise<StepResult>]> = [
      ['signUp', 'SignUp', () => signUp(gw, newAddress('throttled-new'))],
      ['startSignIn', 'InitiateAuth', () => startSignIn(gw, user)],
      ['resendOtp (sign-in)', 'InitiateAuth', () => resendOtp(gw, signIn.step?.challenge?.handle)],
      ['resendOtp (sign-up)', 'ResendConfirmationCode', () => resendOtp(gw, up.step?.challenge?.handle)],
      [
        'verifyOtp',
        'RespondToAuthChallenge',
        () => verifyOtp(gw, signIn.step?.challenge?.handle, newestCode(emulator, user)),
      ],
      [
        'confirmSignUp',
        'ConfirmSignUp',
        () => confirmSignUp(gw, up.step?.challenge?.handle, newestCode(emulator, pendingSignUp)),
      ],
    ];
    for (const [mutation, operation, run] of cases) {
      const before = emulator.calls();
      emulator.injectFault({ operation, error: 'TooManyRequestsException', count: 1 });
      const result = await run();
      expectUpstream(result);
      expect(callsSince(before), mutation).toEqual({ [operation]: 1 });
    }

    // Throttling spent neither handle: both finish once Cognito answers again.
    const done = await verifyOtp(gw, signIn.step?.challenge?.handle, newestCode(emulator, user));
    expect(done.step?.nextStep).toBe('DONE');
    const confirmed = await confirmSignUp(
      gw,
      up.step?.challenge?.handle,
      newestCode(emulator, pendingSignUp),
    );
    expect(confirmed.step?.nextStep).toBe('DONE');
  });
});

describe('SIGTERM under load', () => {
  it('in-flight requests finish with real answers, new connections are refused, the process exits 0', async () => {
    const draining = await startGatewayProcess({ name: 'draining', env });
    const inFlight = 4;
    const emails = Array.from({ length: inFlight }, () => newAddress('drain'));
    const before = emulator.calls();
    // Slow enough that the requests are still waiting for Cognito when the signal arrives.
    emulator.injectFault({ operation: 'InitiateAuth', latencyMs: 1_500, count: inFlight });
    let answered = 0;
    const requests = emails.map((email) =>
      startSignIn(draining, email).finally(() => {
        answered += 1;
      }),
    );
    await until(
      'every request to reach Cognito',
      async () => (callsSince(before).InitiateAuth ?? 0) === inFlight,
      5_000,
    );

    const signalledAt = performance.now();
    const exitCode = draining.stop('SIGTERM');
    // The listening socket closes at once: a new connection is refused while the others drain.
    await until('the port to refuse connections', () => connectionRefused(draining.port), 1_000);
    const refusedAfterMs = performance.now() - signalledAt;
    expect(answered).toBe(0);

    const results = await Promise.all(requests);
    for (const result of results) {
      expect(result.status).toBe(200);
      expect(result.error).toBeUndefined();
      expect(result.step?.nextStep).toBe('CONFIRM_SIGN_IN_WITH_EMAIL_CODE');
      expect(result.step?.challenge?.handle).toEqual(expect.any(String));
    }
    expect(await exitCode).toBe(0);
    const drainMs = performance.now() - signalledAt;
    console.info(
      JSON.stringify({ inFlight, refusedAfterMs: Math.round(refusedAfterMs), drainMs: Math.round(drainMs) }),
    );
    expect(await connectionRefused(draining.port)).toBe(true);
    expect(draining.logs().some((line) => line.msg === 'shutting down: finishing in-flight requests')).toBe(
      true,
    );
    // The handles were stored before the answers left: another replica can finish these sign-ins.
    const handle = results[0]?.step?.challenge?.handle;
    // These addresses have no account, so their handles never accept a code (docs/API.md), but a handle
    // the store had lost would be SESSION_EXPIRED instead.
    const probe = await verifyOtp(gw, handle, '12345678');
    expect(probe.extensions).toMatchObject({ code: 'CODE_MISMATCH' });
  });
});
