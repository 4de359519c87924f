import { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { OtpConfigError } from '../errors.js';
import {
  createRedisStore,
  FAIL_FAST_CLUSTER_OPTIONS,
  FAIL_FAST_REDIS_OPTIONS,
  redisHandleKey,
} from './redis-store.js';

// Clients here never connect (lazyConnect, no command sent): configuration checks only.
const clients: (Redis | Cluster)[] = [];
function redis(options: object): Redis {
  const client = new Redis({ lazyConnect: true, ...options });
  clients.push(client);
  return client;
}
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

describe('createRedisStore', () => {
  it('accepts clients made with the fail-fast options', () => {
    expect(createRedisStore({ redis: redis(FAIL_FAST_REDIS_OPTIONS) }).kind).toBe('redis');
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], FAIL_FAST_CLUSTER_OPTIONS);
    clients.push(cluster);
    expect(createRedisStore({ redis: cluster }).kind).toBe('redis');
  });

  it('refuses a client with an offline queue: an outage would make requests wait, not fail', () => {
    expect(() => createRedisStore({ redis: redis({}) })).toThrow(OtpConfigError);
    expect(() => createRedisStore({ redis: redis({}) })).toThrow(
      /enableOfflineQueue must be false.*FAIL_FAST_REDIS_OPTIONS/,
    );
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    clients.push(cluster);
    expect(() => createRedisStore({ redis: cluster })).toThrow(/FAIL_FAST_CLUSTER_OPTIONS/);
  });

  it('refuses a client without a command timeout: a silent Redis would hang requests', () => {
    expect(() => createRedisStore({ redis: redis({ enableOfflineQueue: false }) })).toThrow(/commandTimeout/);
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], {
      lazyConnect: true,
      enableOfflineQueue: false,
    });
    clients.push(cluster);
    expect(() => createRedisStore({ redis: cluster })).toThrow(/redisOptions\.commandTimeout/);
  });

  it('refuses something that is not an ioredis client', () => {
    expect(() => createRedisStore({ redis: {} as Redis })).toThrow(OtpConfigError);
  });

  it.each(['', 'a{b}', 'with space', 'x'.repeat(65)])('refuses the prefix %j', (prefix) => {
    expect(() => createRedisStore({ redis: redis(FAIL_FAST_REDIS_OPTIONS), prefix })).toThrow(/"prefix"/);
  });
});

describe('a Cluster command that fails after another already did', () => {
  // During a failover one command of a step can fail while another it started beside it is still
  // retrying; the later failure must not become an unhandled rejection, which ends the process (it did:
  // "Too many Cluster redirections" killed both gateways of the failover test). Commands are replaced
  // here: the first fails at once, the one started beside it a moment later.
  function failingCluster() {
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], FAIL_FAST_CLUSTER_OPTIONS);
    clients.push(cluster);
    const store = createRedisStore({ redis: cluster });
    const commands = cluster as unknown as Record<string, unknown>;
    const late = () =>
      new Promise((_resolve, reject) =>
        setTimeout(() => reject(new Error('Too many Cluster redirections')), 20),
      );
    commands.otpgateLockHandleBuffer = () => Promise.reject(new Error('Connection is closed.'));
    commands.otpgateTake = late;
    commands.get = late;
    return store;
  }
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  afterEach(() => {
    process.off('unhandledRejection', onUnhandled);
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 60));
  const budget = { name: 'rule:60s', subject: 'ip-hash', limit: 5, windowMs: 60_000 };

  it('lockHandle: the lock fails first, the budgets taken beside it fail later', async () => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
    const store = failingCluster();
    await expect(store.lockHandle('h'.repeat(22), 1_000, { first: [budget] })).rejects.toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
    });
    await settle();
    expect(unhandled).toEqual([]);
  });

  it('take: a stage fails first, the account lookup started beside it fails later', async () => {
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
    const store = failingCluster();
    const cluster = clients.at(-1) as unknown as Record<string, unknown>;
    cluster.otpgateTake = () => Promise.reject(new Error('Connection is closed.'));
    const account = {
      name: 'send-acct:3600s',
      subject: { accountOf: 'identifier-key' },
      limit: 5,
      windowMs: 60_000,
    };
    await expect(store.take([[budget], [account]])).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    await settle();
    expect(unhandled).toEqual([]);
  });
});

describe('redisHandleKey', () => {
  it('makes the handle id the cluster hash tag', () => {
    expect(redisHandleKey('otpgate', 'abc_-1')).toBe('otpgate:h:{abc_-1}');
  });
});
