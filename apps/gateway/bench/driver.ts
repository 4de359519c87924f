import { createCognitoClient } from '@otpgate/cognito-otp';
import autocannon from 'autocannon';
import { emailOtpAnswer, emailOtpStart } from './lib/cognito.js';
import { keepAliveAgent, requestJson, runPool } from './lib/http.js';
import {
  type BaselineResult,
  DOCUMENTS,
  type DriverCommand,
  type DriverReply,
  type PhaseResult,
  peerCode,
  peerEmail,
  type RateResult,
  signUpEmail,
  type TimedMutation,
  userEmail,
} from './lib/protocol.js';

/**
 * The load driver: a process of its own (forked by run.ts with an IPC channel), so the requests it
 * makes, the JSON it parses and the AWS SDK it runs are never charged to the gateway's CPU. It does
 * one command at a time and answers with its result; run.ts measures around each command.
 */

const START_SIGN_IN = DOCUMENTS.startSignIn;
const VERIFY_OTP = DOCUMENTS.verifyOtp;

interface GraphQLBody {
  data?: Record<string, { nextStep?: string; challenge?: { handle?: string } } | null> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** Enough sockets for any concurrency we use; the pools never open more than they run at once. */
const gatewayAgent = keepAliveAgent(256);
const peerAgent = keepAliveAgent(256);
const emulatorAgent = keepAliveAgent(64);

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function graphql(gateway: string, query: string, variables: Record<string, unknown>) {
  const response = await requestJson<GraphQLBody>(gatewayAgent, 'POST', `${gateway}/graphql`, {
    query,
    variables,
  });
  return response;
}

function describe(response: { status: number; body: GraphQLBody }): string {
  const error = response.body.errors?.[0];
  return `HTTP ${response.status} ${error?.extensions?.code ?? ''} ${error?.message ?? JSON.stringify(response.body).slice(0, 200)}`;
}

async function startSignIn(gateway: string, email: string): Promise<string> {
  const response = await graphql(gateway, START_SIGN_IN, { input: { email } });
  const step = response.body.data?.startSignIn;
  const handle = step?.challenge?.handle;
  if (step?.nextStep !== 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE' || typeof handle !== 'string') {
    throw new Error(`startSignIn: ${describe(response)}`);
  }
  return handle;
}

async function verifyOtp(gateway: string, handle: string, code: string): Promise<void> {
  const response = await graphql(gateway, VERIFY_OTP, { input: { handle, code } });
  if (response.body.data?.verifyOtp?.nextStep !== 'DONE') throw new Error(`verifyOtp: ${describe(response)}`);
}

/** The newest code sent to `to`; the emulator files it before it answers, so a few tries are plenty. */
async function latestCode(emulator: string, to: string, kind: 'SIGN_IN' | 'SIGN_UP'): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const response = await requestJson<Array<{ code: string; kind: string }>>(
      emulatorAgent,
      'GET',
      `${emulator}/_dev/messages?to=${encodeURIComponent(to)}`,
    );
    const message = Array.isArray(response.body) ? response.body.find((m) => m.kind === kind) : undefined;
    if (message) return message.code;
    await sleep(20);
  }
  throw new Error(`no ${kind} code arrived for ${to}`);
}

async function cognito(emulator: string, operation: string, body: Record<string, unknown>) {
  const response = await requestJson<Record<string, unknown>>(emulatorAgent, 'POST', `${emulator}/`, body, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amz-target': `AWSCognitoIdentityProviderService.${operation}`,
  });
  if (response.status !== 200) throw new Error(`${operation}: HTTP ${response.status}`);
  return response.body;
}

/** Counts outcomes of a pool of tasks; keeps the first error's message. */
function tally(): PhaseResult & { record(error?: unknown): void; started: number } {
  const result = {
    ok: 0,
    failed: 0,
    wallMs: 0,
    started: performance.now(),
    firstError: undefined as string | undefined,
    record(error?: unknown) {
      if (error === undefined) result.ok += 1;
      else {
        result.failed += 1;
        result.firstError ??= error instanceof Error ? error.message : String(error);
      }
    },
  };
  return result;
}

function finish(t: ReturnType<typeof tally>): PhaseResult {
  return {
    ok: t.ok,
    failed: t.failed,
    wallMs: performance.now() - t.started,
    ...(t.firstError === undefined ? {} : { firstError: t.firstError }),
  };
}

