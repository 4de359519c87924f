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
  /** The gateway's HTTP and GraphQL layer with a stub engine (bench/layer-server.ts), µs per request. */
  layer: { startSignInUs: number; verifyOtpUs: number };
  /**
   * The Cognito call alone (bench/sdk-floor.ts: the engine's SDK client, nothing else), µs per call:
   * InitiateAuth as startSignIn makes it, RespondToAuthChallenge as verifyOtp makes it.
   */
  sdkFloor: {
    initiateAuthUs: number;
    respondUs: number;
    /** The same calls through a client without the SDK's middleware cache (the engine's before). */
    uncached: { initiateAuthUs: number; respondUs: number };
  };
  /** CPU per call in each round (µs), to show how much the machine drifted during the run. */
  rounds: Array<{
    baselineUs: number;
    layerStartSignInUs: number;
    layerVerifyOtpUs: number;
    sdkInitiateAuthUs: number;
    sdkRespondUs: number;
    startSignInUs: number;
    verifyOtpUs: number;
  }>;
  gateway: {
    /** CPU the gateway burns while idle, µs per second (timers, metrics): context for the numbers below. */
    idleCpuUsPerSecond: number;
    mutations: Record<MutationName, MutationCost>;
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
  roundTrips: {
    delayMs: number;
    samples: number;
    perMutation: Record<
      MutationName,
      { rounds: number[]; topLevel: number[]; inLua: number[]; shape: string }
    >;
  };
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

export interface MutationCost {
  count: number;
  cpuSeconds: number;
  cpuUsPerMutation: number;
  /** Part of the CPU spent in the kernel (system calls: sockets, files), 0..1. */
  systemShare: number;
  /** Commands Redis executed per mutation (INFO commandstats: top-level and inside Lua), by name. */
  commands: Record<string, number>;
  commandsPerMutation: number;
  wallSeconds: number;
}

export type Summary = ReturnType<typeof latencySummary>;
