import { createServer } from 'node:http';
import { betterAuth } from 'better-auth';
import { memoryAdapter } from 'better-auth/adapters/memory';
import { toNodeHandler } from 'better-auth/node';
import { emailOTP } from 'better-auth/plugins';
import { Redis } from 'ioredis';

/**
 * The peer of `pnpm bench`: Better Auth (exact 1.7.25) with its email-OTP plugin, as its docs set
 * it up for passwordless sign-in, in production mode, served by node:http through `toNodeHandler`.
 *
 * - Redis secondary storage (ioredis, to a redis-server of its own that run.ts starts): OTP
 *   verification values, sessions and the rate limiter's counters live there, as the gateway's
 *   handles and limit counters live in its Redis. Nothing else talks to that Redis during a phase,
 *   so its CPU is the peer's alone.
 * - Rate limiting on, in secondary storage, with limits out of reach (the gateway's profile keeps
 *   every rule with its points out of reach too): same work, no refusals. The client IP comes from
 *   `x-forwarded-for`, as the gateway's does behind a proxy.
 * - An in-memory database (the memory adapter) for users and accounts; the sign-in creates the user
 *   and its session. `POST /_bench/reset` empties it between phases (outside any measured phase), so
 *   the adapter's scans never grow with the run's length.
 * - The code: `generateOTP` returns the last 6 digits of the address's number (`p<n>@bench.example`),
 *   so the driver knows every code without asking the peer during a measured phase.
 *   `sendVerificationOTP` counts what it is asked to send and keeps nothing else; `GET /_bench/sent`
 *   reads the count (a check that the flows really went through the plugin).
 *
 * Environment: PEER_REDIS_URL (required), PORT (default: any free one). Prints `{"url": ...}` on
 * stdout once listening; stops on SIGTERM.
 */

const redisUrl = process.env.PEER_REDIS_URL;
if (!redisUrl) throw new Error('PEER_REDIS_URL is required');
const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
await redis.connect();

const tables: Record<string, unknown[]> = { user: [], session: [], account: [], verification: [] };
let sent = 0;

const server = createServer();
await new Promise<void>((resolve) => server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', resolve));
const address = server.address();
if (typeof address !== 'object' || address === null) throw new Error('no address');
const url = `http://127.0.0.1:${address.port}`;

const auth = betterAuth({
  baseURL: url,
  secret: 'bench-only-secret-0123456789abcdefghijklmnopqrstuv',
  database: memoryAdapter(tables),
  secondaryStorage: {
    get: (key) => redis.get(key),
    getAndDelete: (key) => redis.getdel(key),
    set: async (key, value, ttl) => {
      if (ttl !== undefined && ttl > 0) await redis.set(key, value, 'EX', ttl);
      else await redis.set(key, value);
    },
    delete: async (key) => {
      await redis.del(key);
    },
    increment: async (key, ttl) => {
      // One round trip: INCR, and a TTL only if the counter has none yet (a new counter).
      const replies = await redis.pipeline().incr(key).expire(key, ttl, 'NX').exec();
      const [error, count] = replies?.[0] ?? [new Error('no reply'), 0];
      if (error) throw error;
      return count as number;
    },
  },
  rateLimit: { enabled: true, storage: 'secondary-storage', window: 60, max: 1_000_000_000 },
  advanced: { ipAddress: { ipAddressHeaders: ['x-forwarded-for'] } },
  telemetry: { enabled: false },
  plugins: [
    emailOTP({
      generateOTP: ({ email }) => codeFor(email),
      sendVerificationOTP: async () => {
        sent += 1;
      },
      rateLimit: { window: 60, max: 1_000_000_000 },
    }),
  ],
});

/** The code the driver expects for `p<n>@bench.example`: n's last 6 digits. */
function codeFor(email: string): string {
  const digits = /^p(\d+)@/.exec(email)?.[1] ?? '0';
  return digits.slice(-6).padStart(6, '0');
}

const handler = toNodeHandler(auth);
server.on('request', (req, res) => {
  if (req.url === '/_bench/sent') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ sent }));
    return;
  }
  if (req.url === '/_bench/reset' && req.method === 'POST') {
    for (const rows of Object.values(tables)) rows.length = 0;
    res.end('{}');
    return;
  }
  void handler(req, res);
});
process.stdout.write(`${JSON.stringify({ url })}\n`);

process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  redis.disconnect();
  process.exit(0);
});