/** Runs `task(0..count-1)`, `concurrency` at a time, and tallies which ones threw. */
async function tallied(count: number, concurrency: number, task: (index: number) => Promise<void>) {
  const t = tally();
  await runPool(count, concurrency, async (i) => {
    try {
      await task(i);
      t.record();
    } catch (error) {
      t.record(error);
    }
  });
  return finish(t);
}

/** Handles (with their codes) from the last `start`, waiting for `verify`. */
let held: Array<{ handle: string; code: string }> = [];

async function run(command: DriverCommand): Promise<unknown> {
  switch (command.cmd) {
    case 'setup': {
      // Straight on the emulator (SignUp, then ConfirmSignUp with the mailed code): no gateway work.
      const t = tally();
      await runPool(command.count, command.concurrency, async (i) => {
        const email = userEmail(command.from + i);
        try {
          await cognito(command.emulator, 'SignUp', {
            ClientId: command.clientId,
            Username: email,
            UserAttributes: [{ Name: 'email', Value: email }],
          });
          const code = await latestCode(command.emulator, email, 'SIGN_UP');
          await cognito(command.emulator, 'ConfirmSignUp', {
            ClientId: command.clientId,
            Username: email,
            ConfirmationCode: code,
          });
          t.record();
        } catch (error) {
          t.record(error);
        }
      });
      await requestJson(emulatorAgent, 'DELETE', `${command.emulator}/_dev/messages`);
      return finish(t);
    }

    case 'autocannon': {
      const result = await autocannon({
        url: command.url,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(command.body),
        connections: command.connections,
        amount: command.requests,
      });
      const summary: BaselineResult = {
        requests: result.requests.total,
        non2xx: result.non2xx,
        errors: result.errors,
        p50: result.latency.p50,
        p99: result.latency.p99,
        requestsPerSecond: result.requests.average,
      };
      return summary;
    }

    case 'start': {
      const t = tally();
      const kept: Array<{ handle: string; code: string }> = [];
      await runPool(command.count, command.concurrency, async (i) => {
        const email = userEmail(command.from + i);
        try {
          const handle = await startSignIn(command.gateway, email);
          if (command.fetchCodes) {
            kept.push({ handle, code: await latestCode(command.emulator, email, 'SIGN_IN') });
          }
          t.record();
        } catch (error) {
          t.record(error);
        }
      });
      held = kept;
      return finish(t);
    }

    case 'verify': {
      const batch = held;
      held = [];
      return tallied(batch.length, command.concurrency, async (i) => {
        const { handle, code } = batch[i]!;
        await verifyOtp(command.gateway, handle, code);
      });
    }

    case 'flows':
      return tallied(command.count, command.concurrency, async (i) => {
        const email = userEmail(command.from + i);
        const handle = await startSignIn(command.gateway, email);
        await verifyOtp(command.gateway, handle, await latestCode(command.emulator, email, 'SIGN_IN'));
      });

    case 'signUpFlows':
      return tallied(command.count, command.concurrency, async (i) => {
        const email = signUpEmail(command.from + i);
        const started = await graphql(command.gateway, DOCUMENTS.signUp, { input: { email } });
        const handle = started.body.data?.signUp?.challenge?.handle;
        if (typeof handle !== 'string') throw new Error(`signUp: ${describe(started)}`);
        const code = await latestCode(command.emulator, email, 'SIGN_UP');
        const done = await graphql(command.gateway, DOCUMENTS.confirmSignUp, { input: { handle, code } });
        if (done.body.data?.confirmSignUp?.nextStep !== 'DONE')
          throw new Error(`confirmSignUp: ${describe(done)}`);
      });

    case 'peerFlows': {
      // The gateway sees every bench request from one address; so does the peer (its rate limiter
      // reads the client IP from x-forwarded-for).
      const headers = { 'x-forwarded-for': '127.0.0.1' };
      const post = async (path: string, body: object) => {
        const response = await requestJson<{ success?: boolean; token?: string }>(
          peerAgent,
          'POST',
          `${command.peer}/api/auth/${path}`,
          body,
          headers,
        );
        if (response.status !== 200) {
          throw new Error(`${path}: HTTP ${response.status} ${JSON.stringify(response.body).slice(0, 200)}`);
        }
        return response.body;
      };
      return tallied(command.count, command.concurrency, async (i) => {
        const email = peerEmail(command.from + i);
        const sent = await post('email-otp/send-verification-otp', { email, type: 'sign-in' });
        if (sent.success !== true) throw new Error('send-verification-otp: no success');
        const signedIn = await post('sign-in/email-otp', { email, otp: peerCode(command.from + i) });
        if (typeof signedIn.token !== 'string') throw new Error('sign-in/email-otp: no session token');
      });
    }

    case 'rate':
      return rate(command);

    case 'sequential': {
      const timeline: TimedMutation[] = [];
      for (let i = 0; i < command.count; i++) {
        const email = userEmail(command.from + i);
        let start = now();
        const handle = await startSignIn(command.gateway, email);
        timeline.push({ op: 'startSignIn', start, end: now() });
        const code = await latestCode(command.emulator, email, 'SIGN_IN');
        await sleep(command.idleMs);
        start = now();
        await verifyOtp(command.gateway, handle, code);
        timeline.push({ op: 'verifyOtp', start, end: now() });
        await sleep(command.idleMs);
      }
      return timeline;
    }

    case 'clearMailbox':
      await requestJson(emulatorAgent, 'DELETE', `${command.emulator}/_dev/messages`);
      return null;

    case 'exit':
      setImmediate(() => process.exit(0));
      return null;
  }
}

