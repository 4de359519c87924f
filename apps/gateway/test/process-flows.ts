import type { Emulator } from '@otpgate/cognito-emulator';
import {
  CONFIRM_SIGN_UP,
  RESEND_OTP,
  SIGN_UP,
  START_SIGN_IN,
  type StepData,
  VERIFY_OTP,
} from './operations.js';
import { type GatewayProcess, type ProcessResponse, sleep } from './process.js';

/** Flow steps against gateway processes, for the multi-process, failover and resilience tests. */

export interface StepResult {
  status: number;
  step: StepData | undefined;
  /** `extensions.code` of the first error, if any. */
  error: string | undefined;
  extensions: Record<string, unknown> | undefined;
  ms: number;
}

function resultOf(response: ProcessResponse<Record<string, StepData>>): StepResult {
  const first = response.body.errors?.[0];
  const code = first?.extensions?.code;
  return {
    status: response.status,
    step: response.body.data ? Object.values(response.body.data)[0] : undefined,
    // A body without a code (not JSON, a proxy page) is reported as such, never as an answer.
    error: first === undefined ? undefined : typeof code === 'string' ? code : `NO_CODE: ${first.message}`,
    extensions: first?.extensions,
    ms: response.ms,
  };
}

export async function step(
  gw: GatewayProcess,
  query: string,
  input: Record<string, unknown>,
  timeoutMs?: number,
): Promise<StepResult> {
  return resultOf(
    await gw.graphql<Record<string, StepData>>(
      query,
      { input },
      timeoutMs === undefined ? {} : { timeoutMs },
    ),
  );
}

export const signUp = (gw: GatewayProcess, email: string) => step(gw, SIGN_UP, { email });
export const confirmSignUp = (gw: GatewayProcess, handle: string | undefined, code: string) =>
  step(gw, CONFIRM_SIGN_UP, { handle, code });
export const startSignIn = (gw: GatewayProcess, email: string, timeoutMs?: number) =>
  step(gw, START_SIGN_IN, { email }, timeoutMs);
export const verifyOtp = (gw: GatewayProcess, handle: string | undefined, code: string, timeoutMs?: number) =>
  step(gw, VERIFY_OTP, { handle, code }, timeoutMs);
export const resendOtp = (gw: GatewayProcess, handle: string | undefined) => step(gw, RESEND_OTP, { handle });

/** The newest code the emulator sent to `to`. */
export function newestCode(emulator: Emulator, to: string): string {
  const message = emulator.messages(to)[0];
  if (!message) throw new Error('no code was sent to that address');
  return message.code;
}

let sequence = 0;
/** A fresh address per call, unique across test files running in parallel. */
export const newAddress = (tag: string) => `${tag}.${process.pid}.${++sequence}@processes.example`;

/** Registers `email` through the gateway (signUp, then confirmSignUp with the mailed code). */
export async function register(gw: GatewayProcess, emulator: Emulator, email: string): Promise<void> {
  const up = await signUp(gw, email);
  if (up.error !== undefined) throw new Error(`signUp failed: ${up.error}`);
  const done = await confirmSignUp(gw, up.step?.challenge?.handle, newestCode(emulator, email));
  if (done.step?.nextStep !== 'DONE') throw new Error(`confirmSignUp failed: ${done.error}`);
}

/** A code of the right length that is not the mailed one. */
export const wrongCode = (good: string) => (good[0] === '1' ? '2' : '1') + good.slice(1);

export interface FlowRecord {
  loop: number;
  /** Epoch ms when the flow's first request was sent, and when its last answer came. */
  startedAt: number;
  endedAt: number;
  /** 'DONE', the `extensions.code` that ended it, or TIMEOUT / NETWORK when no answer came. */
  outcome: string;
  /** The step that ended it. */
  at: 'startSignIn' | 'verifyOtp';
  /** HTTP status and duration of each request. */
  requests: Array<{ status: number; ms: number }>;
}

export interface FlowLoopOptions {
  /** A flow starts on one and is verified on the next (round robin). */
  gateways: GatewayProcess[];
  emulator: Emulator;
  /** One registered address per loop: its newest mailed code is always the current flow's. */
  emails: string[];
  /** Checked before each flow; the loops end once it returns true. */
  stop: () => boolean;
  /** Hard bound per loop. @default 500 */
  maxFlowsPerLoop?: number;
  /** Pause between a loop's flows, ms. @default 25 */
  pauseMs?: number;
  /** Per-request timeout, ms: past it the request counts as TIMEOUT. @default 10000 */
  requestTimeoutMs?: number;
}

/**
 * A steady, bounded stream of sign-ins (startSignIn on one gateway, verifyOtp with the mailed code on
 * the next), one sequential loop per address. Every flow is recorded, whatever its end.
 */
export async function runFlowLoops(options: FlowLoopOptions): Promise<FlowRecord[]> {
  const records: FlowRecord[] = [];
  const { gateways, emulator } = options;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const loop = async (index: number, email: string) => {
    for (let n = 0; n < (options.maxFlowsPerLoop ?? 500) && !options.stop(); n++) {
      const first = gateways[(index + n) % gateways.length] as GatewayProcess;
      const second = gateways[(index + n + 1) % gateways.length] as GatewayProcess;
      const record: FlowRecord = {
        loop: index,
        startedAt: Date.now(),
        endedAt: 0,
        outcome: '',
        at: 'startSignIn',
        requests: [],
      };
      try {
        const start = await startSignIn(first, email, timeoutMs);
        record.requests.push({ status: start.status, ms: start.ms });
        if (start.step?.nextStep !== 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE') {
          record.outcome = start.error ?? `UNEXPECTED_STEP ${start.step?.nextStep}`;
        } else {
          record.at = 'verifyOtp';
          const done = await verifyOtp(
            second,
            start.step.challenge?.handle,
            newestCode(emulator, email),
            timeoutMs,
          );
          record.requests.push({ status: done.status, ms: done.ms });
          record.outcome = done.step?.nextStep === 'DONE' ? 'DONE' : (done.error ?? 'UNEXPECTED_STEP');
        }
      } catch (error) {
        record.outcome = error instanceof Error && error.name === 'TimeoutError' ? 'TIMEOUT' : 'NETWORK';
      }
      record.endedAt = Date.now();
      records.push(record);
      await sleep(options.pauseMs ?? 25);
    }
  };
  await Promise.all(options.emails.map((email, index) => loop(index, email)));
  return records;
}

/** Outcome counts, for assertions and the report. */
export function tally(records: FlowRecord[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const record of records) counts[record.outcome] = (counts[record.outcome] ?? 0) + 1;
  return counts;
}

/**
 * Flows around an outage that began at `downAt` and ended at `upAt` (epoch ms): those that ended
 * before it, those it touched, and those started after it; and the slowest single request of all.
 */
export function splitByOutage(records: FlowRecord[], downAt: number, upAt: number) {
  return {
    before: records.filter((record) => record.endedAt < downAt),
    during: records.filter((record) => record.endedAt >= downAt && record.startedAt < upAt),
    after: records.filter((record) => record.startedAt >= upAt),
    slowestMs: Math.max(...records.flatMap((record) => record.requests.map((request) => request.ms))),
  };
}
