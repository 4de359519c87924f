import { randomBytes } from 'node:crypto';
import { type RedisCluster, type RedisServer, startRedis, startRedisCluster } from '@otpgate/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOtpError, type LimitScope, type OtpError } from '../src/errors.js';
import { Limits, type LimitsConfig, validateLimits } from '../src/limits/limits.js';
import { createRedisStore } from '../src/store/redis-store.js';
import {
  clusterBackend,
  memoryBackend,
  redisClient,
  type StoreBackend,
  standaloneBackend,
} from './store-backends.js';

let server: RedisServer;
let cluster: RedisCluster;

beforeAll(async () => {
  [server, cluster] = await Promise.all([startRedis(), startRedisCluster({ masters: 3 })]);
});
afterAll(async () => {
  await Promise.all([server?.[Symbol.asyncDispose](), cluster?.[Symbol.asyncDispose]()]);
});

// Fresh keys per test: the backends are shared and counters outlive a test.
const destination = () => randomBytes(32).toString('base64url');
const profile = () => `shop-${randomBytes(4).toString('hex')}`;
let ipCounter = 0;
const ip = () => `198.51.${(ipCounter >> 8) & 255}.${ipCounter++ & 255}`;

async function refusal(call: Promise<unknown>): Promise<OtpError> {
  const error = await call.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!isOtpError(error)) throw new Error(`expected an OtpError, got ${String(error)}`);
  return error;
}

function expectRefusal(error: OtpError, code: string, scope: LimitScope, retryAfterSeconds: number): void {
  expect({ code: error.code, scope: error.scope }).toEqual({ code, scope });
  // The window started a moment ago; allow for the time the test took since.
  expect(error.retryAfterSeconds).toBeGreaterThanOrEqual(retryAfterSeconds - 2);
  expect(error.retryAfterSeconds).toBeLessThanOrEqual(retryAfterSeconds);
}

