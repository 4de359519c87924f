import { type RedisCluster, startRedisCluster } from '@otpgate/testing';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe } from 'vitest';
import { FAIL_FAST_CLUSTER_OPTIONS } from '../src/store/redis-store.js';
import { flowSuite } from './flow-suite.js';

let cluster: RedisCluster;
let redis: Cluster;

beforeAll(async () => {
  cluster = await startRedisCluster({ masters: 3, replicasPerMaster: 0 });
  redis = new Cluster(cluster.seeds, FAIL_FAST_CLUSTER_OPTIONS);
  await redis.connect();
});

afterAll(async () => {
  redis?.disconnect();
  await cluster?.[Symbol.asyncDispose]();
});

describe('flows on a 3-master Redis Cluster', () => {
  flowSuite(() => ({ name: 'cluster', redis }));
});
