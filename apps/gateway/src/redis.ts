import {
  createMemoryStore,
  createRedisStore,
  FAIL_FAST_CLUSTER_OPTIONS,
  FAIL_FAST_REDIS_OPTIONS,
  type OtpStore,
} from '@otpgate/cognito-otp';
import { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface StoreSettings {
  /** Standalone Redis URL. */
  redisUrl?: string;
  /** Redis Cluster seeds. */
  clusterNodes?: Array<{ host: string; port: number }>;
  /** Key prefix, so several deployments can share a Redis. @default 'otpgate' */
  prefix?: string;
}

export interface OwnedStore {
  store: OtpStore;
  /** Closes the Redis connection (QUIT, then disconnect). */
  close(): Promise<void>;
}

/**
 * The session store from the environment: Redis (standalone or Cluster, fail-fast options: a Redis
 * outage answers SERVICE_UNAVAILABLE within about a second, and the client reconnects by itself), or,
 * without Redis, the in-memory store with a loud warning. The gateway starts even when Redis is down
 * at that moment: /readyz says 503 until it answers.
 */
export function openStore(settings: StoreSettings, logger: Logger): OwnedStore {
  const prefix = settings.prefix ?? 'otpgate';
  let client: Redis | Cluster | undefined;
  if (settings.clusterNodes) {
    // No auto-pipelining here: ioredis would hold a Cluster's commands until it knows the slots,
    // instead of failing them fast while it does not.
    client = new Cluster(settings.clusterNodes, FAIL_FAST_CLUSTER_OPTIONS);
  } else if (settings.redisUrl) {
    // Auto-pipelining: the commands that concurrent requests issue in one tick leave in one socket
    // write and come back in one read, which costs Redis far fewer system calls (Redis CPU per sign-in
    // flow, BENCHMARKS.md). It adds no round trip (the batch leaves at the end of the tick) and keeps
    // failing fast: without a connection the batch fails at once like a single command.
    client = new Redis(settings.redisUrl, { ...FAIL_FAST_REDIS_OPTIONS, enableAutoPipelining: true });
  }

  if (!client) {
    logger.warn(
      'No REDIS_URL or REDIS_CLUSTER_NODES: handles and limits live in this process only. Run ONE replica, and expect every pending sign-in to be lost on restart.',
    );
    return { store: createMemoryStore(), close: async () => {} };
  }

  const redis = client;
  // Every failed reconnect emits 'error'; log the kind once per outage, not once per attempt.
  let down = false;
  redis.on('error', (error: Error & { code?: string }) => {
    if (down) return;
    down = true;
    logger.warn({ errorCode: error.code ?? error.name }, 'Redis is unreachable; retrying');
  });
  redis.on('ready', () => {
    if (down) logger.info('Redis is reachable again');
    down = false;
  });
  redis.connect().catch(() => {
    // Reported by the 'error' handler; ioredis keeps reconnecting.
  });
  return {
    store: createRedisStore({ redis, prefix }),
    async close() {
      try {
        await redis.quit();
      } catch {
        redis.disconnect();
      }
    },
  };
}