/**
 * Open loop: flow i starts at t0 + i / rate whatever happened to the earlier ones, and the first
 * step's latency counts from that scheduled time (a driver that falls behind cannot hide a slow
 * server: no coordinated omission). The second step starts as soon as the code is read.
 */
async function rate(command: Extract<DriverCommand, { cmd: 'rate' }>): Promise<RateResult> {
  const t = tally();
  const first: number[] = [];
  const second: number[] = [];
  let maxLagMs = 0;
  const sdk =
    command.via === 'sdk'
      ? createCognitoClient({
          region: command.region,
          endpoint: command.emulator,
          credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
        })
      : undefined;

  const flow = async (i: number, scheduled: number) => {
    const email = userEmail(command.from + i);
    try {
      if (sdk === undefined) {
        const handle = await startSignIn(command.gateway, email);
        first.push(performance.now() - scheduled);
        const code = await latestCode(command.emulator, email, 'SIGN_IN');
        const sent = performance.now();
        await verifyOtp(command.gateway, handle, code);
        second.push(performance.now() - sent);
      } else {
        const started = await sdk.send(emailOtpStart(command.clientId, email), {
          abortSignal: AbortSignal.timeout(10_000),
        });
        first.push(performance.now() - scheduled);
        if (started.ChallengeName !== 'EMAIL_OTP' || started.Session === undefined) {
          throw new Error(`InitiateAuth answered ${started.ChallengeName}`);
        }
        const code = await latestCode(command.emulator, email, 'SIGN_IN');
        const sent = performance.now();
        const done = await sdk.send(emailOtpAnswer(command.clientId, started.Session, email, code), {
          abortSignal: AbortSignal.timeout(10_000),
        });
        second.push(performance.now() - sent);
        if (done.AuthenticationResult === undefined) throw new Error('RespondToAuthChallenge gave no tokens');
      }
      t.record();
    } catch (error) {
      t.record(error);
    }
  };

  const interval = 1000 / command.flowsPerSecond;
  const t0 = performance.now() + 50;
  const inFlight: Promise<void>[] = [];
  for (let i = 0; i < command.count; i++) {
    const scheduled = t0 + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 0) await sleep(wait);
    maxLagMs = Math.max(maxLagMs, performance.now() - scheduled);
    inFlight.push(flow(i, scheduled));
  }
  await Promise.all(inFlight);
  sdk?.destroy();
  return { ...finish(t), first, second, maxLagMs };
}

process.on('message', (message: DriverCommand) => {
  run(message).then(
    (result) => process.send?.({ ok: true, result } satisfies DriverReply),
    (error: unknown) =>
      process.send?.({
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      } satisfies DriverReply),
  );
});
// The orchestrator went away: nothing left to drive.
process.on('disconnect', () => process.exit(0));
