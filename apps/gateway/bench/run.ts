import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ManagedProcess, startProcess, startRedis } from '@otpgate/testing';
import { Redis } from 'ioredis';
import { cpuSeconds, cpuTimes } from './lib/cpu.js';
import { available as canForceGc, connectInspector, type Inspector, inspectorUrl } from './lib/inspector.js';
import {
  type BaselineResult,
  DOCUMENTS,
  type DriverCommand,
  type DriverReply,
  type GraphQLRequest,
  type PhaseResult,
  type RateResult,
  type SdkFloorCommand,
  type TimedMutation,
  userEmail,
} from './lib/protocol.js';
import { callsBetween, commandCalls, startDelayProxy, usedMemory } from './lib/redis.js';
import { renderReport, updateBenchmarksFile } from './lib/report.js';
import type { BenchResults, MutationCost, MutationName } from './lib/results.js';
import { latencySummary, linearRegression } from './lib/stats.js';

/**
 * `pnpm bench`: the gateway against a bare Apollo Server on one machine, in one run.
 *
 * Processes: Redis (a real redis-server), the Cognito emulator (its CLI), the gateway (its built
 * `dist/main.js`, configured by environment and a profiles file as in production), the baseline
 * server, and the load driver; this orchestrator only starts them, reads their counters around each
 * phase and writes the report. See BENCHMARKS.md for what each number means.
 *
 * Environment (all optional): BENCH_FLOWS (soak length, default 20000), BENCH_CPU_FLOWS (2000),
 * BENCH_WARMUP_FLOWS (2000), BENCH_BASELINE_REQUESTS (20000), BENCH_CPU_ROUNDS (4), BENCH_CONCURRENCY (8), BENCH_RATE
 * (flows/s of the latency phase, 25: 50 mutations/s), BENCH_RATE_FLOWS (1000), BENCH_PENDING (2000),
 * BENCH_SEQUENTIAL_FLOWS (10), BENCH_WRITE=0 (do not update BENCHMARKS.md), BENCH_JSON=<path> (save
 * the raw results), BENCH_CPU_PROF=<dir> (CPU profile of the main gateway, for `node --cpu-prof` hunting),
 * BENCH_ONLY=cpu (the CPU phases alone, for quick before/after comparisons), BENCH_GATEWAY_DIR=<dir>
 * (measure another build of the gateway, e.g. the code before a change).
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

const settings = {
  flows: setting('BENCH_FLOWS', 20_000),
  cpuFlows: setting('BENCH_CPU_FLOWS', 2_000),
  warmupFlows: setting('BENCH_WARMUP_FLOWS', 2_000),
  baselineRequests: setting('BENCH_BASELINE_REQUESTS', 20_000),
  concurrency: setting('BENCH_CONCURRENCY', 8),
  cpuRounds: setting('BENCH_CPU_ROUNDS', 4),
  flowsPerSecond: setting('BENCH_RATE', 25),
  rateFlows: setting('BENCH_RATE_FLOWS', 1_000),
  pendingHandles: setting('BENCH_PENDING', 2_000),
  sequentialFlows: setting('BENCH_SEQUENTIAL_FLOWS', 10),
  /** Reply delay of the round-trip proxy, ms. */
  proxyDelayMs: 20,
  /** Heap samples over the soak (the report shows every other one). */
  soakSamples: 20,
};
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

    const startGateway = async (name: string, redisUrl: string, nodeArgs: string[] = []) => {
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
          REDIS_URL: redisUrl,
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
      floor: Math.ceil(settings.cpuFlows * 1.5) + 300 * settings.cpuRounds + 1_500 + 100,
      rate: CPU_ONLY ? 0 : 2 * (settings.rateFlows + 20),
      sequential: CPU_ONLY ? 0 : settings.sequentialFlows + 20,
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

    const gateway = await startGateway(
      'gateway',
      redis.url,
      CPU_PROFILE_DIR ? ['--inspect=127.0.0.1:0'] : [],
    );
    let profiler: Inspector | undefined;
    if (CPU_PROFILE_DIR) {
      const url = inspectorUrl(readFileSync(gateway.logFile, 'utf8'));
      if (url === undefined) throw new Error('gateway: no inspector URL in its output');
      profiler = await connectInspector(url);
      cleanups.push(() => profiler?.close());
    }
    log(`gateway at ${gateway.url} (pid ${gateway.child.pid})`);
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

    // Scripts loaded, connections open, JIT past its first tier: then Redis memory per pending handle.
    await flows(gateway, plan.smoke, 4);
    await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
    log(`${plan.pending} pending handles`);
    const pending = await measurePending(admin, CPU_ONLY, async () => {
      expectAll(
        'pending startSignIn',
        await driver.call<PhaseResult>({
          cmd: 'start',
          ...targets(gateway),
          from: users(plan.pending),
          count: plan.pending,
          concurrency: settings.concurrency,
          fetchCodes: false,
        }),
      );
    });
    await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });

    // CPU per mutation: the baseline, the gateway's layer alone (stub engine) and the gateway, measured
    // in alternating rounds so that a machine that speeds up or slows down during the run (a shared
    // VM does) affects all three alike.
    const baseline = await startProcess({
      name: 'baseline',
      command: process.execPath,
      args: ['--import', 'tsx', join(GATEWAY_DIR, 'bench/baseline-server.ts')],
      cwd: GATEWAY_DIR,
      env: { NODE_ENV: 'production' },
      ready: jsonLine<{ url: string }>,
    });
    children.push(baseline);
    const baselineUrl = baseline.ready.url;
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

    // The SDK floor: the engine's Cognito client making the same calls, alone in its process.
    const floor = await startForked<SdkFloorCommand>('bench/sdk-floor.ts');
    cleanups.push(() => floor.close());
    const floorTarget = { emulator: pool.endpoint, region: pool.region, clientId: pool.clientId };
    const floorCalls = async (count: number, measure: boolean, cacheMiddleware = true) => {
      await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
      const from = users(count);
      const run = async (command: SdkFloorCommand) => {
        const { result, seconds } = await cpuDuring(floor, () => floor.call<PhaseResult>(command));
        expectAll(`SDK floor ${command.cmd}`, { ...result, wallMs: 0 });
        return (seconds / count) * 1e6;
      };
      const concurrency = settings.concurrency;
      const initiateUs = await run({
        ...floorTarget,
        cmd: 'initiate',
        from,
        count,
        concurrency,
        cacheMiddleware,
      });
      await run({ ...floorTarget, cmd: 'codes' });
      const respondUs = await run({ ...floorTarget, cmd: 'respond', concurrency, cacheMiddleware });
      await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
      return measure ? { initiateUs, respondUs } : undefined;
    };

    const requestBodies = {
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
    const hammer = async (child: Child, url: string, body: GraphQLRequest, requests: number) => {
      const { result, seconds, system } = await cpuDuring(child, () =>
        driver.call<BaselineResult>({
          cmd: 'autocannon',
          url: `${url}/graphql`,
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

    log('warm-up: baseline, layer, gateway');
    await hammer(baseline, baselineUrl, requestBodies.echo, 3_000);
    await hammer(layer, layerUrl, requestBodies.startSignIn, 3_000);
    await hammer(layer, layerUrl, requestBodies.verifyOtp, 3_000);
    await flows(gateway, settings.warmupFlows);
    await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
    // The SDK floor's process is new: enough unmeasured calls that its code is compiled, as the
    // gateway's is after its warm-up flows.
    await floorCalls(1_000, false);
    await floorCalls(500, false, false);
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
      `CPU: ${rounds} rounds of ${perRound.baseline} echo, ${perRound.layer} + ${perRound.layer} layer, ${perRound.flows} + ${perRound.flows} gateway mutations`,
    );
    const pooled = {
      baseline: { seconds: 0, system: 0, count: 0, rps: 0, p50: 0, p99: 0 },
      layerStart: { seconds: 0, count: 0 },
      layerVerify: { seconds: 0, count: 0 },
      sdkInitiate: { seconds: 0, count: 0 },
      sdkRespond: { seconds: 0, count: 0 },
      uncachedInitiate: { seconds: 0, count: 0 },
      uncachedRespond: { seconds: 0, count: 0 },
      startSignIn: { seconds: 0, system: 0, count: 0, wall: 0, calls: new Map<string, number>() },
      verifyOtp: { seconds: 0, system: 0, count: 0, wall: 0, calls: new Map<string, number>() },
    };
    const roundResults: BenchResults['rounds'] = [];
    const gatewayPhase = async (label: MutationName, count: number, run: () => Promise<PhaseResult>) => {
      await profiler?.startProfiling();
      const calls0 = await commandCalls(admin);
      const { result, seconds, system } = await cpuDuring(gateway.child, run);
      const calls = callsBetween(calls0, await commandCalls(admin));
      if (profiler && CPU_PROFILE_DIR) {
        const file = join(CPU_PROFILE_DIR, `gateway-${label}-${roundResults.length + 1}.cpuprofile`);
        writeFileSync(file, JSON.stringify(await profiler.stopProfiling()));
        log(`CPU profile: ${file}`);
      }
      expectAll(`gateway ${label}`, result);
      const total = pooled[label];
      total.seconds += seconds;
      total.system += system;
      total.count += count;
      total.wall += result.wallMs / 1000;
      for (const [name, n] of calls) total.calls.set(name, (total.calls.get(name) ?? 0) + n);
      return (seconds / count) * 1e6;
    };
    for (let round = 0; round < rounds; round++) {
      // Each process idled while the others were measured, and V8 drops code it has not run lately:
      // a short unmeasured burst first, for each, so that no one pays for recompiling in its round.
      await hammer(baseline, baselineUrl, requestBodies.echo, 1_000);
      const echo = await hammer(baseline, baselineUrl, requestBodies.echo, perRound.baseline);
      pooled.baseline.seconds += echo.seconds;
      pooled.baseline.system += echo.system;
      pooled.baseline.count += echo.result.requests;
      pooled.baseline.rps += echo.result.requestsPerSecond / rounds;
      pooled.baseline.p50 += echo.result.p50 / rounds;
      pooled.baseline.p99 += echo.result.p99 / rounds;
      await hammer(layer, layerUrl, requestBodies.startSignIn, 500);
      await hammer(layer, layerUrl, requestBodies.verifyOtp, 500);
      const layerStart = await hammer(layer, layerUrl, requestBodies.startSignIn, perRound.layer);
      const layerVerify = await hammer(layer, layerUrl, requestBodies.verifyOtp, perRound.layer);
      pooled.layerStart.seconds += layerStart.seconds;
      pooled.layerStart.count += layerStart.result.requests;
      pooled.layerVerify.seconds += layerVerify.seconds;
      pooled.layerVerify.count += layerVerify.result.requests;
      await floorCalls(200, false);
      const sdk = await floorCalls(perRound.flows, true);
      if (sdk === undefined) throw new Error('SDK floor: not measured');
      pooled.sdkInitiate.seconds += (sdk.initiateUs * perRound.flows) / 1e6;
      pooled.sdkInitiate.count += perRound.flows;
      pooled.sdkRespond.seconds += (sdk.respondUs * perRound.flows) / 1e6;
      pooled.sdkRespond.count += perRound.flows;
      // Half as many through the client without the middleware cache: the before of that change.
      const uncachedCount = Math.ceil(perRound.flows / 2);
      await floorCalls(100, false, false);
      const uncached = await floorCalls(uncachedCount, true, false);
      if (uncached === undefined) throw new Error('SDK floor: not measured');
      pooled.uncachedInitiate.seconds += (uncached.initiateUs * uncachedCount) / 1e6;
      pooled.uncachedInitiate.count += uncachedCount;
      pooled.uncachedRespond.seconds += (uncached.respondUs * uncachedCount) / 1e6;
      pooled.uncachedRespond.count += uncachedCount;
      await flows(gateway, 50);
      await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
      const from = users(perRound.flows);
      const startUs = await gatewayPhase('startSignIn', perRound.flows, () =>
        driver.call<PhaseResult>({
          cmd: 'start',
          ...targets(gateway),
          from,
          count: perRound.flows,
          concurrency: settings.concurrency,
          fetchCodes: true,
        }),
      );
      await driver.call({ cmd: 'clearMailbox', emulator: pool.endpoint });
      const verifyUs = await gatewayPhase('verifyOtp', perRound.flows, () =>
        driver.call<PhaseResult>({ cmd: 'verify', gateway: gateway.url, concurrency: settings.concurrency }),
      );
      roundResults.push({
        baselineUs: (echo.seconds / echo.result.requests) * 1e6,
        layerStartSignInUs: (layerStart.seconds / layerStart.result.requests) * 1e6,
        layerVerifyOtpUs: (layerVerify.seconds / layerVerify.result.requests) * 1e6,
        sdkInitiateAuthUs: sdk.initiateUs,
        sdkRespondUs: sdk.respondUs,
        startSignInUs: startUs,
        verifyOtpUs: verifyUs,
      });
      log(
        `  round ${round + 1}: ${JSON.stringify(roundResults.at(-1), (_k, v) => (typeof v === 'number' ? Math.round(v) : v))}`,
      );
    }
    await baseline.stop();
    await layer.stop();
    await floor.close();
    const cost = (label: MutationName): MutationCost => {
      const total = pooled[label];
      const commands: Record<string, number> = {};
      let all = 0;
      for (const [name, n] of [...total.calls].sort((a, b) => b[1] - a[1])) {
        commands[name] = n / total.count;
        all += n;
      }
      return {
        count: total.count,
        cpuSeconds: total.seconds,
        cpuUsPerMutation: (total.seconds / total.count) * 1e6,
        systemShare: total.seconds > 0 ? total.system / total.seconds : 0,
        commands,
        commandsPerMutation: all / total.count,
        wallSeconds: total.wall,
      };
    };
    const startCost = cost('startSignIn');
    const verifyCost = cost('verifyOtp');
    const baselineCost = {
      requests: pooled.baseline.count,
      cpuSeconds: pooled.baseline.seconds,
      cpuUsPerRequest: (pooled.baseline.seconds / pooled.baseline.count) * 1e6,
      systemShare: pooled.baseline.seconds > 0 ? pooled.baseline.system / pooled.baseline.seconds : 0,
      requestsPerSecond: pooled.baseline.rps,
      p50Ms: pooled.baseline.p50,
      p99Ms: pooled.baseline.p99,
    };
    const layerCost = {
      startSignInUs: (pooled.layerStart.seconds / pooled.layerStart.count) * 1e6,
      verifyOtpUs: (pooled.layerVerify.seconds / pooled.layerVerify.count) * 1e6,
    };
    const sdkFloor = {
      initiateAuthUs: (pooled.sdkInitiate.seconds / pooled.sdkInitiate.count) * 1e6,
      respondUs: (pooled.sdkRespond.seconds / pooled.sdkRespond.count) * 1e6,
      uncached: {
        initiateAuthUs: (pooled.uncachedInitiate.seconds / pooled.uncachedInitiate.count) * 1e6,
        respondUs: (pooled.uncachedRespond.seconds / pooled.uncachedRespond.count) * 1e6,
      },
    };

    if (CPU_ONLY) {
      const base = baselineCost.cpuUsPerRequest;
      const summary = {
        baselineUs: base,
        layer: layerCost,
        sdkFloor,
        startSignInUs: startCost.cpuUsPerMutation,
        verifyOtpUs: verifyCost.cpuUsPerMutation,
        ratio: (startCost.cpuUsPerMutation + verifyCost.cpuUsPerMutation) / 2 / base,
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

    // Sequential round trips: a gateway whose Redis replies come back 10 ms late, MONITOR on Redis.
    log('sequential Redis round trips');
    const proxy = await startDelayProxy(redis.port, settings.proxyDelayMs);
    cleanups.push(() => proxy.close());
    const slowGateway = await startGateway('gateway-rt', `redis://127.0.0.1:${proxy.port}`);
    // Enough flows that every script is loaded and the code is compiled: a JIT pause between two
    // commands of one round trip would otherwise look like two round trips.
    await flows(slowGateway, 20, 1);
    const monitorClient = new Redis(redis.url, { lazyConnect: true });
    await monitorClient.connect();
    const seen: MonitorLine[] = [];
    const monitor = await monitorClient.monitor();
    monitor.on('monitor', (time: string, args: string[], source: string) => {
      seen.push({ t: Number(time) * 1000, name: String(args[0]).toLowerCase(), source });
    });
    const timeline = await driver.call<TimedMutation[]>({
      cmd: 'sequential',
      ...targets(slowGateway),
      from: users(settings.sequentialFlows),
      count: settings.sequentialFlows,
      idleMs: 200,
    });
    await sleep(100);
    monitor.disconnect();
    monitorClient.disconnect();
    await slowGateway.child.stop();
    const roundTrips = analyseRounds(seen, timeline, proxy.upstreamPorts, settings.proxyDelayMs);

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
      layer: layerCost,
      sdkFloor,
      rounds: roundResults,
      gateway: { idleCpuUsPerSecond, mutations: { startSignIn: startCost, verifyOtp: verifyCost } },
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
 * arrive within well under a millisecond.
 */
function analyseRounds(
  lines: MonitorLine[],
  timeline: TimedMutation[],
  proxyPorts: ReadonlySet<number>,
  delayMs: number,
): BenchResults['roundTrips'] {
  const perMutation = {} as BenchResults['roundTrips']['perMutation'];
  const shapes = new Map<MutationName, Map<string, number>>();
  for (const mutation of timeline) {
    const inWindow = lines.filter((line) => line.t >= mutation.start - 2 && line.t <= mutation.end + 2);
    const topLevel = inWindow.filter((line) => proxyPorts.has(Number(line.source.split(':').at(-1))));
    const inLua = inWindow.filter((line) => line.source === 'lua');
    const rounds: string[][] = [];
    let last = Number.NEGATIVE_INFINITY;
    for (const line of topLevel) {
      if (line.t - last > delayMs / 2) rounds.push([]);
      rounds.at(-1)?.push(line.name);
      last = line.t;
    }
    perMutation[mutation.op] ??= { rounds: [], topLevel: [], inLua: [], shape: '' };
    const entry = perMutation[mutation.op];
    entry.rounds.push(rounds.length);
    entry.topLevel.push(topLevel.length);
    entry.inLua.push(inLua.length);
    const shape = rounds.map((round) => countNames(round)).join(' → ');
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

function countNames(names: string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return `[${[...counts].map(([name, n]) => (n > 1 ? `${n}×${name}` : name)).join(', ')}]`;
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
async function startForked<Command extends { cmd: string }>(script: string) {
  const child = await startProcess({
    name: script,
    command: process.execPath,
    args: ['--import', 'tsx', join(GATEWAY_DIR, script)],
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
