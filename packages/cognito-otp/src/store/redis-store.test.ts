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

describe('redisHandleKey', () => {
  it('makes the handle id the cluster hash tag', () => {
    expect(redisHandleKey('otpgate', 'abc_-1')).toBe('otpgate:h:{abc_-1}');
  });
});
