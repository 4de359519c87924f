import type { Owner } from './attribution.js';
import type { SdkVariant } from './protocol.js';
import type { latencySummary } from './stats.js';

/** Everything one `pnpm bench` run measured; report.ts renders it, BENCH_JSON saves it. */
export interface BenchResults {
  /** ISO time the run finished. */
  when: string;
  commit: string;
  machine: { cpus: number; cpuModel: string; node: string; redis: string; os: string };
  settings: Record<string, number | string | boolean>;
  baseline: {
    requests: number;
    cpuSeconds: number;
    cpuUsPerRequest: number;
    /** Part of the CPU spent in the kernel (system calls: sockets, files), 0..1. */
    systemShare: number;
    requestsPerSecond: number;
    p50Ms: number;
    p99Ms: number;
  };
  /** node:http answering a small JSON POST (bench/http-baseline.ts): the cost of any trivial request. */
  httpBaseline: { requests: number; cpuUsPerRequest: number; systemShare: number; requestsPerSecond: number };
  /** The gateway's HTTP and GraphQL layer with a stub engine (bench/layer-server.ts), µs per request. */
  layer: { startSignInUs: number; verifyOtpUs: number };
  /**
   * The Cognito call alone (bench/sdk-floor.ts: the engine's SDK client, nothing else), µs per call:
   * InitiateAuth as startSignIn makes it, RespondToAuthChallenge as verifyOtp makes it.
   */
  sdkFloor: {
    /** The engine's client (createCognitoClient), µs per call. */
    initiateAuthUs: number;
    respondUs: number;
    /** Every client variant of bench/sdk-floor.ts, µs per call, measured in alternation. */
    variants: Record<SdkVariant, { initiateAuthUs: number; respondUs: number; calls: number }>;
    /** The same clients with a canned answer instead of a socket: the SDK's own work, µs per call. */
    sdkOnly: Record<SdkVariant, { initiateAuthUs: number; respondUs: number; calls: number }>;
  };
  /**
   * Whole flows, per flow, by `<system>-<concurrency>`: `gateway-8` (startSignIn + verifyOtp),
   * `signUp-8` (signUp + confirmSignUp), `peer-8` (Better Auth: send the code, sign in), the same at 16.
   * CPU of the server process, CPU of its Redis, Redis commands.
   */
  wholeFlows: Record<string, PhaseCost>;
  peer: { name: string; version: string };
  /** CPU per call in each round (µs), to show how much the machine drifted during the run. */
  rounds: Array<{
    httpBaselineUs: number;
    baselineUs: number;
    layerStartSignInUs: number;
    layerVerifyOtpUs: number;
    sdkInitiateAuthUs: number;
    sdkRespondUs: number;
    startSignInUs: number;
    verifyOtpUs: number;
    /** Whole flows: `gateway8`, `peer8`, `gateway16`, `peer16`, µs of server CPU per flow. */
    flowUs: Record<string, number>;
  }>;
  gateway: {
    /** CPU the gateway burns while idle, µs per second (timers, metrics): context for the numbers below. */
    idleCpuUsPerSecond: number;
    mutations: Record<MutationName, MutationCost>;
    /**
     * Whose CPU a profile of each mutation shows (lib/attribution.ts), taken in a phase of its own after
     * the measured rounds (the profiler slows the process down): the shares of busy samples, and the
     * engine's share times the unprofiled CPU per mutation.
     */
    profiled: Record<MutationName, { mutations: number; shares: Record<Owner, number>; engineUs: number }>;
  };
  latency: {
    flowsPerSecond: number;
    flows: number;
    sdk: { first: Summary; second: Summary; maxLagMs: number; failed: number; firstError?: string };
    gateway: { first: Summary; second: Summary; maxLagMs: number; failed: number; firstError?: string };
  };
  pending: {
    handles: number;
    usedMemoryDelta: number;
    bytesPerHandle: number;
    keysPerHandle: number;
    /** MEMORY USAGE of the handle keys alone, mean over a sample. */
    handleKeyBytes: number;
    /** MEMORY USAGE of the other keys those startSignIn calls created (limiter counters), per handle. */
    counterBytesPerHandle: number;
  };
  /** Standalone Redis. */
  roundTrips: RoundTrips;
  /** A 3-master Redis Cluster, a delaying proxy in front of each node. */
  clusterRoundTrips: RoundTrips;
  soak: {
    flows: number;
    forcedGc: boolean;
    samples: Array<{ flows: number; heapUsed: number; heapUsedAfterGc?: number; rss: number }>;
    /** Least-squares slope over the second half, bytes per flow (after-GC heap when forced, else raw). */
    slopeBytesPerFlow: number;
    r2: number;
    /** The slope times the flows of the second half: the growth a trend would add over that span. */
    projectedGrowthBytes: number;
    wallSeconds: number;
  };
}

export type MutationName = 'startSignIn' | 'verifyOtp';

export interface RoundTrips {
  /** Why the round trips could not be measured (the cluster phase failed); the rows say n/a. */
  error?: string;
  delayMs: number;
  samples: number;
  perMutation: Record<MutationName, { rounds: number[]; topLevel: number[]; inLua: number[]; shape: string }>;
}

/** One kind of operation measured over pooled phases: everything per operation. */
export interface PhaseCost {
  count: number;
  cpuSeconds: number;
  /** CPU of the server process per operation, µs. */
  cpuUs: number;
  /** Part of the CPU spent in the kernel (system calls: sockets, files), 0..1. */
  systemShare: number;
  /** CPU of the redis-server behind it per operation (INFO cpu), µs. */
  redisCpuUs: number;
  /** Commands Redis executed per operation (INFO commandstats: top-level and inside Lua), by name. */
  commands: Record<string, number>;
  commandsPerOp: number;
  wallSeconds: number;
}

export interface MutationCost extends PhaseCost {
  cpuUsPerMutation: number;
}

export type Summary = ReturnType<typeof latencySummary>;
