import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type ManagedProcess,
  type RedisClusterNode,
  redisCommand,
  startProcess,
  startRedis,
  startRedisCluster,
} from '@otpgate/testing';
import { Redis } from 'ioredis';
import { type Attribution, attribute, type CpuProfile, shares } from './lib/attribution.js';
import { cpuSeconds, cpuTimes } from './lib/cpu.js';
import { available as canForceGc, connectInspector, type Inspector, inspectorUrl } from './lib/inspector.js';
import {
  type BaselineResult,
  DOCUMENTS,
  type DriverCommand,
  type DriverReply,
  type PhaseResult,
  type RateResult,
  SDK_VARIANTS,
  type SdkFloorCommand,
  type SdkVariant,
  type TimedMutation,
  userEmail,
} from './lib/protocol.js';
import {
  callsBetween,
  commandCalls,
  type DelayProxy,
  redisCpuSeconds,
  startDelayProxy,
  usedMemory,
} from './lib/redis.js';
import { renderReport, updateBenchmarksFile } from './lib/report.js';
import type { BenchResults, MutationCost, MutationName, PhaseCost, RoundTrips } from './lib/results.js';
import { latencySummary, linearRegression } from './lib/stats.js';

/**
 * `pnpm bench`: the gateway against a bare Apollo Server on one machine, in one run.
 *
 * Processes: Redis (a real redis-server), the Cognito emulator (its CLI), the gateway (its built
 * `dist/main.js`, configured by environment and a profiles file as in production), the baseline
 * server, and the load driver; this orchestrator only starts them, reads their counters around each
 * phase and writes the report. See BENCHMARKS.md for what each number means.
 *
 * Environment (all optional): BENCH_QUICK=1 (small counts everywhere: a run of a minute or two while
 * developing; its numbers are noisy), BENCH_FLOWS (soak length, default 10000), BENCH_CPU_FLOWS (1500),
 * BENCH_WARMUP_FLOWS (1500), BENCH_BASELINE_REQUESTS (15000), BENCH_CPU_ROUNDS (3), BENCH_CONCURRENCY (8),
 * BENCH_FLOW_PHASE (whole flows per round and concurrency, gateway and peer: 300), BENCH_SIGNUP_PHASE
 * (sign-ups per round and concurrency: 150), BENCH_SDK_CALLS (calls per SDK client variant per round:
 * 200), BENCH_RATE (flows/s of the latency phase, 25: 50 mutations/s), BENCH_RATE_FLOWS (500),
 * BENCH_PENDING (2000), BENCH_SEQUENTIAL_FLOWS (10), BENCH_WRITE=0 (do not update BENCHMARKS.md),
 * BENCH_JSON=<path> (save the raw results), BENCH_CPU_PROF=<dir> (CPU profiles of the main gateway and
 * the SDK floor, for hunting hot spots), BENCH_ONLY=cpu (the CPU phases alone, for quick before/after
 * comparisons), BENCH_GATEWAY_DIR=<dir> (measure another build of the gateway, e.g. the code before a
 * change).
 */

const GATEWAY_DIR = fileURLToPath(new URL('..', import.meta.url));
const REPO_DIR = fileURLToPath(new URL('../../..', import.meta.url));
const EMULATOR_CLI = join(REPO_DIR, 'packages/cognito-emulator/dist/cli.js');
const HMAC_SECRET = 'bench-only-hmac-secret-0123456789abcdefghijklmnop';