function limitsContract(setup: () => Promise<StoreBackend>): void {
  let backend: StoreBackend;
  const limitsOf = (partial: Partial<LimitsConfig>) => new Limits(backend.store, validateLimits(partial));

  beforeAll(async () => {
    backend = await setup();
  });
  afterAll(async () => {
    await backend?.close();
  });

  it('request: the per-IP budget refuses with scope request and the window as retryAfterSeconds', async () => {
    const limits = limitsOf({ requestsPerIp: [{ points: 3, durationSeconds: 60 }] });
    const client = ip();
    for (let i = 0; i < 3; i++) await limits.request(client);
    expectRefusal(await refusal(limits.request(client)), 'RATE_LIMITED', 'request', 60);
    await limits.request(ip());
  });

  it('request: one IPv6 /64 shares a budget, the next /64 does not', async () => {
    const limits = limitsOf({ requestsPerIp: [{ points: 2, durationSeconds: 60 }] });
    const net = randomBytes(2).toString('hex');
    await limits.request(`2001:db8:${net}:1::1`);
    await limits.request(`2001:db8:${net}:1:ffff::2`);
    expectRefusal(await refusal(limits.request(`2001:db8:${net}:1::3`)), 'RATE_LIMITED', 'request', 60);
    await limits.request(`2001:db8:${net}:2::1`);
  });

  it('send: one code per destination per 30 s (scope destination)', async () => {
    const limits = limitsOf({});
    const dst = destination();
    await limits.send({ destinationKey: dst, ip: ip(), profile: profile() });
    expectRefusal(
      await refusal(limits.send({ destinationKey: dst, ip: ip(), profile: profile() })),
      'RATE_LIMITED',
      'destination',
      30,
    );
  });

  it('send: every destination rule applies; the refusal waits for the rule whose window ends last', async () => {
    const limits = limitsOf({
      sendPerDestination: [
        { points: 1, durationSeconds: 30 },
        { points: 1, durationSeconds: 3600 },
      ],
    });
    const dst = destination();
    await limits.send({ destinationKey: dst, ip: ip(), profile: profile() });
    expectRefusal(
      await refusal(limits.send({ destinationKey: dst, ip: ip(), profile: profile() })),
      'RATE_LIMITED',
      'destination',
      3600,
    );
  });

  it('send: the per-IP budget across destinations (scope ip)', async () => {
    const limits = limitsOf({ sendPerIp: [{ points: 2, durationSeconds: 3600 }] });
    const client = ip();
    await limits.send({ destinationKey: destination(), ip: client, profile: profile() });
    await limits.send({ destinationKey: destination(), ip: client, profile: profile() });
    expectRefusal(
      await refusal(limits.send({ destinationKey: destination(), ip: client, profile: profile() })),
      'RATE_LIMITED',
      'ip',
      3600,
    );
  });

  it('send: the per-profile budget across IPs and destinations (scope profile)', async () => {
    const limits = limitsOf({ sendPerProfile: [{ points: 2, durationSeconds: 600 }] });
    const shop = profile();
    await limits.send({ destinationKey: destination(), ip: ip(), profile: shop });
    await limits.send({ destinationKey: destination(), ip: ip(), profile: shop });
    expectRefusal(
      await refusal(limits.send({ destinationKey: destination(), ip: ip(), profile: shop })),
      'RATE_LIMITED',
      'profile',
      600,
    );
    await limits.send({ destinationKey: destination(), ip: ip(), profile: profile() });
  });

  it('send: across scopes, the scope and retryAfterSeconds of the longest blocking rule', async () => {
    const limits = limitsOf({
      sendPerDestination: [{ points: 1, durationSeconds: 50 }],
      sendPerIp: [{ points: 1, durationSeconds: 100 }],
    });
    const dst = destination();
    const client = ip();
    await limits.send({ destinationKey: dst, ip: client, profile: profile() });
    expectRefusal(
      await refusal(limits.send({ destinationKey: dst, ip: client, profile: profile() })),
      'RATE_LIMITED',
      'ip',
      100,
    );
  });

  it('send: a refused call gives back what it took, so refusals do not eat the other budgets', async () => {
    const limits = limitsOf({
      sendPerDestination: [{ points: 1, durationSeconds: 30 }],
      sendPerIp: [{ points: 2, durationSeconds: 3600 }],
      sendPerProfile: [{ points: 3, durationSeconds: 3600 }],
    });
    const shop = profile();
    const busyIp = ip();
    await limits.send({ destinationKey: destination(), ip: busyIp, profile: shop });
    await limits.send({ destinationKey: destination(), ip: busyIp, profile: shop });
    const third = destination();
    for (let i = 0; i < 5; i++) {
      expectRefusal(
        await refusal(limits.send({ destinationKey: third, ip: busyIp, profile: shop })),
        'RATE_LIMITED',
        'ip',
        3600,
      );
    }
    // Neither `third` (destination, 1 per 30 s) nor the profile (3rd of 3) was charged by the refusals.
    await limits.send({ destinationKey: third, ip: ip(), profile: shop });
    // ...and the refusals did not push the IP counter past its limit either: the profile is now full.
    expectRefusal(
      await refusal(limits.send({ destinationKey: destination(), ip: ip(), profile: shop })),
      'RATE_LIMITED',
      'profile',
      3600,
    );
  });

  it('send: a new window opens when the old one ends', async () => {
    const limits = limitsOf({ sendPerDestination: [{ points: 1, durationSeconds: 1 }] });
    const dst = destination();
    await limits.send({ destinationKey: dst, ip: ip(), profile: profile() });
    expectRefusal(
      await refusal(limits.send({ destinationKey: dst, ip: ip(), profile: profile() })),
      'RATE_LIMITED',
      'destination',
      1,
    );
    await backend.elapse(1_100);
    await limits.send({ destinationKey: dst, ip: ip(), profile: profile() });
  });

  it('verify: wrong codes per destination across handles, then TOO_MANY_ATTEMPTS (scope destination)', async () => {
    const limits = limitsOf({ wrongCodesPerDestination: [{ points: 2, durationSeconds: 3600 }] });
    const dst = destination();
    const client = ip();
    // A reservation that is given back (the right code) costs nothing.
    for (let i = 0; i < 5; i++) await limits.giveBack(await limits.reserveWrongCode(dst, client));
    await limits.reserveWrongCode(dst, client);
    await limits.reserveWrongCode(dst, client);
    expectRefusal(
      await refusal(limits.reserveWrongCode(dst, client)),
      'TOO_MANY_ATTEMPTS',
      'destination',
      3600,
    );
    // A send (resend) does not refill it.
    await limits.send({ destinationKey: dst, ip: ip(), profile: profile() });
    expectRefusal(
      await refusal(limits.reserveWrongCode(dst, client)),
      'TOO_MANY_ATTEMPTS',
      'destination',
      3600,
    );
    // It is counted per IP: the guesses of one network do not lock the address out for another.
    await limits.reserveWrongCode(dst, ip());
  });

  it('verify: wrong codes per IP across destinations (scope ip)', async () => {
    const limits = limitsOf({ wrongCodesPerIp: [{ points: 3, durationSeconds: 86400 }] });
    const client = ip();
    for (let i = 0; i < 3; i++) await limits.reserveWrongCode(destination(), client);
    expectRefusal(
      await refusal(limits.reserveWrongCode(destination(), client)),
      'TOO_MANY_ATTEMPTS',
      'ip',
      86400,
    );
    await limits.reserveWrongCode(destination(), ip());
  });

  it('verify: racing wrong codes never pass a budget (reserved before the code is checked)', async () => {
    const limits = limitsOf({
      wrongCodesPerDestination: [{ points: 10, durationSeconds: 3600 }],
      wrongCodesPerIp: [{ points: 100, durationSeconds: 86400 }],
    });
    const dst = destination();
    const client = ip();
    const results = await Promise.allSettled(
      Array.from({ length: 30 }, () => limits.reserveWrongCode(dst, client)),
    );
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(10);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'TOO_MANY_ATTEMPTS' });
    }
  });

  it('requestAndSend: a refused request is refused first and leaves the send budgets untouched', async () => {
    const limits = limitsOf({
      requestsPerIp: [{ points: 1, durationSeconds: 60 }],
      sendPerDestination: [{ points: 1, durationSeconds: 30 }],
    });
    const client = ip();
    const dst = destination();
    await limits.request(client);
    for (let i = 0; i < 3; i++) {
      expectRefusal(
        await refusal(limits.requestAndSend({ destinationKey: dst, ip: client, profile: profile() })),
        'RATE_LIMITED',
        'request',
        60,
      );
    }
    // The refused calls gave the destination's point back: another caller may still send to it.
    await limits.requestAndSend({ destinationKey: dst, ip: ip(), profile: profile() });
  });

  it('requestAndSend: a refused send keeps the request point, as request() then send() would', async () => {
    const limits = limitsOf({
      requestsPerIp: [{ points: 2, durationSeconds: 60 }],
      sendPerDestination: [{ points: 1, durationSeconds: 30 }],
    });
    const client = ip();
    const dst = destination();
    await limits.requestAndSend({ destinationKey: dst, ip: client, profile: profile() });
    expectRefusal(
      await refusal(limits.requestAndSend({ destinationKey: dst, ip: client, profile: profile() })),
      'RATE_LIMITED',
      'destination',
      30,
    );
    // Two requests counted: the IP's budget of 2 is spent.
    expectRefusal(await refusal(limits.request(client)), 'RATE_LIMITED', 'request', 60);
  });

  it('every refusal carries retryAfterSeconds >= 1, even in the last millisecond of a window', async () => {
    const limits = limitsOf({ requestsPerIp: [{ points: 1, durationSeconds: 1 }] });
    const client = ip();
    await limits.request(client);
    await backend.elapse(950);
    const error = await refusal(limits.request(client));
    expect(error.code).toBe('RATE_LIMITED');
    expect(error.retryAfterSeconds).toBe(1);
  });
}

