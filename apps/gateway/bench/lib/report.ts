import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { SDK_VARIANTS, type SdkVariant } from './protocol.js';
import type { BenchResults, MutationName, PhaseCost, RoundTrips, Summary } from './results.js';

/** The issue's targets; BENCHMARKS.md states them too. */
export const TARGETS = {
  /**
   * The engine's own CPU per mutation, µs: the share of a profile's busy samples whose stack holds the
   * engine's or its Redis client's frames and no SDK frame (bench/lib/attribution.ts), times the
   * gateway's CPU per mutation.
   */
  engineUs: 250,
  /** Sequential Redis round trips per mutation, standalone Redis. */
  roundTrips: 1,
  /** Sequential Redis round trips per mutation, Redis Cluster. */
  clusterRoundTrips: 2,
  /**
   * Redis commands per mutation (INFO commandstats, inside Lua included): half of the run this issue
   * started from (BENCHMARKS.md of 2026-11-24: 28 for startSignIn, 17 for verifyOtp).
   */
  commands: { startSignIn: 28 / 2, verifyOtp: 17 / 2 } as Record<MutationName, number>,
  /** Redis bytes per pending handle. */
  bytesPerHandle: 2 * 1024,
  /** Gateway CPU per whole flow / the peer's. */
  peerRatio: 0.6,
  /** Cognito's default UserAuthentication quota, requests/s (InitiateAuth and RespondToAuthChallenge count). */
  cognitoQuotaRps: 120,
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
const VARIANT_LABEL: Record<SdkVariant, string> = {
  before: 'before: maxAttempts 1, middleware cache, socket timeouts (the engine’s previous client)',
  agent: 'before + own keep-alive http/https Agents (maxSockets 256)',
  endpoint: 'before + a static endpointProvider (no rule set per call)',
  noUserAgent: 'before − the user-agent middleware (no header built per call)',
  engine: '`createCognitoClient` as it is now (the floor used above)',
};

const us = (n: number) => `${n.toFixed(0)} µs`;
const ms = (n: number) => `${n.toFixed(1)} ms`;
const x = (n: number) => `${n.toFixed(2)}×`;
const pct = (n: number) => `${(n * 100).toFixed(0)} %`;
const kb = (n: number) => `${(n / 1024).toFixed(2)} KB`;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const verdict = (ok: boolean) => (ok ? '**pass**' : '**FAIL**');
const worstOf = (rt: RoundTrips, name: MutationName) => {
  const rounds = rt.perMutation[name]?.rounds ?? [];
  return rounds.length === 0 ? Number.NaN : Math.max(...rounds);
};

/** The generated part of BENCHMARKS.md: every measured number of one run, with its target. */
export function renderReport(r: BenchResults): string {
  const base = r.baseline.cpuUsPerRequest;
  const trivial = r.httpBaseline.cpuUsPerRequest;
  const out: string[] = [];
  out.push(
    `Run of ${r.when.slice(0, 16).replace('T', ' ')} UTC on commit ${r.commit}: ${r.machine.cpus} × ${r.machine.cpuModel}, ` +
      `Node ${r.machine.node}, Redis ${r.machine.redis}, ${r.machine.os}; peer ${r.peer.name} ${r.peer.version}. ` +
      `Settings: ${Object.entries(r.settings)
        .map(([k, v]) => `${k}=${v}`)
        .join(', ')}.`,
    '',
  );

  // Verdict
  const f = r.sdkFloor;
  const floorOf: Record<MutationName, number> = {
    startSignIn: r.layer.startSignInUs + f.initiateAuthUs,
    verifyOtp: r.layer.verifyOtpUs + f.respondUs,
  };
  const above = (name: MutationName) => r.gateway.mutations[name].cpuUsPerMutation - floorOf[name];
  const engineUs = (name: MutationName) => r.gateway.profiled[name].engineUs;
  const flow = (key: string): PhaseCost | undefined => r.wholeFlows[key];
  const concurrencies = [...new Set(Object.keys(r.wholeFlows).map((k) => Number(k.split('-')[1])))].sort(
    (a, b) => a - b,
  );
  const quotaFlows = TARGETS.cognitoQuotaRps / 2;
  const gatewayFlowUs = (c: number) => flow(`gateway-${c}`)?.cpuUs ?? Number.NaN;
  const s = r.soak;
  const growthOk = s.projectedGrowthBytes < TARGETS.soakGrowthBytes;
  out.push(
    '#### Verdict',
    '',
    '| target | measured | limit | |',
    '|---|---:|---:|---|',
    ...MUTATIONS.map(
      (name) =>
        `| 1. engine CPU per mutation from profiles (its own frames: \`cognito-otp\` and its Redis client; not the SDK), \`${name}\` | ${us(engineUs(name))} | ≤ ${us(TARGETS.engineUs)} | ${verdict(engineUs(name) <= TARGETS.engineUs)} |`,
    ),
    ...MUTATIONS.map((name) => {
      const worst = worstOf(r.roundTrips, name);
      return `| 2. sequential Redis round trips, standalone, \`${name}\` | ${worst} | ≤ ${TARGETS.roundTrips} | ${verdict(worst <= TARGETS.roundTrips)} |`;
    }),
    ...MUTATIONS.map((name) => {
      const worst = worstOf(r.clusterRoundTrips, name);
      return `| 2. sequential Redis round trips, Redis Cluster, \`${name}\` | ${worst} | ≤ ${TARGETS.clusterRoundTrips} | ${verdict(worst <= TARGETS.clusterRoundTrips)} |`;
    }),
    ...MUTATIONS.map((name) => {
      const n = r.gateway.mutations[name].commandsPerOp;
      return `| 2. Redis commands per \`${name}\` (half of the 2026-11-24 run's) | ${n.toFixed(1)} | ≤ ${TARGETS.commands[name]} | ${verdict(n <= TARGETS.commands[name])} |`;
    }),
    ...concurrencies.map((c) => {
      const mine = flow(`gateway-${c}`)?.redisCpuUs ?? Number.NaN;
      const theirs = flow(`peer-${c}`)?.redisCpuUs ?? Number.NaN;
      return `| 2. Redis CPU per sign-in flow, ${c} concurrent flows: gateway's vs peer's | ${us(mine)} vs ${us(theirs)} | ≤ the peer's | ${verdict(mine <= theirs)} |`;
    }),
    `| 3. Redis memory per pending handle | ${kb(r.pending.bytesPerHandle)} | ≤ ${kb(TARGETS.bytesPerHandle)} | ${verdict(r.pending.bytesPerHandle <= TARGETS.bytesPerHandle)} |`,
    `| 4. SDK floor, InitiateAuth / RespondToAuthChallenge: before → \`createCognitoClient\` now | ${us(f.variants.before.initiateAuthUs)} → ${us(f.initiateAuthUs)} / ${us(f.variants.before.respondUs)} → ${us(f.respondUs)} | (cut what config can) | |`,
    ...concurrencies.map((c) => {
      const ratio = gatewayFlowUs(c) / (flow(`peer-${c}`)?.cpuUs ?? Number.NaN);
      return `| 5. gateway / peer CPU per complete sign-in flow, ${c} concurrent flows | ${x(ratio)} | ≤ ${x(TARGETS.peerRatio)} | ${verdict(ratio <= TARGETS.peerRatio)} |`;
    }),
    ...concurrencies.map((c) => {
      const perCore = 1e6 / gatewayFlowUs(c);
      return `| 6. sign-in flows/s per gateway core, ${c} concurrent flows (Cognito's default quota: ${TARGETS.cognitoQuotaRps} req/s = ${quotaFlows} flows/s) | ${perCore.toFixed(0)} (${x(perCore / quotaFlows)} the quota) | ≥ ${quotaFlows} | ${verdict(perCore >= quotaFlows)} |`;
    }),
    `| no heap growth trend over the soak | ${kb(s.projectedGrowthBytes)} | < ${kb(TARGETS.soakGrowthBytes)} | ${verdict(growthOk)} |`,
    '',
  );

  // Whole flows: gateway and peer
  out.push(
    `#### Whole flows, side by side: the gateway and ${r.peer.name} ${r.peer.version} (CPU per complete flow)`,
    '',
    '| system, flow | concurrent flows | flows | server CPU per flow | × node:http trivial request | Redis CPU per flow | Redis commands per flow | flows/s per server core |',
    '|---|---:|---:|---:|---:|---:|---:|---:|',
  );
  const systems: Array<[string, string]> = [
    ['gateway', 'gateway: `startSignIn` + `verifyOtp` (signed in)'],
    ['peer', `${r.peer.name}: send-verification-otp + sign-in/email-otp (user and session created)`],
    ['signUp', 'gateway: `signUp` + `confirmSignUp` (user created, signed in)'],
  ];
  for (const [key, label] of systems) {
    for (const c of concurrencies) {
      const p = flow(`${key}-${c}`);
      if (p === undefined) continue;
      out.push(
        `| ${label} | ${c} | ${p.count} | ${us(p.cpuUs)} | ${x(p.cpuUs / trivial)} | ${us(p.redisCpuUs)} | ${p.commandsPerOp.toFixed(1)} | ${(1e6 / p.cpuUs).toFixed(0)} |`,
      );
    }
  }
  out.push(
    `| node:http answering a small JSON POST (the trivial request), ${r.httpBaseline.requests} requests | ${r.settings.concurrency} | | ${us(trivial)} | 1.00× | | | |`,
    '',
    `Each system's Redis is its own redis-server, read with \`INFO cpu\` around the phase. The gateway at one ` +
      `core serves ${(1e6 / gatewayFlowUs(concurrencies[0] ?? 8)).toFixed(0)} sign-in flows/s; Cognito's default UserAuthentication ` +
      `quota (${TARGETS.cognitoQuotaRps} requests/s, 2 per flow) allows ${quotaFlows} flows/s per account and Region.`,
    '',
  );

  // CPU per mutation
  out.push(
    '#### Gateway CPU per mutation, and its floor',
    '',
    '| | CPU per call | of which kernel | × Apollo `echo` | × node:http trivial |',
    '|---|---:|---:|---:|---:|',
    `| node:http trivial JSON POST, ${r.httpBaseline.requests} requests | ${us(trivial)} | ${pct(r.httpBaseline.systemShare)} | ${x(trivial / base)} | 1.00× |`,
    `| bare Apollo Server 5 + Fastify \`echo\`, ${r.baseline.requests} calls | ${us(base)} | ${pct(r.baseline.systemShare)} | 1.00× | ${x(base / trivial)} |`,
    `| gateway layer alone (stub engine): \`startSignIn\` | ${us(r.layer.startSignInUs)} | | ${x(r.layer.startSignInUs / base)} | ${x(r.layer.startSignInUs / trivial)} |`,
    `| gateway layer alone (stub engine): \`verifyOtp\` | ${us(r.layer.verifyOtpUs)} | | ${x(r.layer.verifyOtpUs / base)} | ${x(r.layer.verifyOtpUs / trivial)} |`,
    `| AWS SDK call alone (\`createCognitoClient\`): InitiateAuth | ${us(f.initiateAuthUs)} | | ${x(f.initiateAuthUs / base)} | ${x(f.initiateAuthUs / trivial)} |`,
    `| AWS SDK call alone (\`createCognitoClient\`): RespondToAuthChallenge | ${us(f.respondUs)} | | ${x(f.respondUs / base)} | ${x(f.respondUs / trivial)} |`,
    `| floor of \`startSignIn\`: layer + InitiateAuth | ${us(floorOf.startSignIn)} | | ${x(floorOf.startSignIn / base)} | ${x(floorOf.startSignIn / trivial)} |`,
    `| floor of \`verifyOtp\`: layer + RespondToAuthChallenge | ${us(floorOf.verifyOtp)} | | ${x(floorOf.verifyOtp / base)} | ${x(floorOf.verifyOtp / trivial)} |`,
  );
  for (const name of MUTATIONS) {
    const m = r.gateway.mutations[name];
    out.push(
      `| gateway \`${name}\`, ${m.count} calls | ${us(m.cpuUsPerMutation)} | ${pct(m.systemShare)} | ${x(m.cpuUsPerMutation / base)} | ${x(m.cpuUsPerMutation / trivial)} |`,
    );
  }
  out.push(
    ...MUTATIONS.map(
      (name) =>
        `| above the floor: \`${name}\` (the engine, and what only a whole gateway does) | ${us(above(name))} | | | |`,
    ),
    '',
    '"Above the floor" subtracts processes measured apart (the layer with a stub engine, the SDK client alone); it also holds what only the whole gateway does (two kinds of sockets, more garbage per request). Whose CPU it is, from V8 profiles of the gateway itself:',
    '',
    '| mutation (profiled phase) | engine: `cognito-otp` + Redis client | AWS SDK (the Cognito call) | the rest: HTTP, Fastify, Apollo, GraphQL, logs, metrics, GC, V8 | engine CPU per mutation |',
    '|---|---:|---:|---:|---:|',
    ...MUTATIONS.map((name) => {
      const p = r.gateway.profiled[name];
      return `| \`${name}\`, ${p.mutations} calls | ${pct(p.shares.engine)} | ${pct(p.shares.sdk)} | ${pct(p.shares.other)} | ${us(p.engineUs)} (${pct(p.shares.engine)} of ${us(r.gateway.mutations[name].cpuUsPerMutation)}) |`;
    }),
    '',
    "A sample belongs to the SDK when an `@aws-sdk`/`@smithy` frame is on its stack, else to the engine when a frame of `cognito-otp` or ioredis (and the packages it parses replies with) is, else to the rest. Garbage collection and V8 work outside any stack stay in the rest, so the engine's share is a lower bound.",
    '',
    `Idle gateway: ${us(r.gateway.idleCpuUsPerSecond)} of CPU per second (included above). ` +
      `Redis CPU per mutation: startSignIn ${us(r.gateway.mutations.startSignIn.redisCpuUs)}, verifyOtp ${us(r.gateway.mutations.verifyOtp.redisCpuUs)}.`,
    '',
    `#### The SDK floor, setting by setting (same process, variants alternating, ${f.variants.engine.calls} calls each)`,
    '',
    '| client | InitiateAuth | RespondToAuthChallenge | saved vs before (mean of the two) | SDK alone, canned answer: InitiateAuth / Respond | saved vs before |',
    '|---|---:|---:|---:|---:|---:|',
    ...SDK_VARIANTS.map((variant) => {
      const saved = (table: typeof f.variants) => {
        const v = table[variant];
        const b = table.before;
        return (b.initiateAuthUs + b.respondUs - v.initiateAuthUs - v.respondUs) / 2;
      };
      const v = f.variants[variant];
      const o = f.sdkOnly[variant];
      const alone =
        variant === 'agent'
          ? '(no socket: n/a) | '
          : `${us(o.initiateAuthUs)} / ${us(o.respondUs)} | ${variant === 'before' ? '' : us(saved(f.sdkOnly))}`;
      return `| ${VARIANT_LABEL[variant]} | ${us(v.initiateAuthUs)} | ${us(v.respondUs)} | ${variant === 'before' ? '' : us(saved(f.variants))} | ${alone} |`;
    }),
    '',
    `"SDK alone": the same clients with their HTTP handler swapped for one that answers at once with a canned Cognito answer, ${f.sdkOnly.engine.calls} calls each, one at a time, variants alternating in batches of 100: the SDK's own work per call (serialising, middleware, parsing), without sockets and without the machine noise of a real round trip.`,
    '',
    'Per round (µs of CPU per call or per flow; the rounds alternate, so drift of the machine shows here and cancels in the totals):',
    '',
    `| round | node:http | Apollo echo | layer startSignIn | layer verifyOtp | SDK InitiateAuth | SDK Respond | gateway startSignIn | gateway verifyOtp | ${concurrencies.map((c) => `gateway flow @${c} | peer flow @${c}`).join(' | ')} |`,
    `|---:|---:|---:|---:|---:|---:|---:|---:|---:|${concurrencies.map(() => '---:|---:|').join('')}`,
    ...r.rounds.map(
      (round, index) =>
        `| ${index + 1} | ${round.httpBaselineUs.toFixed(0)} | ${round.baselineUs.toFixed(0)} | ${round.layerStartSignInUs.toFixed(0)} | ${round.layerVerifyOtpUs.toFixed(0)} | ` +
        `${round.sdkInitiateAuthUs.toFixed(0)} | ${round.sdkRespondUs.toFixed(0)} | ` +
        `${round.startSignInUs.toFixed(0)} | ${round.verifyOtpUs.toFixed(0)} | ` +
        `${concurrencies.map((c) => `${(round.flowUs[`gateway${c}`] ?? Number.NaN).toFixed(0)} | ${(round.flowUs[`peer${c}`] ?? Number.NaN).toFixed(0)}`).join(' | ')} |`,
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
    '#### Redis work per mutation',
    '',
    `| mutation | commands (INFO commandstats, incl. inside Lua) | target | | Redis CPU per call | round trips, standalone (MONITOR) | target | | round trips, Redis Cluster (MONITOR on each node) | target | |`,
    '|---|---:|---:|---|---:|---:|---:|---|---:|---:|---|',
  );
  const span = (rt: RoundTrips, name: MutationName) => {
    const rounds = rt.perMutation[name]?.rounds ?? [];
    if (rounds.length === 0) return 'n/a';
    const best = Math.min(...rounds);
    const worst = Math.max(...rounds);
    return best === worst ? String(best) : `${best}–${worst}`;
  };
  for (const name of MUTATIONS) {
    const m = r.gateway.mutations[name];
    const standalone = worstOf(r.roundTrips, name);
    const clustered = worstOf(r.clusterRoundTrips, name);
    out.push(
      `| \`${name}\` | ${m.commandsPerOp.toFixed(1)} | ≤ ${TARGETS.commands[name]} | ${verdict(m.commandsPerOp <= TARGETS.commands[name])} | ${us(m.redisCpuUs)} | ` +
        `${span(r.roundTrips, name)} | ≤ ${TARGETS.roundTrips} | ${verdict(standalone <= TARGETS.roundTrips)} | ` +
        `${span(r.clusterRoundTrips, name)} | ≤ ${TARGETS.clusterRoundTrips} | ${verdict(clustered <= TARGETS.clusterRoundTrips)} |`,
    );
  }
  const avg = (list: number[]) =>
    list.length === 0 ? Number.NaN : list.reduce((a, b) => a + b, 0) / list.length;
  for (const [label, rt] of [
    ['standalone Redis', r.roundTrips],
    ['Redis Cluster (3 masters; commands of all nodes merged in time order)', r.clusterRoundTrips],
  ] as const) {
    out.push(
      '',
      `Round trips as MONITOR saw them on ${label}, ${rt.samples} flows (commands sent together in brackets, → = waited for a reply, ⇢ = sent as the mutation answers, not waited for and not counted; top-level / in Lua per call):`,
      '',
    );
    if (rt.error !== undefined) out.push(`Not measured: ${rt.error}`);
    for (const name of MUTATIONS) {
      const entry = rt.perMutation[name];
      out.push(
        `- \`${name}\`: ${entry?.shape ?? 'n/a'} (${avg(entry?.topLevel ?? []).toFixed(1)} / ${avg(entry?.inLua ?? []).toFixed(1)})`,
      );
    }
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
    `#### Redis memory per pending handle (target: at most 2 KB), ${p.handles} handles`,
    '',
    '| measure | per pending handle | target | |',
    '|---|---:|---:|---|',
    `| \`used_memory\` delta / handles (everything the startSignIn calls added) | ${kb(p.bytesPerHandle)} | ≤ 2 KB | ${verdict(p.bytesPerHandle <= TARGETS.bytesPerHandle)} |`,
    `| MEMORY USAGE of the handle key | ${kb(p.handleKeyBytes)} | | |`,
    `| MEMORY USAGE of the limiter counters of its new destination | ${kb(p.counterBytesPerHandle)} | | |`,
    `| keys added per handle | ${p.keysPerHandle.toFixed(2)} | | |`,
    '',
  );

  // Soak
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
