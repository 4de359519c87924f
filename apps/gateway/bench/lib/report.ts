import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { BenchResults, MutationName, Summary } from './results.js';

/** The issue's targets; BENCHMARKS.md states them too. */
export const TARGETS = {
  /** Gateway CPU per mutation / baseline CPU per trivial mutation. */
  cpuRatio: 2.5,
  /** Sequential Redis round trips per mutation. */
  roundTrips: 2,
  /** Redis bytes per pending handle. */
  bytesPerHandle: 3 * 1024,
  /**
   * Heap growth over the soak's second half (least-squares slope of the after-GC heap times the
   * flows it spans): below this there is no trend to speak of.
   */
  soakGrowthBytes: 512 * 1024,
} as const;

const START = '<!-- bench:results:start -->';
const END = '<!-- bench:results:end -->';

const MUTATIONS: MutationName[] = ['startSignIn', 'verifyOtp'];
const FIRST_STEP: Record<'sdk' | 'gateway', [string, string]> = {
  sdk: ['InitiateAuth', 'RespondToAuthChallenge'],
  gateway: ['startSignIn', 'verifyOtp'],
};

const us = (n: number) => `${n.toFixed(0)} µs`;
const ms = (n: number) => `${n.toFixed(1)} ms`;
const x = (n: number) => `${n.toFixed(2)}×`;
const pct = (n: number) => `${(n * 100).toFixed(0)} %`;
const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const verdict = (ok: boolean) => (ok ? '**pass**' : '**FAIL**');

