// @otpgate/testing: the harness every otpgate test uses. Nothing here belongs in production code.

/** The clock of a test engine: time moves only when a test calls `advance(ms)`. */
export { ManualClock } from '@otpgate/cognito-emulator';
export {
  createTestEngine,
  type TestEngine,
  type TestEngineOptions,
  type TestProfile,
  type TestProfileOptions,
} from './engine.js';
export {
  exitCodeOf,
  type FreePortOptions,
  freePort,
  type ManagedProcess,
  ProcessStartError,
  type StartProcessOptions,
  startProcess,
} from './process.js';
export {
  type RedisCluster,
  type RedisClusterNode,
  type RedisServer,
  redisCommand,
  type StartRedisClusterOptions,
  type StartRedisOptions,
  startRedis,
  startRedisCluster,
} from './redis.js';
