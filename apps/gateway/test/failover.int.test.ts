import { type Emulator, startEmulator } from '@otpgate/cognito-emulator';
import { type RedisCluster, startRedisCluster } from '@otpgate/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type GatewayProcess, LOAD_LIMITS, profileEnv, sleep, startGatewayProcess } from './process.js';
import {
  type FlowRecord,
  newAddress,
  register,
  runFlowLoops,
  splitByOutage,
  tally,
} from './process-flows.js';

// Issue 5: a Redis Cluster of 3 masters and 3 replicas, two gateway processes, a steady stream of
// sign-ins, and one master SIGKILLed mid-stream. While its slots have no master, flows fail with a
// contract error (never a 500, never a hang); once a replica has taken over, every flow completes,
// without restarting either gateway.

const NODE_TIMEOUT_MS = 2_000;
const LOOPS = 3;
/** Flows before the kill. */
const WARM_MS = 2_500;
/** Flows after recovery. */
const AFTER_RECOVERY_MS = 5_000;
/** Hard bound on the whole stream, whatever happens. */
const STREAM_LIMIT_MS = 22_000;
/** What a flow caught by the failover may end with: the store is unavailable, or lost its handle or lock. */
const OUTAGE_ERRORS = ['SERVICE_UNAVAILABLE', 'SESSION_EXPIRED', 'RATE_LIMITED'];

let emulator: Emulator;
let cluster: RedisCluster;
let gateways: GatewayProcess[] = [];
const emails: string[] = [];

beforeAll(async () => {
  [emulator, cluster] = await Promise.all([
    startEmulator({ port: 0 }),
    startRedisCluster({ masters: 3, replicasPerMaster: 1, nodeTimeoutMs: NODE_TIMEOUT_MS }),
  ]);
  const pool = await emulator.createPasswordlessPool();
  const env = {
    ...profileEnv(pool, emulator.url, { limits: LOAD_LIMITS }),
    REDIS_CLUSTER_NODES: cluster.seeds.map((node) => `${node.host}:${node.port}`).join(','),
  };
  gateways = await Promise.all([
    startGatewayProcess({ name: 'cluster-a', env }),
    startGatewayProcess({ name: 'cluster-b', env }),
  ]);
  for (let i = 0; i < LOOPS; i++) {
    const email = newAddress('failover');
    await register(gateways[i % 2] as GatewayProcess, emulator, email);
    emails.push(email);
  }
});

afterAll(async () => {
  await Promise.all(gateways.map((gateway) => gateway.stop()));
  await cluster?.[Symbol.asyncDispose]();
  await emulator?.close();
});

/** CLUSTER NODES and CLUSTER INFO as seen by the node on `port`. */
async function clusterView(port: number) {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => undefined);
  try {
    const [nodes, info] = await Promise.all([client.cluster('NODES'), client.cluster('INFO')]);
    return {
      ok: String(info).includes('cluster_state:ok'),
      nodes: String(nodes)
        .trim()
        .split('\n')
        .map((line) => {
          const fields = line.split(' ');
          return {
            port: Number(/:(\d+)@/.exec(fields[1] ?? '')?.[1]),
            flags: fields[2] ?? '',
            slots: fields.slice(8).join(' '),
          };
        }),
    };
  } finally {
    client.disconnect();
  }
}

/**
 * The failover is over when every surviving node reports cluster_state:ok AND no longer gives the
 * killed master any slot. cluster_state:ok alone is not enough: right after the kill, and even once one
 * node has flagged it failed, others still answer ok with the dead master owning its slots.
 */
async function failedOver(victimPort: number): Promise<boolean> {
  const survivors = cluster.nodes.filter((node) => node.port !== victimPort);
  const views = await Promise.all(survivors.map((node) => clusterView(node.port)));
  return views.every(
    (view) => view.ok && view.nodes.every((node) => node.port !== victimPort || node.slots === ''),
  );
}