function setting(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

const QUICK = process.env.BENCH_QUICK === '1';
const settings = {
  flows: setting('BENCH_FLOWS', QUICK ? 1_000 : 10_000),
  cpuFlows: setting('BENCH_CPU_FLOWS', QUICK ? 300 : 1_500),
  warmupFlows: setting('BENCH_WARMUP_FLOWS', QUICK ? 300 : 1_500),
  baselineRequests: setting('BENCH_BASELINE_REQUESTS', QUICK ? 3_000 : 15_000),
  concurrency: setting('BENCH_CONCURRENCY', 8),
  cpuRounds: setting('BENCH_CPU_ROUNDS', QUICK ? 2 : 3),
  /** Whole flows per round at each of `flowConcurrencies`, on the gateway and on the peer. */
  flowPhase: setting('BENCH_FLOW_PHASE', QUICK ? 100 : 300),
  /** Whole sign-ups (signUp + confirmSignUp) per round at each of `flowConcurrencies`. */
  signUpPhase: setting('BENCH_SIGNUP_PHASE', QUICK ? 40 : 150),
  /** Calls per SDK client variant per round. */
  sdkCalls: setting('BENCH_SDK_CALLS', QUICK ? 60 : 200),
  flowsPerSecond: setting('BENCH_RATE', 25),
  rateFlows: setting('BENCH_RATE_FLOWS', QUICK ? 100 : 500),
  pendingHandles: setting('BENCH_PENDING', QUICK ? 300 : 2_000),
  sequentialFlows: setting('BENCH_SEQUENTIAL_FLOWS', QUICK ? 4 : 10),
  /** Reply delay of the round-trip proxies, ms. */
  proxyDelayMs: 20,
  /** Heap samples over the soak (the report shows every other one). */
  soakSamples: QUICK ? 6 : 20,
};
/** Calls per batch of one SDK client variant (the variants alternate batch by batch). */
const SDK_BATCH = 50;
/** Concurrent flows of the whole-flow phases (gateway and peer alike). */
const FLOW_CONCURRENCIES = [8, 16] as const;
const WRITE = process.env.BENCH_WRITE !== '0';
/**
 * A folder: the CPU phases of the main gateway are profiled (V8's sampling profiler through the
 * inspector, as `node --cpu-prof` would) and the profiles written there, to find hot spots.
 */
const CPU_PROFILE_DIR = process.env.BENCH_CPU_PROF;
const JSON_PATH = process.env.BENCH_JSON;
/**
 * Another build of the gateway to measure instead of this one's `dist` (a folder holding `dist/main.js`
 * and `dist/server.js`, with its own node_modules): how BENCHMARKS.md's "before" column was taken.
 */
const GATEWAY_BUILD = process.env.BENCH_GATEWAY_DIR ?? GATEWAY_DIR;
/** `cpu`: only the baseline and the gateway CPU phases, printed as JSON (quick A/B runs while optimising). */
const CPU_ONLY = process.env.BENCH_ONLY === 'cpu';

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// Users are consumed in order, one fresh address per flow, so no limit counter, Cognito session or
// mailbox entry is shared between flows.
let nextUser = 0;
function users(count: number): number {
  const from = nextUser;
  nextUser += count;
  return from;
}

/** The benchmark profile: the default limit rules (same counters, same Redis work) with points far out of reach. */
function profilesFile(pool: { userPoolId: string; clientId: string }): string {
  const high = (durationSeconds: number) => ({ points: 1_000_000_000, durationSeconds });
  return JSON.stringify({
    profiles: {
      default: {
        userPoolId: pool.userPoolId,
        clientId: pool.clientId,
        authSessionValiditySeconds: 900,
        limits: {
          sendPerDestination: [high(30), high(3600), high(86400)],
          sendPerIp: [high(3600)],
          sendPerProfile: [high(3600)],
          wrongCodesPerDestination: [high(3600)],
          wrongCodesPerIp: [high(86400)],
          requestsPerIp: [high(60)],
        },
      },
    },
  });
}

type Child = ManagedProcess<unknown>;

interface RunningGateway {
  child: Child;
  url: string;
  /** The metrics listener's /metrics URL (a build from before it existed: `${url}/metrics`). */
  metricsUrl: string;
  logFile: string;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-bench-'));
  const children: Child[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];
  // Stopped last, after every client and child process that talks to it.
  let redisServer: AsyncDisposable | undefined;
  try {
    const redis = await startRedis();
    redisServer = redis;
    const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? 'unknown';

    // The emulator, as its CLI: a process of its own, 15-minute sessions (the longest Cognito allows).
    const emulator = await startProcess({
      name: 'emulator',
      command: process.execPath,
      args: [EMULATOR_CLI, '--port', '0', '--print-json', '--session-validity', '15'],
      ready: jsonLine<{ endpoint: string; region: string; userPoolId: string; clientId: string }>,
    });
    children.push(emulator);
    const pool = emulator.ready;
    const profilesPath = join(dir, 'profiles.json');
    writeFileSync(profilesPath, profilesFile(pool));

    /** A gateway on standalone Redis (`redis://…`) or on a Cluster (`{ clusterNodes: 'host:port,…' }`). */
    const startGateway = async (
      name: string,
      store: string | { clusterNodes: string },
      nodeArgs: string[] = [],
    ) => {
      const logFile = join(dir, `${name}.log`);
      const child = await startProcess({
        name,
        command: process.execPath,
        args: [...nodeArgs, join(GATEWAY_BUILD, 'dist/main.js')],
        cwd: GATEWAY_BUILD,
        env: {
          NODE_ENV: 'production',
          PORT: '0',
          HOST: '127.0.0.1',
          METRICS_PORT: '0',
          LOG_LEVEL: 'info',
          OTPGATE_CONFIG: profilesPath,
          COGNITO_ENDPOINT: pool.endpoint,
          ...(typeof store === 'string' ? { REDIS_URL: store } : { REDIS_CLUSTER_NODES: store.clusterNodes }),
          OTPGATE_HMAC_SECRET: HMAC_SECRET,
          // The engine's Cognito calls are unsigned; dummy keys keep the SDK off the credential chain.
          AWS_ACCESS_KEY_ID: 'bench',
          AWS_SECRET_ACCESS_KEY: 'bench',
          AWS_EC2_METADATA_DISABLED: 'true',
        },
        output: { file: logFile },
        ready: listeningUrl,
      });
      children.push(child);
      const { url, metricsUrl } = child.ready;
      await child.waitFor('/readyz', async () =>
        (await status(`${url}/readyz`)) === 200 ? true : undefined,
      );
      return { child, url, metricsUrl, logFile } satisfies RunningGateway;
    };

    const driver = await startForked<DriverCommand>('bench/driver.ts');
    cleanups.push(() => driver.close());
    const targets = (gateway: RunningGateway) => ({ gateway: gateway.url, emulator: pool.endpoint });

    // Every user any phase will need, created on the emulator before anything is measured.
    const plan = {
      smoke: 20,
      pending: CPU_ONLY ? 0 : settings.pendingHandles,
      warmup: settings.warmupFlows + 50 * settings.cpuRounds,
      cpu: settings.cpuFlows,
      floor:
        SDK_VARIANTS.length * (300 + settings.cpuRounds * (SDK_BATCH + settings.sdkCalls)) +
        settings.cpuRounds * 100,
      wholeFlows: settings.cpuRounds * FLOW_CONCURRENCIES.length * (settings.flowPhase + 20),
      rate: CPU_ONLY ? 0 : 2 * (settings.rateFlows + 20),
      sequential: CPU_ONLY ? 0 : settings.sequentialFlows + 20,
      clusterSequential: CPU_ONLY ? 0 : settings.sequentialFlows + 20,
      soak: CPU_ONLY ? 0 : settings.flows + 100,
    };
    const totalUsers = Object.values(plan).reduce((a, b) => a + b, 0);
    log(`creating ${totalUsers} users on the emulator`);
    for (let from = 0; from < totalUsers; from += 2_000) {
      const count = Math.min(2_000, totalUsers - from);
      expectAll(
        'setup',
        await driver.call<PhaseResult>({
          cmd: 'setup',
          emulator: pool.endpoint,
          clientId: pool.clientId,
          from,
          count,
          concurrency: 16,
        }),
      );
    }

    // Its inspector is open for the profiled phase (whose CPU a mutation spends, after the rounds) and,
    // with BENCH_CPU_PROF, for profiles of every CPU phase. An idle inspector costs nothing measurable.
    const gateway = await startGateway('gateway', redis.url, ['--inspect=127.0.0.1:0']);
    const gatewayInspectorUrl = inspectorUrl(readFileSync(gateway.logFile, 'utf8'));
    if (gatewayInspectorUrl === undefined) throw new Error('gateway: no inspector URL in its output');
    const gatewayInspector = await connectInspector(gatewayInspectorUrl);
    cleanups.push(() => gatewayInspector.close());
    const profiler: Inspector | undefined = CPU_PROFILE_DIR ? gatewayInspector : undefined;
    log(`gateway at ${gateway.url} (pid ${gateway.child.pid})`);
    /** `count` startSignIn calls to the main gateway on fresh users (their codes fetched for verifyOtps, or not). */
    const startSignIns = (count: number, fetchCodes: boolean) =>
      driver.call<PhaseResult>({
        cmd: 'start',
        ...targets(gateway),
        from: users(count),
        count,
        concurrency: settings.concurrency,
        fetchCodes,
      });
    /** verifyOtp for every code the last startSignIns fetched. */
    const verifyOtps = () =>
      driver.call<PhaseResult>({ cmd: 'verify', gateway: gateway.url, concurrency: settings.concurrency });
    const flows = async (gw: RunningGateway, count: number, concurrency = settings.concurrency) =>
      expectAll(
        'flows',
        await driver.call<PhaseResult>({
          cmd: 'flows',
          ...targets(gw),
          from: users(count),
          count,
          concurrency,
        }),
      );

    /**
     * Flows one at a time through a gateway on `store` (behind delaying proxies), MONITOR on every
     * Redis in `monitorUrls`; round trips per mutation from the merged timeline (`proxyPorts`: the
     * proxies' own connections, i.e. the gateway's commands).
     */
    const sequentialRoundTrips = async (
      name: string,
      store: string | { clusterNodes: string },
      monitorUrls: string[],
      proxyPorts: { has(port: number): boolean },
    ) => {
      const slowGateway = await startGateway(name, store);
      // /readyz answers once one node does; a Cluster client may still be learning the others.
      for (let attempt = 0; ; attempt++) {
        const probe = await driver.call<PhaseResult>({
          cmd: 'flows',
          ...targets(slowGateway),
          from: users(1),
          count: 1,
          concurrency: 1,
        });
        if (probe.failed === 0) break;
        if (attempt >= 20) throw new Error(`${name}: no flow went through: ${probe.firstError}`);
        await sleep(500);
      }
      // Enough flows that every script is loaded and the code is compiled: a JIT pause between two
      // commands of one round trip would otherwise look like two round trips.
      await flows(slowGateway, 30, 1);
      const seen: MonitorLine[] = [];
      const monitors: Redis[] = [];
      for (const url of monitorUrls) {
        const client = new Redis(url, { lazyConnect: true });
        await client.connect();
        const monitor = await client.monitor();
        monitor.on('monitor', (time: string, args: string[], source: string) => {
          seen.push({ t: Number(time) * 1000, name: String(args[0]).toLowerCase(), source });
        });
        monitors.push(client, monitor);
      }
      const timeline = await driver.call<TimedMutation[]>({
        cmd: 'sequential',
        ...targets(slowGateway),
        from: users(settings.sequentialFlows),
        count: settings.sequentialFlows,
        idleMs: 200,
      });
      await sleep(100);
      for (const client of monitors) client.disconnect();
      await slowGateway.child.stop();
      // MONITOR lines of several servers (one clock: the same machine), in time order. The Cluster
      // client's periodic slot refresh is not part of a mutation.
      seen.sort((a, b) => a.t - b.t);
      return analyseRounds(
        seen.filter((line) => line.name !== 'cluster'),
        timeline,
        proxyPorts,
        settings.proxyDelayMs,
      );
    };

    // Scripts loaded, connections open, JIT past its first tier: then Redis memory per pending handle.
    await flows(gateway, plan.smoke, 4);
    await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
    log(`${plan.pending} pending handles`);
    const pending = await measurePending(admin, CPU_ONLY, async () => {
      expectAll('pending startSignIn', await startSignIns(plan.pending, false));
    });
    await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });

    // CPU: the two baselines (node:http, bare Apollo), the gateway's layer alone (stub engine), the
    // SDK floor (each client variant), the gateway (per mutation, and whole flows at 8 and 16
    // concurrent flows, sign-ins and sign-ups) and the peer (whole flows at 8 and 16), measured in
    // alternating rounds so that a machine that speeds up or slows down during the run (a shared VM
    // does) affects all of them alike.
    const startServer = async (name: string, script: string, extraEnv: Record<string, string> = {}) => {
      const child = await startProcess({
        name,
        command: process.execPath,
        args: ['--import', 'tsx', join(GATEWAY_DIR, script)],
        cwd: dirname(join(GATEWAY_DIR, script)),
        env: { NODE_ENV: 'production', ...extraEnv },
        output: { file: join(dir, `${name}.log`) },
        ready: jsonLine<{ url: string }>,
      });
      children.push(child);
      return { child, url: child.ready.url };
    };
    const httpBaseline = await startServer('http-baseline', 'bench/http-baseline.ts');
    const baseline = await startServer('baseline', 'bench/baseline-server.ts');
    const layer = await startProcess({
      name: 'layer',
      command: process.execPath,
      args: ['--import', 'tsx', join(GATEWAY_DIR, 'bench/layer-server.ts')],
      cwd: GATEWAY_DIR,
      env: { NODE_ENV: 'production', BENCH_GATEWAY_DIST: join(GATEWAY_BUILD, 'dist') },
      output: { file: join(dir, 'layer.log') },
      ready: listeningUrl,
    });
    children.push(layer);
    const layerUrl = layer.ready.url;

    // The peer, with a redis-server of its own (so its Redis CPU is its own).
    const peerRedis = await startRedis();
    cleanups.push(async () => {
      await peerRedis[Symbol.asyncDispose]();
    });
    const peerAdmin = new Redis(peerRedis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await peerAdmin.connect();
    cleanups.push(() => peerAdmin.disconnect());
    const peer = await startServer('peer', 'bench/peer/server.ts', { PEER_REDIS_URL: peerRedis.url });
    let nextPeerUser = 0;
    let nextSignUp = 0;

    // The SDK floor: the engine's Cognito client making the same calls, alone in its process.
    const floor = await startForked<SdkFloorCommand>(
      'bench/sdk-floor.ts',
      CPU_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${CPU_PROFILE_DIR}`] : [],
    );
    cleanups.push(() => floor.close());
    const floorTarget = { emulator: pool.endpoint, region: pool.region, clientId: pool.clientId };
    const floorCalls = async (count: number, variant: SdkVariant) => {
      await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
      const from = users(count);
      const run = async (command: SdkFloorCommand) => {
        const result = await floor.call<PhaseResult & { cpuUs: number }>(command);
        expectAll(`SDK floor ${command.cmd}`, { ...result, wallMs: 0 });
        return result.cpuUs / count;
      };
      const concurrency = settings.concurrency;
      const initiateUs = await run({ ...floorTarget, cmd: 'initiate', from, count, concurrency, variant });
      await run({ ...floorTarget, cmd: 'codes' });
      const respondUs = await run({ ...floorTarget, cmd: 'respond', concurrency, variant });
      await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
      return { initiateUs, respondUs };
    };

    const requestBodies = {
      trivial: { value: 'hello' },
      echo: { query: DOCUMENTS.echo, variables: { input: { value: 'hello' } } },
      startSignIn: { query: DOCUMENTS.startSignIn, variables: { input: { email: userEmail(0) } } },
      verifyOtp: {
        query: DOCUMENTS.verifyOtp,
        variables: { input: { handle: 'h'.repeat(43), code: '12345678' } },
      },
    };
    /** CPU of `child` while `run` runs, and how much of it in the kernel. */
    const cpuDuring = async <T>(child: { pid: number }, run: () => Promise<T>) => {
      const before = cpuTimes(child.pid);
      const result = await run();
      const after = cpuTimes(child.pid);
      return {
        result,
        seconds: after.user + after.system - before.user - before.system,
        system: after.system - before.system,
      };
    };
    const hammer = async (child: Child, url: string, body: object, requests: number) => {
      const { result, seconds, system } = await cpuDuring(child, () =>
        driver.call<BaselineResult>({
          cmd: 'autocannon',
          url,
          body,
          requests,
          connections: settings.concurrency,
        }),
      );
      if (result.non2xx > 0 || result.errors > 0) {
        throw new Error(`${child.name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
      }
      return { result, seconds, system };
    };
    /** A server's CPU and its Redis's CPU (and commands) around one phase of `count` operations. */
    const withRedis = async (
      child: { pid: number },
      redisAdmin: Redis,
      count: number,
      run: () => Promise<PhaseResult>,
    ) => {
      const calls0 = await commandCalls(redisAdmin);
      const redisCpu0 = await redisCpuSeconds(redisAdmin);
      const { result, seconds, system } = await cpuDuring(child, run);
      const redisSeconds = (await redisCpuSeconds(redisAdmin)) - redisCpu0;
      const calls = callsBetween(calls0, await commandCalls(redisAdmin));
      expectAll('phase', result);
      return { seconds, system, redisSeconds, calls, count, wallSeconds: result.wallMs / 1000 };
    };
    const peerFlows = async (count: number, concurrency: number) => {
      // The peer's user table emptied first (outside the measure), so its scans stay short.
      await fetch(`${peer.url}/_bench/reset`, { method: 'POST' }).then((r) => r.body?.cancel());
      const from = nextPeerUser;
      nextPeerUser += count;
      return () => driver.call<PhaseResult>({ cmd: 'peerFlows', peer: peer.url, from, count, concurrency });
    };
    const signUps = (count: number, concurrency: number) => {
      const from = nextSignUp;
      nextSignUp += count;
      return () =>
        driver.call<PhaseResult>({ cmd: 'signUpFlows', ...targets(gateway), from, count, concurrency });
    };

    log('warm-up: baselines, layer, SDK floor, gateway, peer');
    await hammer(httpBaseline.child, httpBaseline.url, requestBodies.trivial, 3_000);
    await hammer(baseline.child, `${baseline.url}/graphql`, requestBodies.echo, 3_000);
    await hammer(layer, `${layerUrl}/graphql`, requestBodies.startSignIn, 3_000);
    await hammer(layer, `${layerUrl}/graphql`, requestBodies.verifyOtp, 3_000);
    await flows(gateway, settings.warmupFlows);
    await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
    expectAll('warm-up sign-ups', await signUps(Math.ceil(settings.warmupFlows / 4), settings.concurrency)());
    await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
    expectAll('warm-up peer', await (await peerFlows(settings.warmupFlows, settings.concurrency))());
    // The SDK floor's process is new: enough unmeasured calls per client that its code is compiled,
    // as the gateway's is after its warm-up flows.
    for (const variant of SDK_VARIANTS) await floorCalls(300, variant);
    await sleep(1_000);
    const idleCpu0 = cpuSeconds(gateway.child.pid);
    await sleep(3_000);
    const idleCpuUsPerSecond = ((cpuSeconds(gateway.child.pid) - idleCpu0) / 3) * 1e6;

    const rounds = settings.cpuRounds;
    const perRound = {
      baseline: Math.ceil(settings.baselineRequests / rounds),
      layer: Math.ceil(settings.baselineRequests / rounds / 2),
      flows: Math.ceil(plan.cpu / rounds),
    };
    log(
      `CPU: ${rounds} rounds of ${perRound.baseline} trivial + ${perRound.baseline} echo, ${perRound.layer} + ${perRound.layer} layer, ` +
        `${settings.sdkCalls} × ${SDK_VARIANTS.length} SDK, ${perRound.flows} + ${perRound.flows} gateway mutations, ` +
        `${settings.flowPhase} whole flows × ${FLOW_CONCURRENCIES.join('/')} (gateway, peer), ${settings.signUpPhase} sign-ups × ${FLOW_CONCURRENCIES.join('/')}`,
    );
    const pooled = {
      httpBaseline: { seconds: 0, system: 0, count: 0, rps: 0, p50: 0, p99: 0 },
      baseline: { seconds: 0, system: 0, count: 0, rps: 0, p50: 0, p99: 0 },
      layerStart: { seconds: 0, count: 0 },
      layerVerify: { seconds: 0, count: 0 },
      startSignIn: newPool(),
      verifyOtp: newPool(),
    };
    const sdkPooled = new Map<SdkVariant, { initiate: number; respond: number; count: number }>(
      SDK_VARIANTS.map((v) => [v, { initiate: 0, respond: 0, count: 0 }]),
    );
    const sdkOnlyPooled = new Map<SdkVariant, { initiate: number; respond: number; count: number }>(
      SDK_VARIANTS.map((v) => [v, { initiate: 0, respond: 0, count: 0 }]),
    );
    const flowPools = new Map<string, PhasePool>();
    const flowPool = (key: string) => {
      let entry = flowPools.get(key);
      if (entry === undefined) {
        entry = newPool();
        flowPools.set(key, entry);
      }
      return entry;
    };
    /** One round of a baseline: an unmeasured burst, then its measured requests, added to `total`. */
    const baselineRound = async (
      server: { child: Child; url: string },
      body: object,
      total: { seconds: number; system: number; count: number; rps: number; p50: number; p99: number },
    ) => {
      await hammer(server.child, server.url, body, 1_000);
      const measured = await hammer(server.child, server.url, body, perRound.baseline);
      total.seconds += measured.seconds;
      total.system += measured.system;
      total.count += measured.result.requests;
      total.rps += measured.result.requestsPerSecond / rounds;
      total.p50 += measured.result.p50 / rounds;
      total.p99 += measured.result.p99 / rounds;
      return measured;
    };
    const roundResults: BenchResults['rounds'] = [];
    const gatewayPhase = async (label: MutationName, count: number, run: () => Promise<PhaseResult>) => {
      await profiler?.startProfiling();
      const phase = await withRedis(gateway.child, admin, count, run);
      if (profiler && CPU_PROFILE_DIR) {
        const file = join(CPU_PROFILE_DIR, `gateway-${label}-${roundResults.length + 1}.cpuprofile`);
        writeFileSync(file, JSON.stringify(await profiler.stopProfiling()));
        log(`CPU profile: ${file}`);
      }
      addTo(pooled[label], phase);
      return (phase.seconds / count) * 1e6;
    };
    for (let round = 0; round < rounds; round++) {
      // Each process idled while the others were measured, and V8 drops code it has not run lately:
      // a short unmeasured burst first, for each, so that no one pays for recompiling in its round.
      const trivial = await baselineRound(httpBaseline, requestBodies.trivial, pooled.httpBaseline);
      const echo = await baselineRound(
        { child: baseline.child, url: `${baseline.url}/graphql` },
        requestBodies.echo,
        pooled.baseline,
      );
      await hammer(layer, `${layerUrl}/graphql`, requestBodies.startSignIn, 500);
      await hammer(layer, `${layerUrl}/graphql`, requestBodies.verifyOtp, 500);
      const layerStart = await hammer(
        layer,
        `${layerUrl}/graphql`,
        requestBodies.startSignIn,
        perRound.layer,
      );
      const layerVerify = await hammer(layer, `${layerUrl}/graphql`, requestBodies.verifyOtp, perRound.layer);
      pooled.layerStart.seconds += layerStart.seconds;
      pooled.layerStart.count += layerStart.result.requests;
      pooled.layerVerify.seconds += layerVerify.seconds;
      pooled.layerVerify.count += layerVerify.result.requests;
      // Every SDK client variant in turn, in small batches, the order rotating: the machine's drift
      // (other processes come and go on a shared VM) then falls on every variant alike.
      const sdkThisRound = new Map<SdkVariant, { initiate: number; respond: number; count: number }>(
        SDK_VARIANTS.map((v) => [v, { initiate: 0, respond: 0, count: 0 }]),
      );
      const batches = Math.max(1, Math.round(settings.sdkCalls / SDK_BATCH));
      for (let b = 0; b < batches; b++) {
        for (let v = 0; v < SDK_VARIANTS.length; v++) {
          const variant = SDK_VARIANTS[(v + b + round) % SDK_VARIANTS.length] as SdkVariant;
          const sdk = await floorCalls(SDK_BATCH, variant);
          for (const total of [sdkPooled.get(variant), sdkThisRound.get(variant)]) {
            if (total === undefined) throw new Error(`unknown SDK variant ${variant}`);
            total.initiate += (sdk.initiateUs * SDK_BATCH) / 1e6;
            total.respond += (sdk.respondUs * SDK_BATCH) / 1e6;
            total.count += SDK_BATCH;
          }
        }
      }
      // The SDK's own work alone (canned answers, no socket), every variant alternating in the process.
      const sdkOnly = await floor.call<BenchResults['sdkFloor']['sdkOnly']>({
        ...floorTarget,
        cmd: 'sdkOnly',
        variants: [...SDK_VARIANTS],
        calls: settings.sdkCalls * 5,
      });
      for (const variant of SDK_VARIANTS) {
        const total = sdkOnlyPooled.get(variant);
        const add = sdkOnly[variant];
        if (total === undefined || add === undefined) throw new Error(`SDK-only: no ${variant}`);
        total.initiate += add.initiateAuthUs * add.calls;
        total.respond += add.respondUs * add.calls;
        total.count += add.calls;
      }
      await flows(gateway, 50);
      await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
      const startUs = await gatewayPhase('startSignIn', perRound.flows, () =>
        startSignIns(perRound.flows, true),
      );
      await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
      const verifyUs = await gatewayPhase('verifyOtp', perRound.flows, verifyOtps);
      // Whole flows at each concurrency: the gateway's sign-ins and sign-ups, then the peer's.
      const flowUs: Record<string, number> = {};
      for (const concurrency of FLOW_CONCURRENCIES) {
        await flows(gateway, 20, concurrency);
        await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
        const count = settings.flowPhase;
        const signIns = await withRedis(gateway.child, admin, count, () =>
          driver.call<PhaseResult>({
            cmd: 'flows',
            ...targets(gateway),
            from: users(count),
            count,
            concurrency,
          }),
        );
        addTo(flowPool(`gateway-${concurrency}`), signIns);
        await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
        const ups = await withRedis(
          gateway.child,
          admin,
          settings.signUpPhase,
          signUps(settings.signUpPhase, concurrency),
        );
        addTo(flowPool(`signUp-${concurrency}`), ups);
        await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
        await (await peerFlows(20, concurrency))();
        const peerRun = await peerFlows(count, concurrency);
        const peerPhase = await withRedis(peer.child, peerAdmin, count, peerRun);
        addTo(flowPool(`peer-${concurrency}`), peerPhase);
        flowUs[`gateway${concurrency}`] = (signIns.seconds / count) * 1e6;
        flowUs[`peer${concurrency}`] = (peerPhase.seconds / count) * 1e6;
      }
      const engine = sdkThisRound.get('engine');
      const engineSdk = engine && {
        initiateUs: (engine.initiate / engine.count) * 1e6,
        respondUs: (engine.respond / engine.count) * 1e6,
      };
      roundResults.push({
        httpBaselineUs: (trivial.seconds / trivial.result.requests) * 1e6,
        baselineUs: (echo.seconds / echo.result.requests) * 1e6,
        layerStartSignInUs: (layerStart.seconds / layerStart.result.requests) * 1e6,
        layerVerifyOtpUs: (layerVerify.seconds / layerVerify.result.requests) * 1e6,
        sdkInitiateAuthUs: engineSdk?.initiateUs ?? Number.NaN,
        sdkRespondUs: engineSdk?.respondUs ?? Number.NaN,
        startSignInUs: startUs,
        verifyOtpUs: verifyUs,
        flowUs,
      });
      log(
        `  round ${round + 1}: ${JSON.stringify(roundResults.at(-1), (_k, v) => (typeof v === 'number' ? Math.round(v) : v))}`,
      );
    }
    // Whose CPU a mutation spends: one profiled phase of each, after the measured rounds (the profiler
    // slows the process down, so its own CPU is not used; only the shares of its samples are).
    log(`profiled: ${perRound.flows} startSignIn + ${perRound.flows} verifyOtp`);
    const profiledPhase = async (label: MutationName, run: () => Promise<PhaseResult>) => {
      await gatewayInspector.startProfiling();
      expectAll(label, await run());
      const profile = (await gatewayInspector.stopProfiling()) as CpuProfile;
      if (CPU_PROFILE_DIR)
        writeFileSync(join(CPU_PROFILE_DIR, `gateway-${label}-profiled.cpuprofile`), JSON.stringify(profile));
      return attribute(profile);
    };
    await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
    const profiledStart = await profiledPhase('startSignIn', () => startSignIns(perRound.flows, true));
    await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
    const profiledVerify = await profiledPhase('verifyOtp', verifyOtps);
    const peerSent = ((await (await fetch(`${peer.url}/_bench/sent`)).json()) as { sent: number }).sent;
    if (peerSent < nextPeerUser) throw new Error(`peer: ${peerSent} codes sent for ${nextPeerUser} flows`);
    await httpBaseline.child.stop();
    await baseline.child.stop();
    await layer.stop();
    await peer.child.stop();
    await floor.close();
    const cost = (label: MutationName): MutationCost => {
      const total = pooled[label];
      return {
        ...poolCost(total),
        cpuUsPerMutation: (total.seconds / total.count) * 1e6,
      };
    };
    const startCost = cost('startSignIn');
    const verifyCost = cost('verifyOtp');
    const profiledOf = (attribution: Attribution, mutationCost: MutationCost) => {
      const share = shares(attribution);
      return {
        mutations: perRound.flows,
        shares: share,
        engineUs: share.engine * mutationCost.cpuUsPerMutation,
      };
    };
    const profiled = {
      startSignIn: profiledOf(profiledStart, startCost),
      verifyOtp: profiledOf(profiledVerify, verifyCost),
    };
    const baselineCost = {
      requests: pooled.baseline.count,
      cpuSeconds: pooled.baseline.seconds,
      cpuUsPerRequest: (pooled.baseline.seconds / pooled.baseline.count) * 1e6,
      systemShare: pooled.baseline.seconds > 0 ? pooled.baseline.system / pooled.baseline.seconds : 0,
      requestsPerSecond: pooled.baseline.rps,
      p50Ms: pooled.baseline.p50,
      p99Ms: pooled.baseline.p99,
    };
    const httpBaselineCost = {
      requests: pooled.httpBaseline.count,
      cpuUsPerRequest: (pooled.httpBaseline.seconds / pooled.httpBaseline.count) * 1e6,
      systemShare:
        pooled.httpBaseline.seconds > 0 ? pooled.httpBaseline.system / pooled.httpBaseline.seconds : 0,
      requestsPerSecond: pooled.httpBaseline.rps,
    };
    const layerCost = {
      startSignInUs: (pooled.layerStart.seconds / pooled.layerStart.count) * 1e6,
      verifyOtpUs: (pooled.layerVerify.seconds / pooled.layerVerify.count) * 1e6,
    };
    const variants = Object.fromEntries(
      [...sdkPooled].map(([variant, t]) => [
        variant,
        {
          initiateAuthUs: (t.initiate / t.count) * 1e6,
          respondUs: (t.respond / t.count) * 1e6,
          calls: t.count,
        },
      ]),
    ) as BenchResults['sdkFloor']['variants'];
    const sdkOnly = Object.fromEntries(
      [...sdkOnlyPooled].map(([variant, t]) => [
        variant,
        { initiateAuthUs: t.initiate / t.count, respondUs: t.respond / t.count, calls: t.count },
      ]),
    ) as BenchResults['sdkFloor']['sdkOnly'];
    const sdkFloor = {
      initiateAuthUs: variants.engine.initiateAuthUs,
      respondUs: variants.engine.respondUs,
      variants,
      sdkOnly,
    };
    const wholeFlows = Object.fromEntries(
      [...flowPools].map(([key, total]) => [key, poolCost(total)]),
    ) as BenchResults['wholeFlows'];

    if (CPU_ONLY) {
      const base = baselineCost.cpuUsPerRequest;
      const summary = {
        baselineUs: base,
        httpBaselineUs: httpBaselineCost.cpuUsPerRequest,
        layer: layerCost,
        sdkFloor,
        startSignInUs: startCost.cpuUsPerMutation,
        verifyOtpUs: verifyCost.cpuUsPerMutation,
        engineProfiledUs: [profiled.startSignIn.engineUs, profiled.verifyOtp.engineUs],
        aboveFloorUs: [
          startCost.cpuUsPerMutation - layerCost.startSignInUs - sdkFloor.initiateAuthUs,
          verifyCost.cpuUsPerMutation - layerCost.verifyOtpUs - sdkFloor.respondUs,
        ],
        wholeFlows: Object.fromEntries(
          Object.entries(wholeFlows).map(([k, v]) => [k, { cpuUs: v.cpuUs, redisCpuUs: v.redisCpuUs }]),
        ),
        kernel: [startCost.systemShare, verifyCost.systemShare],
        rounds: roundResults,
      };
      process.stdout.write(`${JSON.stringify(summary)}\n`);
      return;
    }

    // Latency at a fixed offered rate: the same flows straight to the emulator with the SDK, then
    // through the gateway (20 unmeasured flows first, each, for connections and JIT).
    log(`latency at ${settings.flowsPerSecond} flows/s`);
    const rate = async (via: 'gateway' | 'sdk', count: number) => {
      const result = await driver.call<RateResult>({
        cmd: 'rate',
        via,
        ...targets(gateway),
        clientId: pool.clientId,
        region: pool.region,
        from: users(count),
        count,
        flowsPerSecond: settings.flowsPerSecond,
      });
      await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
      return result;
    };
    await rate('sdk', 20);
    const sdkRate = await rate('sdk', settings.rateFlows);
    await rate('gateway', 20);
    const gatewayRate = await rate('gateway', settings.rateFlows);
    await gateway.child.stop();

    // Sequential round trips: a gateway whose Redis replies come back 20 ms late through a proxy,
    // MONITOR on the Redis behind it; then the same on a Redis Cluster, a proxy in front of each node.
    log('sequential Redis round trips (standalone)');
    const proxy = await startDelayProxy(redis.port, settings.proxyDelayMs);
    cleanups.push(() => proxy.close());
    const roundTrips = await sequentialRoundTrips(
      'gateway-rt',
      `redis://127.0.0.1:${proxy.port}`,
      [redis.url],
      proxy.upstreamPorts,
    );
    log('sequential Redis round trips (Redis Cluster, 3 masters)');
    const cluster = await startRedisCluster({ masters: 3 });
    cleanups.push(async () => {
      await cluster[Symbol.asyncDispose]();
    });
    const clusterProxies = await Promise.all(
      cluster.nodes.map((node) => startDelayProxy(node.port, settings.proxyDelayMs)),
    );
    cleanups.push(async () => {
      for (const p of clusterProxies) await p.close();
    });
    // Each node announces its proxy's port instead of its own (CONFIG SET cluster-announce-port), so
    // the gateway's Cluster client, which learns the nodes from CLUSTER SLOTS, talks to every node
    // through a delaying proxy; the cluster bus keeps the real ports.
    await announceProxies(cluster.nodes, clusterProxies);
    const clusterPorts = new Set<number>();
    for (const p of clusterProxies) for (const port of p.upstreamPorts) clusterPorts.add(port);
    // A failure here is reported in the table (not measured, and why) rather than ending the run.
    const clusterRoundTrips = await sequentialRoundTrips(
      'gateway-cluster-rt',
      { clusterNodes: clusterProxies.map((p) => `127.0.0.1:${p.port}`).join(',') },
      cluster.nodes.map((node) => `redis://127.0.0.1:${node.port}`),
      // A live view: the proxies add the ports of connections opened after this call.
      { has: (port: number) => clusterProxies.some((p) => p.upstreamPorts.has(port)) },
    ).catch((error: unknown): BenchResults['clusterRoundTrips'] => {
      const message = error instanceof Error ? error.message : String(error);
      log(`Redis Cluster round trips not measured: ${message}`);
      return {
        delayMs: settings.proxyDelayMs,
        samples: 0,
        perMutation: {} as RoundTrips['perMutation'],
        error: message,
      };
    });

    // Soak: heap after every flows/20 flows, on a fresh gateway whose inspector lets us force a full GC.
    const forcedGc = canForceGc();
    log(`soak: ${settings.flows} flows${forcedGc ? ' (forced GC before each heap sample)' : ''}`);
    const soakGateway = await startGateway(
      'gateway-soak',
      redis.url,
      forcedGc ? ['--inspect=127.0.0.1:0'] : [],
    );
    let inspector: Inspector | undefined;
    if (forcedGc) {
      const url = inspectorUrl(readFileSync(soakGateway.logFile, 'utf8'));
      if (url === undefined) throw new Error('gateway-soak: no inspector URL in its output');
      inspector = await connectInspector(url);
      cleanups.push(() => inspector?.close());
    }
    await flows(soakGateway, 100);
    const samples: BenchResults['soak']['samples'] = [];
    const batch = Math.ceil(settings.flows / settings.soakSamples);
    const soakStarted = performance.now();
    for (let done = 0; done < settings.flows; ) {
      const count = Math.min(batch, settings.flows - done);
      await flows(soakGateway, count);
      done += count;
      await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
      const raw = await heapMetrics(soakGateway.metricsUrl);
      let heapUsedAfterGc: number | undefined;
      if (inspector) {
        await inspector.collectGarbage();
        heapUsedAfterGc = (await heapMetrics(soakGateway.metricsUrl)).heapUsed;
      }
      samples.push({
        flows: done,
        heapUsed: raw.heapUsed,
        rss: raw.rss,
        ...(heapUsedAfterGc !== undefined && { heapUsedAfterGc }),
      });
      log(
        `  ${done} flows: heap ${(raw.heapUsed / 1e6).toFixed(1)} MB${heapUsedAfterGc === undefined ? '' : `, after GC ${(heapUsedAfterGc / 1e6).toFixed(1)} MB`}`,
      );
    }
    const soakWall = (performance.now() - soakStarted) / 1000;
    inspector?.close();
    await soakGateway.child.stop();

    const secondHalf = samples.slice(Math.floor(samples.length / 2));
    const trend = linearRegression(
      secondHalf.map((s) => [s.flows, s.heapUsedAfterGc ?? s.heapUsed] as const),
    );
    const spanFlows = (secondHalf.at(-1)?.flows ?? 0) - (secondHalf[0]?.flows ?? 0);

    const results: BenchResults = {
      when: new Date().toISOString(),
      commit: commitId(),
      machine: {
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model ?? 'unknown',
        node: process.version,
        redis: redisVersion,
        os: `${process.platform} ${release()}`,
      },
      settings: { ...settings },
      baseline: baselineCost,
      httpBaseline: httpBaselineCost,
      layer: layerCost,
      sdkFloor,
      wholeFlows,
      peer: { name: 'Better Auth', version: peerVersion() },
      rounds: roundResults,
      gateway: {
        idleCpuUsPerSecond,
        mutations: { startSignIn: startCost, verifyOtp: verifyCost },
        profiled,
      },
      latency: {
        flowsPerSecond: settings.flowsPerSecond,
        flows: settings.rateFlows,
        sdk: {
          first: latencySummary(sdkRate.first),
          second: latencySummary(sdkRate.second),
          maxLagMs: sdkRate.maxLagMs,
          failed: sdkRate.failed,
          ...(sdkRate.firstError !== undefined && { firstError: sdkRate.firstError }),
        },
        gateway: {
          first: latencySummary(gatewayRate.first),
          second: latencySummary(gatewayRate.second),
          maxLagMs: gatewayRate.maxLagMs,
          failed: gatewayRate.failed,
          ...(gatewayRate.firstError !== undefined && { firstError: gatewayRate.firstError }),
        },
      },
      pending,
      roundTrips,
      clusterRoundTrips,
      soak: {
        flows: settings.flows,
        forcedGc,
        samples,
        slopeBytesPerFlow: trend.slope,
        r2: trend.r2,
        projectedGrowthBytes: trend.slope * spanFlows,
        wallSeconds: soakWall,
      },
    };
    if (JSON_PATH) writeFileSync(JSON_PATH, `${JSON.stringify(results, null, 2)}\n`);
    const report = renderReport(results);
    process.stdout.write(`${report}\n`);
    if (WRITE) {
      updateBenchmarksFile(join(REPO_DIR, 'BENCHMARKS.md'), report);
      // Formatted as `pnpm lint` wants it (aligned tables), so a fresh run can be committed as it is.
      execFileSync(join(REPO_DIR, 'node_modules/.bin/biome'), ['format', '--write', 'BENCHMARKS.md'], {
        cwd: REPO_DIR,
        stdio: 'ignore',
      });
      log('BENCHMARKS.md updated');
    }
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    for (const child of children.reverse()) await child.stop('SIGTERM', 5_000);
    await redisServer?.[Symbol.asyncDispose]();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A line of JSON (the emulator's and the baseline's "ready" line); anything else is not it yet. */
function jsonLine<T>(line: string): T | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as T;
  } catch {
    return undefined;
  }
}