/** The generated part of BENCHMARKS.md: every measured number of one run, with its target. */
export function renderReport(r: BenchResults): string {
  const base = r.baseline.cpuUsPerRequest;
  const out: string[] = [];
  out.push(
    `Run of ${r.when.slice(0, 16).replace('T', ' ')} UTC on commit ${r.commit}: ${r.machine.cpus} × ${r.machine.cpuModel}, ` +
      `Node ${r.machine.node}, Redis ${r.machine.redis}, ${r.machine.os}. ` +
      `Settings: ${Object.entries(r.settings)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}.`,
    '',
  );

  // CPU
  const mutations = MUTATIONS.map((name) => r.gateway.mutations[name]);
  const perMutation = mutations.reduce((sum, m) => sum + m.cpuUsPerMutation, 0) / mutations.length;
  const f = r.sdkFloor;
  const floorStart = r.layer.startSignInUs + f.initiateAuthUs;
  const floorVerify = r.layer.verifyOtpUs + f.respondUs;
  const floorMean = (floorStart + floorVerify) / 2;
  out.push(
    '#### Gateway CPU per mutation (target: at most 2.5× the baseline trivial mutation)',
    '',
    '| | CPU per call | of which kernel | × baseline | target | |',
    '|---|---:|---:|---:|---:|---|',
    `| baseline \`echo\` (bare Apollo Server 5 + Fastify), ${r.baseline.requests} calls | ${us(base)} | ${pct(r.baseline.systemShare)} | 1.00× | | |`,
    `| gateway layer alone (stub engine): \`startSignIn\` | ${us(r.layer.startSignInUs)} | | ${x(r.layer.startSignInUs / base)} | | |`,
    `| gateway layer alone (stub engine): \`verifyOtp\` | ${us(r.layer.verifyOtpUs)} | | ${x(r.layer.verifyOtpUs / base)} | | |`,
    `| AWS SDK call alone (the engine's client): InitiateAuth | ${us(f.initiateAuthUs)} | | ${x(f.initiateAuthUs / base)} | | |`,
    `| AWS SDK call alone (the engine's client): RespondToAuthChallenge | ${us(f.respondUs)} | | ${x(f.respondUs / base)} | | |`,
    `| floor of \`startSignIn\`: layer + InitiateAuth, no Redis, no crypto | ${us(floorStart)} | | ${x(floorStart / base)} | | |`,
    `| floor of \`verifyOtp\`: layer + RespondToAuthChallenge | ${us(floorVerify)} | | ${x(floorVerify / base)} | | |`,
  );
  for (const name of MUTATIONS) {
    const m = r.gateway.mutations[name];
    const ratio = m.cpuUsPerMutation / base;
    out.push(
      `| gateway \`${name}\`, ${m.count} calls | ${us(m.cpuUsPerMutation)} | ${pct(m.systemShare)} | ${x(ratio)} | ≤ ${TARGETS.cpuRatio}× | ${verdict(ratio <= TARGETS.cpuRatio)} |`,
    );
  }
  out.push(
    `| gateway, mean of the two | ${us(perMutation)} | | ${x(perMutation / base)} | ≤ ${TARGETS.cpuRatio}× | ${verdict(perMutation / base <= TARGETS.cpuRatio)} |`,
    `| gateway, one whole flow (startSignIn + verifyOtp) | ${us(perMutation * 2)} | | ${x((perMutation * 2) / base)} | | |`,
    '',
    `The floor (layer + the one SDK call each mutation must make) is ${x(floorMean / base)} the baseline on its own, ` +
      `so the ${TARGETS.cpuRatio}× target cannot be met while the gateway speaks to Cognito through the AWS SDK; ` +
      `what the engine adds above that floor (Redis, handle crypto, limits) is ${us(perMutation - floorMean)} per mutation ` +
      `(${x((perMutation - floorMean) / base)} the baseline).`,
    '',
    `Before/after of the SDK middleware cache (\`cacheMiddleware: true\` in \`createCognitoClient\`), same calls, same run: ` +
      `InitiateAuth ${us(f.uncached.initiateAuthUs)} → ${us(f.initiateAuthUs)}, ` +
      `RespondToAuthChallenge ${us(f.uncached.respondUs)} → ${us(f.respondUs)}.`,
    '',
    `Of the gateway's CPU per mutation, the HTTP and GraphQL layer takes ` +
      `${us((r.layer.startSignInUs + r.layer.verifyOtpUs) / 2)} and the engine's work (one Cognito call through the ` +
      `AWS SDK, Redis, crypto) the other ${us(perMutation - (r.layer.startSignInUs + r.layer.verifyOtpUs) / 2)}. ` +
      `Idle gateway: ${us(r.gateway.idleCpuUsPerSecond)} of CPU per second (included above). ` +
      `Baseline throughput ${r.baseline.requestsPerSecond.toFixed(0)} req/s at ${r.settings.concurrency} connections.`,
    '',
    'Per round (µs per call; the rounds alternate, so drift of the machine shows here and cancels in the totals):',
    '',
    '| round | baseline | layer startSignIn | layer verifyOtp | SDK InitiateAuth | SDK Respond | gateway startSignIn | gateway verifyOtp | × baseline (startSignIn / verifyOtp) |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...r.rounds.map(
      (round, index) =>
        `| ${index + 1} | ${round.baselineUs.toFixed(0)} | ${round.layerStartSignInUs.toFixed(0)} | ${round.layerVerifyOtpUs.toFixed(0)} | ` +
        `${round.sdkInitiateAuthUs.toFixed(0)} | ${round.sdkRespondUs.toFixed(0)} | ` +
        `${round.startSignInUs.toFixed(0)} | ${round.verifyOtpUs.toFixed(0)} | ` +
        `${x(round.startSignInUs / round.baselineUs)} / ${x(round.verifyOtpUs / round.baselineUs)} |`,
    ),
    '',
  );

  // Latency
  const row = (label: string, s: Summary) =>
    `| ${label} | ${ms(s.p50)} | ${ms(s.p90)} | ${ms(s.p99)} | ${ms(s.max)} |`;
  out.push(
    `#### Latency at a fixed offered rate: ${r.latency.flowsPerSecond} flows/s (${2 * r.latency.flowsPerSecond} mutations/s), ${r.latency.flows} flows each`,
    '',
    '| call | p50 | p90 | p99 | max |',
    '|---|---:|---:|---:|---:|',
  );
  for (const via of ['sdk', 'gateway'] as const) {
    const side = r.latency[via];
    const [first, second] = FIRST_STEP[via];
    const prefix = via === 'sdk' ? 'AWS SDK → emulator:' : 'gateway:';
    out.push(row(`${prefix} ${first}`, side.first), row(`${prefix} ${second}`, side.second));
  }
  const added = (step: 'first' | 'second', p: 'p50' | 'p99') =>
    r.latency.gateway[step][p] - r.latency.sdk[step][p];
  out.push(
    '',
    '| added by the gateway | p50 | p99 |',
    '|---|---:|---:|',
    `| startSignIn over InitiateAuth | ${ms(added('first', 'p50'))} | ${ms(added('first', 'p99'))} |`,
    `| verifyOtp over RespondToAuthChallenge | ${ms(added('second', 'p50'))} | ${ms(added('second', 'p99'))} |`,
    '',
    `Failures: SDK ${r.latency.sdk.failed}, gateway ${r.latency.gateway.failed}` +
      `${[r.latency.sdk.firstError, r.latency.gateway.firstError]
        .filter(Boolean)
        .map((e) => ` (${e})`)
        .join('')}. ` +
      `The driver started flows at most ${ms(Math.max(r.latency.sdk.maxLagMs, r.latency.gateway.maxLagMs))} behind schedule.`,
    '',
  );

  // Redis commands and round trips
  out.push(
    '#### Redis work per mutation (target: at most 2 sequential round trips)',
    '',
    '| mutation | commands (INFO commandstats, incl. inside Lua) | top-level / in Lua (MONITOR) | sequential round trips (MONITOR) | target | |',
    '|---|---:|---:|---:|---:|---|',
  );
  for (const name of MUTATIONS) {
    const m = r.gateway.mutations[name];
    const rt = r.roundTrips.perMutation[name];
    const rounds = rt?.rounds ?? [];
    const worst = rounds.length === 0 ? Number.NaN : Math.max(...rounds);
    const best = rounds.length === 0 ? Number.NaN : Math.min(...rounds);
    const avg = (list: number[]) =>
      list.length === 0 ? Number.NaN : list.reduce((a, b) => a + b, 0) / list.length;
    out.push(
      `| \`${name}\` | ${m.commandsPerMutation.toFixed(1)} | ${avg(rt?.topLevel ?? []).toFixed(1)} / ${avg(rt?.inLua ?? []).toFixed(1)} | ${best === worst ? best : `${best}–${worst}`} | ≤ ${TARGETS.roundTrips} | ${verdict(worst <= TARGETS.roundTrips)} |`,
    );
  }
  out.push(
    '',
    'Round trips as MONITOR saw them (commands sent together in brackets, → = waited for a reply):',
    '',
  );
  for (const name of MUTATIONS) {
    out.push(`- \`${name}\`: ${r.roundTrips.perMutation[name]?.shape ?? 'n/a'}`);
  }
  out.push('', 'Commands per mutation by name (INFO commandstats delta over the CPU phase):', '');
  for (const name of MUTATIONS) {
    const list = Object.entries(r.gateway.mutations[name].commands)
      .map(([cmd, n]) => `${cmd} ${n.toFixed(2)}`)
      .join(', ');
    out.push(`- \`${name}\`: ${list}`);
  }
  out.push('');

  // Memory per pending handle
  const p = r.pending;
  out.push(
    `#### Redis memory per pending handle (target: at most 3 KB), ${p.handles} handles`,
    '',
    '| measure | per pending handle | target | |',
    '|---|---:|---:|---|',
    `| \`used_memory\` delta / handles (everything the startSignIn calls added) | ${kb(p.bytesPerHandle)} | ≤ 3 KB | ${verdict(p.bytesPerHandle <= TARGETS.bytesPerHandle)} |`,
    `| MEMORY USAGE of the handle key | ${kb(p.handleKeyBytes)} | | |`,
    `| MEMORY USAGE of the limiter counters of its new destination | ${kb(p.counterBytesPerHandle)} | | |`,
    `| keys added per handle | ${p.keysPerHandle.toFixed(2)} | | |`,
    '',
  );

  // Soak
  const s = r.soak;
  const growthOk = s.projectedGrowthBytes < TARGETS.soakGrowthBytes;
  out.push(
    `#### Gateway heap over ${s.flows} flows (target: no growth trend)`,
    '',
    `| flows | heap used${s.forcedGc ? ' after a forced full GC' : ''} | heap used (as sampled) | RSS |`,
    '|---:|---:|---:|---:|',
  );
  s.samples.forEach((sample, index) => {
    // Every other sample: one row per 10 % of the soak.
    if (index % 2 === 1 || s.samples.length <= 10) {
      out.push(
        `| ${sample.flows} | ${sample.heapUsedAfterGc === undefined ? 'n/a' : mb(sample.heapUsedAfterGc)} | ${mb(sample.heapUsed)} | ${mb(sample.rss)} |`,
      );
    }
  });
  out.push(
    '',
    `Trend over the second half (${s.samples.length - Math.floor(s.samples.length / 2)} samples, least squares): ` +
      `${s.slopeBytesPerFlow.toFixed(1)} bytes per flow (r² ${s.r2.toFixed(2)}), i.e. ${kb(s.projectedGrowthBytes)} over that half; ` +
      `threshold ${kb(TARGETS.soakGrowthBytes)}: ${verdict(growthOk)}. ` +
      `${s.flows} flows took ${s.wallSeconds.toFixed(0)} s (${(s.flows / s.wallSeconds).toFixed(0)} flows/s with everything on ${r.machine.cpus} cores).`,
  );
  return out.join('\n');
}

/** Replaces the generated block of BENCHMARKS.md (between the markers), or appends one. */
export function updateBenchmarksFile(path: string, report: string): void {
  const block = `${START}\n${report}\n${END}`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(START);
  const end = current.indexOf(END);
  const next =
    start >= 0 && end > start
      ? `${current.slice(0, start)}${block}${current.slice(end + END.length)}`
      : `${current.trimEnd()}\n\n${block}\n`;
  writeFileSync(path, next);
}