async function until(what: string, condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// Failover takes about 4 s here; the timeout leaves room for the waits' bounds on a loaded machine.
it('a master is SIGKILLed mid-stream: contract errors while its slots have no master, then every flow completes', async () => {
  const view = await clusterView(cluster.nodes[0]?.port as number);
  const victim = view.nodes.find((node) => node.flags.includes('master') && node.slots !== '');
  expect(victim).toBeDefined();
  const victimPort = victim?.port as number;

  const streamStarted = Date.now();
  let stopAt = streamStarted + STREAM_LIMIT_MS;
  const stream = runFlowLoops({
    gateways,
    emulator,
    emails,
    stop: () => Date.now() > stopAt,
    maxFlowsPerLoop: 400,
  });

  const timeline: Record<string, number | string> = {};
  let killedAt = Number.POSITIVE_INFINITY;
  let recoveredAt = Number.POSITIVE_INFINITY;
  try {
    await sleep(WARM_MS);
    killedAt = Date.now();
    await cluster.stopNode(victimPort, 'SIGKILL');
    // Meanwhile, note what readiness says (an orchestrator's view; not a pass/fail criterion).
    const readiness = new Set<number>();
    let watching = true;
    const watch = (async () => {
      while (watching) {
        for (const status of await Promise.all(gateways.map((gateway) => gateway.probe('/readyz')))) {
          readiness.add(status);
        }
        await sleep(200);
      }
    })();
    try {
      // cluster-node-timeout, failure agreement, replica election: a replica now owns the slots.
      await until('a replica to take over the killed master', () => failedOver(victimPort), 20_000);
      recoveredAt = Date.now();
      timeline.failedOverMs = recoveredAt - killedAt;
      // Both gateways serve again without a restart.
      await until(
        'both gateways to be ready',
        async () =>
          (await Promise.all(gateways.map((gateway) => gateway.probe('/readyz')))).every((s) => s === 200),
        10_000,
      ).catch((error: Error) => {
        // Say why: a gateway that died (it did once, of an unhandled rejection) shows it in its output.
        const tails = gateways.map(
          (gateway) => `${gateway.name}:\n${gateway.output().split('\n').slice(-15).join('\n')}`,
        );
        throw new Error(`${error.message}; the gateways' last output:\n${tails.join('\n')}`);
      });
      timeline.gatewaysReadyMs = Date.now() - killedAt;
    } finally {
      watching = false;
      await watch;
    }
    timeline.readinessSeen = [...readiness].sort().join(',');
    stopAt = Math.min(stopAt, recoveredAt + AFTER_RECOVERY_MS);
  } finally {
    // Whatever failed above, the loops end by their own bound; never leave them running.
    stopAt = Math.min(stopAt, Date.now() + AFTER_RECOVERY_MS);
    await stream.catch(() => undefined);
  }
  const records: FlowRecord[] = await stream;
  const { before, during, after, slowestMs: slowest } = splitByOutage(records, killedAt, recoveredAt);
  console.info(
    JSON.stringify({
      timeline,
      flows: { before: tally(before), during: tally(during), after: tally(after) },
      slowestRequestMs: Math.round(slowest),
      flowsPerSecondAfter: Math.round((after.length / AFTER_RECOVERY_MS) * 1000),
    }),
  );

  expect(before.length).toBeGreaterThan(0);
  expect(tally(before)).toEqual({ DONE: before.length });
  // The kill did hit the stream (every flow touches keys on all three shards: limiter counters, handle).
  expect(during.some((record) => record.outcome !== 'DONE')).toBe(true);
  for (const record of during) {
    expect(['DONE', ...OUTAGE_ERRORS], `flow ended with ${record.outcome}`).toContain(record.outcome);
  }
  // No 500s, no hangs: every answer is GraphQL's, and each came well within the request timeout.
  for (const record of records) {
    for (const request of record.requests) expect(request.status).not.toBe(500);
  }
  expect(slowest).toBeLessThan(5_000);
  // After recovery no handle is lost and the store refuses nothing: every flow completes. The one
  // exception is the Cognito leg, which this test does not fail over: once in a CI run (of hundreds
  // here), one flow ended UPSTREAM_UNAVAILABLE after recovery, a Cognito call to the emulator that
  // failed on a starved machine. Such a flow is allowed only as a Cognito failure the gateways logged
  // (cognito.error), at most one, and is printed; anything from the store still fails the test.
  expect(after.length).toBeGreaterThan(LOOPS * 3);
  const cognitoErrors = gateways.flatMap((gateway) =>
    gateway
      .logs()
      .filter((line) => line.msg === 'cognito.error' && Number(line.time) >= recoveredAt)
      .map(({ cognitoStep, cognitoError, errorCode, durationMs }) => ({
        cognitoStep,
        cognitoError,
        errorCode,
        durationMs,
      })),
  );
  if (cognitoErrors.length > 0) console.info(JSON.stringify({ cognitoErrorsAfterRecovery: cognitoErrors }));
  const { DONE: completed = 0, UPSTREAM_UNAVAILABLE: upstream = 0, ...others } = tally(after);
  expect(others, JSON.stringify(cognitoErrors)).toEqual({});
  expect(completed + upstream).toBe(after.length);
  expect(upstream).toBeLessThanOrEqual(1);
  expect(cognitoErrors.filter((line) => line.errorCode === 'UPSTREAM_UNAVAILABLE').length).toBe(upstream);

  // The killed node comes back as a replica of the master that replaced it (the harness waits for its
  // sync); the gateways carry on undisturbed.
  await cluster.startNode(victimPort);
  const rejoined = (await clusterView(victimPort)).nodes.find((node) => node.flags.includes('myself'));
  expect(rejoined?.flags).toContain('slave');
  const burst = await runFlowLoops({ gateways, emulator, emails, stop: () => false, maxFlowsPerLoop: 3 });
  expect(tally(burst)).toEqual({ DONE: LOOPS * 3 });

  // Neither process crashed or restarted.
  for (const gateway of gateways) {
    expect(gateway.running).toBe(true);
    expect(await gateway.probe('/healthz')).toBe(200);
  }
  // The outage is logged as such (engine.error SERVICE_UNAVAILABLE, for operators); nothing unexpected.
  const errorsLogged = gateways.flatMap((gateway) =>
    gateway
      .logs()
      .filter(
        (line) =>
          /unexpected error/.test(String(line.msg)) ||
          (line.msg === 'engine.error' && line.errorCode !== 'SERVICE_UNAVAILABLE'),
      ),
  );
  expect(errorsLogged).toEqual([]);
  expect(await Promise.all(gateways.map((gateway) => gateway.stop()))).toEqual([0, 0]);
}, 45_000);