/** The URLs of the gateway's "gateway listening" log line (metrics on the public port before METRICS_PORT). */
function listeningUrl(line: string): { url: string; metricsUrl: string } | undefined {
  if (!line.includes('"gateway listening"')) return undefined;
  const parsed = jsonLine<{ url?: unknown; metricsUrl?: unknown }>(line);
  const url = parsed?.url;
  if (typeof url !== 'string') return undefined;
  return { url, metricsUrl: typeof parsed?.metricsUrl === 'string' ? parsed.metricsUrl : `${url}/metrics` };
}

async function status(url: string): Promise<number> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return 0;
  }
}

/** `process.memoryUsage()` as the gateway's own /metrics reports it (prom-client default metrics). */
async function heapMetrics(metricsUrl: string): Promise<{ heapUsed: number; rss: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const value = (name: string) => {
    const match = new RegExp(`^otpgate_${name} (\\S+)$`, 'm').exec(text);
    if (!match) throw new Error(`/metrics has no otpgate_${name}`);
    return Number(match[1]);
  };
  return { heapUsed: value('nodejs_heap_size_used_bytes'), rss: value('process_resident_memory_bytes') };
}

function expectAll(what: string, result: PhaseResult): PhaseResult {
  if (result.failed > 0) throw new Error(`${what}: ${result.failed} failed; first: ${result.firstError}`);
  return result;
}

