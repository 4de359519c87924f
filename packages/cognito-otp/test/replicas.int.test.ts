// Two replicas of the engine on one Redis, the way the gateway runs in production: a client's
// startSignIn answered by one, its verifyOtp by the other. The first replica's write of the new handle
// is sent before its answer but not waited for; here it is held up on the wire (a proxy delays what
// that replica sends to Redis, as a connection still opening or a busy writer would), so the other
// replica looks the handle up before it has landed. It must still find it.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { createTestEngine, type RedisServer, startRedis } from '@otpgate/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createOtpEngine } from '../src/engine.js';
import { MISSING_RECHECK_MS } from '../src/flow/handle-lifecycle.js';
import { createRedisStore, FAIL_FAST_REDIS_OPTIONS } from '../src/store/redis-store.js';
import { challengeOf, newEmail, registeredUser, tokensOf } from './helpers.js';

/** Well under MISSING_RECHECK_MS, well over a local round trip. */
const WRITE_DELAY_MS = 60;

let server: RedisServer;
let proxy: Server;
const clients: Redis[] = [];

/** A TCP proxy to Redis that holds every chunk a client sends for `delayMs` (in order); replies pass at once. */
function delayingProxy(port: number, delayMs: number): Promise<Server> {
  const sockets = new Set<Socket>();
  const proxyServer = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (chunk) => setTimeout(() => upstream.write(chunk), delayMs));
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  proxyServer.on('close', () => {
    for (const socket of sockets) socket.destroy();
  });
  return new Promise((resolve) => proxyServer.listen(0, '127.0.0.1', () => resolve(proxyServer)));
}

async function client(port: number): Promise<Redis> {
  const redis = new Redis({ ...FAIL_FAST_REDIS_OPTIONS, host: '127.0.0.1', port });
  clients.push(redis);
  await redis.connect();
  return redis;
}

beforeAll(async () => {
  server = await startRedis();
  const address = await delayingProxy(server.port, WRITE_DELAY_MS);
  proxy = address;
});

afterAll(async () => {
  for (const redis of clients) redis.disconnect();
  proxy?.close();
  await server?.[Symbol.asyncDispose]();
});

it('a handle issued by one replica, its write still on the wire, is found by the other', async () => {
  expect(WRITE_DELAY_MS).toBeLessThan(MISSING_RECHECK_MS);
  const prefix = `replicas-${process.pid}`;
  const port = (proxy.address() as { port: number }).port;
  // Replica A reaches Redis through the delaying proxy.
  // (Its per-destination send rule relaxed, as in the flow suite: sign-up's code and the sign-in's go to
  // one address within seconds, on Redis' clock, which the test cannot move.)
  await using a = await createTestEngine({
    store: { redis: await client(port), prefix },
    limits: { sendPerDestination: [{ points: 50, durationSeconds: 30 }] },
  });
  // Replica B: the same pool and Cognito client, its own direct connection, the same key prefix.
  const b = createOtpEngine({
    cognitoClient: a.cognitoClient,
    profiles: {
      default: {
        userPoolId: a.profile.userPoolId,
        clientId: a.profile.clientId,
        ...(a.profile.clientSecret === undefined ? {} : { clientSecret: a.profile.clientSecret }),
        authSessionValiditySeconds: 180,
      },
    },
    store: createRedisStore({ redis: await client(server.port), prefix }),
    hmacSecret: 'replica-b-hmac-secret-for-this-test-only-0123456789',
    clock: a.clock,
  });

  for (let flow = 0; flow < 3; flow++) {
    const email = newEmail('replica');
    await registeredUser(a, email);
    const step = await a.engine.startSignIn({ email }, a.ctx());
    const done = await b.verifyOtp({ handle: challengeOf(step).handle, code: a.lastCode(email) }, a.ctx());
    expect(tokensOf(done).accessToken).toBeTypeOf('string');
  }
});