describe('limits on the memory store', () => limitsContract(async () => memoryBackend()));
describe('limits on a standalone redis', () => limitsContract(() => standaloneBackend(server)));
describe('limits on a 3-master cluster', () => limitsContract(() => clusterBackend(cluster)));

describe('limits fail closed', () => {
  it('every method answers SERVICE_UNAVAILABLE at once while Redis is down, and works again after', async () => {
    await using own = await startRedis();
    const client = await redisClient(own);
    try {
      const limits = new Limits(createRedisStore({ redis: client }), validateLimits({}));
      const p = { destinationKey: destination(), ip: ip(), profile: profile() };
      await limits.send(p);
      await own.stop('SIGKILL');
      const calls = [
        () => limits.request(p.ip),
        () => limits.send(p),
        () => limits.reserveWrongCode(p.destinationKey, p.ip),
      ];
      for (const call of calls) {
        const started = Date.now();
        const error = await refusal(call());
        expect(error.code).toBe('SERVICE_UNAVAILABLE');
        expect(error.cause).toBeInstanceOf(Error);
        expect(Date.now() - started).toBeLessThan(1_500);
      }
      await own.start();
      await expect
        .poll(
          () =>
            limits.request(ip()).then(
              () => 'up',
              () => 'down',
            ),
          { timeout: 5_000, interval: 100 },
        )
        .toBe('up');
    } finally {
      client.disconnect();
    }
  });

  it('a lost cluster master fails the limits that live on it, within seconds', async () => {
    const backend = await clusterBackend(cluster, 'limits-outage');
    try {
      const limits = new Limits(backend.store, validateLimits({}));
      // Counters spread over all three shards: with a master gone, some of any 20 fresh keys are on it.
      const victim = cluster.nodes[1]!;
      await cluster.stopNode(victim.port, 'SIGKILL');
      const started = Date.now();
      const results = await Promise.allSettled(
        Array.from({ length: 20 }, () =>
          limits.send({ destinationKey: destination(), ip: ip(), profile: profile() }),
        ),
      );
      expect(Date.now() - started).toBeLessThan(3_500);
      const failed = results.filter((result) => result.status === 'rejected');
      expect(failed.length).toBeGreaterThan(0);
      for (const result of failed) {
        expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
      }
      await cluster.startNode(victim.port);
    } finally {
      await backend.close();
    }
  });
});