/**
 * Redis memory per pending handle: `used_memory` before and after `count` startSignIn calls that are
 * never verified, and what kind of keys they added (the handles, and the limiter counters of their
 * new destinations, sampled with MEMORY USAGE).
 */
async function measurePending(
  admin: Redis,
  skip: boolean,
  run: () => Promise<void>,
): Promise<BenchResults['pending']> {
  if (skip) {
    return {
      handles: 0,
      usedMemoryDelta: 0,
      bytesPerHandle: 0,
      keysPerHandle: 0,
      handleKeyBytes: 0,
      counterBytesPerHandle: 0,
    };
  }
  const keysBefore = new Set(await allKeys(admin));
  const before = await usedMemory(admin);
  await run();
  const after = await usedMemory(admin);
  const added = (await allKeys(admin)).filter((key) => !keysBefore.has(key));
  const handles = added.filter((key) => key.includes(':h:'));
  const counters = added.filter((key) => !key.includes(':h:'));
  const sizes = async (keys: string[]) => {
    let total = 0;
    for (const key of keys) total += Number(await admin.memory('USAGE', key, 'SAMPLES', '0'));
    return total;
  };
  const count = handles.length;
  if (count === 0) throw new Error('no handle keys appeared in Redis');
  return {
    handles: count,
    usedMemoryDelta: after - before,
    bytesPerHandle: (after - before) / count,
    keysPerHandle: added.length / count,
    handleKeyBytes: (await sizes(handles)) / count,
    counterBytesPerHandle: (await sizes(counters)) / count,
  };
}

