import { createHmac, randomBytes } from 'node:crypto';
import { type RedisCluster, type RedisServer, startRedis, startRedisCluster } from '@otpgate/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOtpError } from '../src/errors.js';
import { handleId, newHandle, parseHandle, sealBytes } from '../src/handles/handle-crypto.js';
import { DEFAULT_LIMITS, Limits } from '../src/limits/limits.js';
import { createRedisStore, FAIL_FAST_REDIS_OPTIONS } from '../src/store/redis-store.js';
import type { OtpStore } from '../src/store/types.js';
import { clusterBackend, memoryBackend, redisClient, standaloneBackend } from './store-backends.js';
import { storeContract } from './store-contract.js';

let server: RedisServer;
let cluster: RedisCluster;

beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedis(), startRedisCluster({ masters: 3 })]);
});
afterAll(async () => {
  await Promise.all([server?.[Symbol.asyncDispose](), cluster?.[Symbol.asyncDispose]()]);
});

describe('memory store', () => storeContract(async () => memoryBackend()));
describe('redis store, standalone', () => storeContract(() => standaloneBackend(server)));
describe('redis store, 3-master cluster', () => storeContract(() => clusterBackend(cluster)));

/** Resolves with the SERVICE_UNAVAILABLE error `call` fails with, and how long that took. */
async function unavailable(call: () => Promise<unknown>): Promise<number> {
  const started = Date.now();
  const error = await call().then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(isOtpError(error) && error.code).toBe('SERVICE_UNAVAILABLE');
  expect((error as Error).cause).toBeInstanceOf(Error);
  return Date.now() - started;
}

function everyMethod(store: OtpStore, id: string): (() => Promise<unknown>)[] {
  return [
    () => store.createHandle(id, Buffer.from('x'), 60_000),
    () => store.lockHandle(id, 1_000),
    () => store.replaceHandle(id, 't', Buffer.from('x'), 60_000),
    () => store.recordWrongCode(id, 't', 3),
    () => store.unlockHandle(id, 't'),
    () => store.consumeHandle(id, 't'),
    () => store.deleteHandle(id),
    () => store.ping(),
  ];
}

describe('redis store, no clear text', () => {
  it('a dump of every key and value holds no handle, record content, address or IP', async () => {
    const backend = await standaloneBackend(server, 'dumptest');
    try {
      const MARKER = 'MARKER-7f3a9c-session';
      const handleText = newHandle(randomBytes);
      const handle = parseHandle(handleText)!;
      const email = 'someone.marker@example.com';
      const ip = '203.0.113.77';
      const destinationKey = createHmac('sha256', 'engine secret').update(email).digest('base64url');
      await backend.store.createHandle(
        handleId(handle),
        sealBytes(
          handle,
          'shop',
          Buffer.from(JSON.stringify({ session: MARKER, username: email, profile: 'shop' })),
        ),
        60_000,
      );
      const limits = new Limits(backend.store, DEFAULT_LIMITS, { keySecret: 'limits secret' });
      await limits.request(ip);
      await limits.send({ destinationKey, ip, profile: 'shop' });
      await limits.reserveWrongCode(destinationKey, ip);

      const dump = Buffer.concat(await backend.dump!());
      expect(dump.length).toBeGreaterThan(0);
      for (const secret of [
        MARKER,
        email,
        ip,
        handleText,
        handle.toString('hex'),
        handle.toString('base64'),
        'shop","username', // any JSON fragment of the record
      ]) {
        expect(dump.includes(secret), secret).toBe(false);
      }
      expect(dump.includes(handle)).toBe(false);
      // What is there: the hashed id as the key's hash tag.
      expect(dump.includes(`dumptest:h:{${handleId(handle)}}`)).toBe(true);
    } finally {
      await backend.close();
    }
  });
});

describe('redis store, outage', () => {
  it('standalone: fails closed at once while Redis is down, and recovers when it is back', async () => {
    await using own = await startRedis();
    const client = await redisClient(own);
    try {
      const store = createRedisStore({ redis: client });
      const id = handleId(randomBytes(32));
      await store.createHandle(id, Buffer.from('data'), 60_000);
      await own.stop('SIGKILL');
      const took: number[] = [];
      for (const call of everyMethod(store, id)) took.push(await unavailable(call));
      console.info(`standalone, Redis down: SERVICE_UNAVAILABLE after ${took.join(', ')} ms`);
      for (const ms of took) expect(ms).toBeLessThan(1_500);
      await own.start();
      await expect
        .poll(
          () =>
            store.ping().then(
              () => 'up',
              () => 'down',
            ),
          { timeout: 5_000, interval: 100 },
        )
        .toBe('up');
      // Data did not survive (no persistence), and nothing ran late after the failures.
      expect(await store.lockHandle(id, 1_000)).toEqual({ status: 'missing' });
    } finally {
      client.disconnect();
    }
  });

  it('standalone: a Redis that accepts but never answers fails within the command timeout', async () => {
    await using own = await startRedis({ args: ['--enable-debug-command', 'yes'] });
    const client = await redisClient(own);
    const blocker = await redisClient(own);
    try {
      const store = createRedisStore({ redis: client });
      // DEBUG SLEEP blocks the server, like an overloaded or paused Redis.
      void blocker.call('DEBUG', 'SLEEP', '2').catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
      const took = await unavailable(() => store.lockHandle(handleId(randomBytes(32)), 1_000));
      expect(took).toBeGreaterThanOrEqual(FAIL_FAST_REDIS_OPTIONS.commandTimeout - 150);
      expect(took).toBeLessThan(FAIL_FAST_REDIS_OPTIONS.commandTimeout + 700);
    } finally {
      client.disconnect();
      blocker.disconnect();
    }
  });

  it('cluster: a lost master fails its handles closed within seconds; the cluster recovers when it is back', async () => {
    const backend = await clusterBackend(cluster, 'outage');
    const { store, client } = backend;
    try {
      // A handle on the master we stop.
      const victim = cluster.nodes[0]!;
      const slots = (await client.cluster('SLOTS')) as unknown;
      let id = '';
      do id = handleId(randomBytes(32));
      while (ownerPort(slots, Number(await client.cluster('KEYSLOT', `outage:h:{${id}}`))) !== victim.port);
      await store.createHandle(id, Buffer.from('data'), 60_000);
      await cluster.stopNode(victim.port, 'SIGKILL');
      const took: number[] = [];
      for (const call of everyMethod(store, id).slice(0, 7)) took.push(await unavailable(call));
      console.info(`cluster, master lost: SERVICE_UNAVAILABLE after ${took.join(', ')} ms`);
      for (const ms of took) expect(ms).toBeLessThan(3_500);
      await cluster.startNode(victim.port);
      await expect
        .poll(
          () =>
            store.ping().then(
              () => 'up',
              () => 'down',
            ),
          { timeout: 15_000, interval: 200 },
        )
        .toBe('up');
      await store.createHandle(id, Buffer.from('again'), 60_000);
      expect((await store.lockHandle(id, 1_000)).status).toBe('locked');
    } finally {
      await backend.close();
    }
  });
});

/** The port of the master owning `slot`, from CLUSTER SLOTS: [[start, end, [host, port, id], ...replicas], ...]. */
function ownerPort(slots: unknown, slot: number): number | undefined {
  for (const range of slots as [number, number, [string, number]][]) {
    if (slot >= range[0] && slot <= range[1]) return Number(range[2][1]);
  }
  return undefined;
}
