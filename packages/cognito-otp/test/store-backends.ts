import type { RedisCluster, RedisServer } from '@otpgate/testing';
import { Cluster, Redis } from 'ioredis';
import { createMemoryStore } from '../src/store/memory-store.js';
import {
  createRedisStore,
  FAIL_FAST_CLUSTER_OPTIONS,
  FAIL_FAST_REDIS_OPTIONS,
  redisHandleKey,
} from '../src/store/redis-store.js';
import type { OtpStore } from '../src/store/types.js';

/** One store under test plus what the contract needs to look behind it. */
export interface StoreBackend {
  readonly name: 'memory' | 'redis' | 'cluster';
  readonly store: OtpStore;
  /** Let `ms` of store time pass: the memory store's clock moves, Redis really waits. */
  elapse(ms: number): Promise<void>;
  /** Lock lease and short TTL used by time-based tests: small for Redis (real waiting), large for memory. */
  readonly shortMs: number;
  /** PTTL of a handle's key in ms (Redis only). */
  pttl?(id: string): Promise<number>;
  /** Every key name and value in the store (Redis only), for the no-clear-text check. */
  dump?(): Promise<Buffer[]>;
  /** MEMORY USAGE of a handle's key in bytes (Redis only). */
  memoryUsage?(id: string): Promise<number>;
  close(): Promise<void>;
}

/** A clock that moves only when told. */
export class ManualClock {
  #now = Date.UTC(2030, 0, 1);
  now(): number {
    return this.#now;
  }
  advance(ms: number): void {
    this.#now += ms;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function memoryBackend(): StoreBackend & { clock: ManualClock } {
  const clock = new ManualClock();
  return {
    name: 'memory',
    clock,
    store: createMemoryStore({ clock }),
    shortMs: 60_000,
    async elapse(ms) {
      clock.advance(ms);
    },
    async close() {},
  };
}

export async function redisClient(server: RedisServer): Promise<Redis> {
  const client = new Redis(server.url, FAIL_FAST_REDIS_OPTIONS);
  // The owner of a client listens for its errors (the store reports failures per call); without a
  // listener ioredis prints every reconnect attempt of the outage tests.
  client.on('error', () => {});
  await client.connect();
  return client;
}

export async function clusterClient(cluster: RedisCluster): Promise<Cluster> {
  const client = new Cluster(cluster.seeds, FAIL_FAST_CLUSTER_OPTIONS);
  client.on('error', () => {});
  await client.connect();
  return client;
}

async function dumpNode(node: Redis): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await node.scanBuffer(cursor, 'COUNT', 1000);
    cursor = next.toString();
    for (const key of keys) {
      out.push(key);
      const type = await node.type(key);
      if (type === 'hash') {
        for (const [field, value] of Object.entries(await node.hgetallBuffer(key)))
          out.push(Buffer.from(field), value);
      } else if (type === 'string') out.push((await node.getBuffer(key)) ?? Buffer.alloc(0));
      else out.push(Buffer.from(`<unexpected type ${type}>`));
    }
  } while (cursor !== '0');
  return out;
}

function redisBackendOf(name: 'redis' | 'cluster', client: Redis | Cluster, prefix: string): StoreBackend {
  const key = (id: string) => redisHandleKey(prefix, id);
  return {
    name,
    store: createRedisStore({ redis: client, prefix }),
    shortMs: 200,
    elapse: sleep,
    pttl: (id) => client.pttl(key(id)),
    async dump() {
      const nodes = client instanceof Cluster ? client.nodes('master') : [client];
      return (await Promise.all(nodes.map(dumpNode))).flat();
    },
    async memoryUsage(id) {
      return Number(await client.call('MEMORY', 'USAGE', key(id), 'SAMPLES', '0'));
    },
    async close() {
      client.disconnect();
    },
  };
}

export async function standaloneBackend(
  server: RedisServer,
  prefix = 'otpgate',
): Promise<StoreBackend & { client: Redis }> {
  const client = await redisClient(server);
  return { ...redisBackendOf('redis', client, prefix), client };
}

export async function clusterBackend(
  cluster: RedisCluster,
  prefix = 'otpgate',
): Promise<StoreBackend & { client: Cluster }> {
  const client = await clusterClient(cluster);
  return { ...redisBackendOf('cluster', client, prefix), client };
}
