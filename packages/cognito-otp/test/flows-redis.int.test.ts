import { type RedisServer, startRedis } from '@otpgate/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe } from 'vitest';
import { FAIL_FAST_REDIS_OPTIONS } from '../src/store/redis-store.js';
import { flowSuite } from './flow-suite.js';

let server: RedisServer;
let redis: Redis;

beforeAll(async () => {
  server = await startRedis();
  redis = new Redis(server.url, FAIL_FAST_REDIS_OPTIONS);
  await redis.connect();
});

afterAll(async () => {
  redis?.disconnect();
  await server?.[Symbol.asyncDispose]();
});

describe('flows on a standalone Redis', () => {
  flowSuite(() => ({ name: 'redis', redis }));
});