async function allKeys(admin: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  // Bounded: SCAN visits each key once per full cycle; 10 000 pages of 1000 is far beyond any run.
  for (let page = 0; page < 10_000; page++) {
    const [next, batch] = await admin.scan(cursor, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
    if (cursor === '0') return keys;
  }
  throw new Error('SCAN did not finish');
}

interface MonitorLine {
  /** Epoch ms. */
  t: number;
  name: string;
  /** `ip:port` of the client, or `lua` for a command run by a script. */
  source: string;
}

/**
 * Round trips per mutation from MONITOR: the commands of each mutation (by the driver's timeline),
 * split wherever two consecutive top-level commands are more than half the proxy delay apart. A
 * command sent after waiting for a reply comes at least one delay later; commands sent together
 * arrive within well under a millisecond. Counted are the round trips the mutation waited for: a
 * round that reached Redis less than half a delay before the mutation's answer reached the driver
 * was sent without waiting for its reply (shown in the shape, not counted).
 */
function analyseRounds(
  lines: MonitorLine[],
  timeline: TimedMutation[],
  proxyPorts: { has(port: number): boolean },
  delayMs: number,
): BenchResults['roundTrips'] {
  const perMutation = {} as BenchResults['roundTrips']['perMutation'];
  const shapes = new Map<MutationName, Map<string, number>>();
  for (const mutation of timeline) {
    const inWindow = lines.filter((line) => line.t >= mutation.start - 2 && line.t <= mutation.end + 2);
    const topLevel = inWindow.filter((line) => proxyPorts.has(Number(line.source.split(':').at(-1))));
    const inLua = inWindow.filter((line) => line.source === 'lua');
    const rounds: Array<{ first: number; names: string[] }> = [];
    let last = Number.NEGATIVE_INFINITY;
    for (const line of topLevel) {
      if (line.t - last > delayMs / 2) rounds.push({ first: line.t, names: [] });
      rounds.at(-1)?.names.push(line.name);
      last = line.t;
    }
    // A round the mutation waited for ends at least one delay before the mutation does (its reply
    // is held that long); one sent as the mutation answers (a write nobody waits for) is not.
    const waited = rounds.filter((round) => mutation.end - round.first >= delayMs / 2);
    const unwaited = rounds.filter((round) => mutation.end - round.first < delayMs / 2);
    perMutation[mutation.op] ??= { rounds: [], topLevel: [], inLua: [], shape: '' };
    const entry = perMutation[mutation.op];
    entry.rounds.push(waited.length);
    entry.topLevel.push(topLevel.length);
    entry.inLua.push(inLua.length);
    const shape =
      waited.map((round) => countNames(round.names)).join(' → ') +
      unwaited.map((round) => ` ⇢ ${countNames(round.names)} (not waited for)`).join('');
    const counts = shapes.get(mutation.op) ?? new Map<string, number>();
    counts.set(shape, (counts.get(shape) ?? 0) + 1);
    shapes.set(mutation.op, counts);
  }
  for (const [op, counts] of shapes) {
    const entry = perMutation[op];
    // The most frequent shape is the one reported (they should all be the same).
    if (entry) entry.shape = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
  }
  return { delayMs, samples: timeline.length / 2, perMutation };
}

/**
 * Makes every node of the cluster announce its proxy's port (the cluster bus keeps the real ports),
 * then waits until every node's view of the cluster shows only proxy ports.
 */
async function announceProxies(nodes: RedisClusterNode[], proxies: DelayProxy[]): Promise<void> {
  const proxyPorts = new Set(proxies.map((p) => String(p.port)));
  for (const [i, node] of nodes.entries()) {
    const proxyPort = proxies[i]?.port;
    if (proxyPort === undefined) throw new Error('one proxy per node');
    await redisCommand(node.port, ['CONFIG', 'SET', 'cluster-announce-port', String(proxyPort)]);
  }
  for (let attempt = 0; attempt < 200; attempt++) {
    const views = await Promise.all(nodes.map((node) => redisCommand(node.port, ['CLUSTER', 'NODES'])));
    const announced = views.every((view) =>
      view
        .split('\n')
        .filter((line) => line.trim() !== '')
        .every((line) => proxyPorts.has(/:(\d+)@/.exec(line)?.[1] ?? '')),
    );
    if (announced) return;
    await sleep(100);
  }
  throw new Error('the cluster nodes did not announce their proxies within 20 s');
}

interface PhasePool {
  seconds: number;
  system: number;
  redisSeconds: number;
  count: number;
  wall: number;
  calls: Map<string, number>;
}

function newPool(): PhasePool {
  return { seconds: 0, system: 0, redisSeconds: 0, count: 0, wall: 0, calls: new Map() };
}

function addTo(
  pool: PhasePool,
  phase: {
    seconds: number;
    system: number;
    redisSeconds: number;
    count: number;
    wallSeconds: number;
    calls: Map<string, number>;
  },
): void {
  pool.seconds += phase.seconds;
  pool.system += phase.system;
  pool.redisSeconds += phase.redisSeconds;
  pool.count += phase.count;
  pool.wall += phase.wallSeconds;
  for (const [name, n] of phase.calls) pool.calls.set(name, (pool.calls.get(name) ?? 0) + n);
}

/** Per-operation figures of a pool of phases. */
function poolCost(pool: PhasePool): PhaseCost {
  const commands: Record<string, number> = {};
  let all = 0;
  for (const [name, n] of [...pool.calls].sort((a, b) => b[1] - a[1])) {
    commands[name] = n / pool.count;
    all += n;
  }
  return {
    count: pool.count,
    cpuSeconds: pool.seconds,
    cpuUs: (pool.seconds / pool.count) * 1e6,
    systemShare: pool.seconds > 0 ? pool.system / pool.seconds : 0,
    redisCpuUs: (pool.redisSeconds / pool.count) * 1e6,
    commands,
    commandsPerOp: all / pool.count,
    wallSeconds: pool.wall,
  };
}

function countNames(names: string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return `[${[...counts].map(([name, n]) => (n > 1 ? `${n}×${name}` : name)).join(', ')}]`;
}

/** The peer's Better Auth version, as installed. */
function peerVersion(): string {
  try {
    const manifest = join(GATEWAY_DIR, 'bench/peer/node_modules/better-auth/package.json');
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

function commitId(): string {
  try {
    const id = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: REPO_DIR,
      encoding: 'utf8',
    }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd: REPO_DIR,
      encoding: 'utf8',
    }).trim();
    return dirty === '' ? id : `${id} + uncommitted changes`;
  } catch {
    return 'unknown';
  }
}

/**
 * A bench script (the load driver, the SDK floor) as a Node child with an IPC channel; one command at
 * a time, each answered by one DriverReply.
 */
async function startForked<Command extends { cmd: string }>(script: string, nodeArgs: string[] = []) {
  const child = await startProcess({
    name: script,
    command: process.execPath,
    args: [...nodeArgs, '--import', 'tsx', join(GATEWAY_DIR, script)],
    cwd: GATEWAY_DIR,
    ipc: true,
  });
  return {
    pid: child.pid,
    async call<T = unknown>(command: Command): Promise<T> {
      const reply = await child.request<DriverReply>(command);
      if (!reply.ok) throw new Error(`${script} ${command.cmd}: ${reply.error}`);
      return reply.result as T;
    },
    async close() {
      await child.stop();
    },
  };
}

main().catch((error: unknown) => {
  process.stderr.write(
    `[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
