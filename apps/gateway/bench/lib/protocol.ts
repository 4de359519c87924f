/**
 * Messages between the orchestrator (run.ts) and the load driver (driver.ts), a separate process
 * connected by Node's IPC channel. The orchestrator reads CPU and Redis counters around each command;
 * the driver only makes requests.
 */

export interface Targets {
  /** Gateway base URL, `http://127.0.0.1:<port>`. */
  gateway: string;
  /** Emulator base URL (Cognito API and the dev mailbox). */
  emulator: string;
}

export type DriverCommand =
  /** Creates confirmed users `index(from) .. index(from+count-1)` straight on the emulator. */
  | { cmd: 'setup'; emulator: string; clientId: string; from: number; count: number; concurrency: number }
  /** autocannon: `requests` POSTs of one GraphQL body to `url` (the baseline's echo, the layer's mutations). */
  | { cmd: 'autocannon'; url: string; body: object; requests: number; connections: number }
  /**
   * startSignIn for users from..from+count-1; with `fetchCodes`, each code is read from the mailbox
   * and the handle kept for a later `verify`.
   */
  | (Targets & { cmd: 'start'; from: number; count: number; concurrency: number; fetchCodes: boolean })
  /** verifyOtp for every handle kept by `start`. */
  | { cmd: 'verify'; gateway: string; concurrency: number }
  /** Whole flows (startSignIn, mailbox, verifyOtp) for users from..from+count-1. */
  | (Targets & { cmd: 'flows'; from: number; count: number; concurrency: number })
  /** Whole sign-ups (signUp, mailbox, confirmSignUp: signed in) for new addresses `signUpEmail(from..)`. */
  | (Targets & { cmd: 'signUpFlows'; from: number; count: number; concurrency: number })
  /**
   * Whole flows on the peer (Better Auth): send the sign-in code, sign in with it (the user and its
   * session are created), for `peerEmail(from..)`; the peer derives each code from the address.
   */
  | { cmd: 'peerFlows'; peer: string; from: number; count: number; concurrency: number }
  /**
   * Whole flows started at a fixed rate (open loop), through the gateway or straight to the emulator
   * with the AWS SDK (InitiateAuth, RespondToAuthChallenge); latency per step.
   */
  | (Targets & {
      cmd: 'rate';
      via: 'gateway' | 'sdk';
      clientId: string;
      region: string;
      from: number;
      count: number;
      flowsPerSecond: number;
    })
  /** Flows one at a time with idle gaps, recording when each mutation ran (epoch ms). */
  | (Targets & { cmd: 'sequential'; from: number; count: number; idleMs: number })
  | { cmd: 'clearMailbox'; emulator: string }
  | { cmd: 'exit' };

/**
 * Clients of the SDK-floor process: `engine` is createCognitoClient as the engine uses it, `before`
 * the client as the engine built it before this run's settings, the others `before` plus one setting.
 */
export const SDK_VARIANTS = ['engine', 'before', 'agent', 'endpoint', 'noUserAgent'] as const;
export type SdkVariant = (typeof SDK_VARIANTS)[number];

/** Commands of the SDK-floor process (bench/sdk-floor.ts): bare AWS SDK calls to the emulator. */
export type SdkFloorCommand = { emulator: string; region: string; clientId: string } & (
  | { cmd: 'initiate'; from: number; count: number; concurrency: number; variant: SdkVariant }
  | { cmd: 'codes' }
  | { cmd: 'respond'; concurrency: number; variant: SdkVariant }
  /** The SDK's own CPU per call, canned answers, no socket: µs per call by variant. */
  | { cmd: 'sdkOnly'; variants: SdkVariant[]; calls: number }
);

export type DriverReply = { ok: true; result: unknown } | { ok: false; error: string };

export interface PhaseResult {
  /** Operations that answered as expected. */
  ok: number;
  failed: number;
  /** The first failure, for the report. */
  firstError?: string;
  wallMs: number;
}

export interface RateResult extends PhaseResult {
  /** Milliseconds per step, in start order: the first mutation (from its scheduled start) and the second. */
  first: number[];
  second: number[];
  /** How far behind schedule the driver started flows at worst, ms (should be ~0). */
  maxLagMs: number;
}

export interface GraphQLRequest {
  query: string;
  variables: Record<string, unknown>;
}

const CHALLENGE_STEP =
  'nextStep\n    challenge { handle codeLength expiresAt resendAvailableAt delivery { medium destination } }';
const TOKENS_STEP = 'nextStep\n    tokens { accessToken idToken refreshToken expiresIn tokenType }';
/** `mutation Name($input: NameInput!) { name(input: $input) { selection } }`, as a frontend writes it. */
const mutation = (name: string, selection: string) =>
  `mutation ${name}($input: ${name}Input!) {\n  ${name[0]?.toLowerCase()}${name.slice(1)}(input: $input) {\n    ${selection}\n  }\n}`;

/** The documents the driver sends: the gateway's flow mutations and the baseline's trivial one. */
export const DOCUMENTS = {
  startSignIn: mutation('StartSignIn', CHALLENGE_STEP),
  verifyOtp: mutation('VerifyOtp', TOKENS_STEP),
  signUp: mutation('SignUp', CHALLENGE_STEP),
  confirmSignUp: mutation('ConfirmSignUp', TOKENS_STEP),
  echo: 'mutation Echo($input: EchoInput!) { echo(input: $input) { ok value } }',
} as const;

export interface BaselineResult {
  requests: number;
  non2xx: number;
  errors: number;
  p50: number;
  p99: number;
  requestsPerSecond: number;
}

export interface TimedMutation {
  op: 'startSignIn' | 'verifyOtp';
  /** Epoch ms, sub-millisecond. */
  start: number;
  end: number;
}

/** The address of bench user `index`. */
export function userEmail(index: number): string {
  return `u${index}@bench.example`;
}

/** A new address for the gateway's sign-up flows (never created beforehand). */
export function signUpEmail(index: number): string {
  return `s${index}@bench.example`;
}

/** An address for the peer's flows; the peer's code for it is `peerCode(index)`. */
export function peerEmail(index: number): string {
  return `p${index}@bench.example`;
}

/** The code the peer sends to `peerEmail(index)` (its generateOTP: the number's last 6 digits). */
export function peerCode(index: number): string {
  return String(index).slice(-6).padStart(6, '0');
}
