import { type RedisServer, startRedis } from '@otpgate/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { type OwnedStore, openStore } from '../src/redis.js';
import { startTestGateway, type TestGateway } from '../src/testing.js';
import { CONFIRM_SIGN_UP, SIGN_UP, START_SIGN_IN, type StepData, TEST_LIMITS } from './operations.js';

// The gateway on a real redis-server, wired as main.ts wires it (openStore, fail-fast client).

let redis: RedisServer;
let owned: OwnedStore;
let gw: TestGateway;

beforeAll(async () => {
  redis = await startRedis();
  owned = openStore(
    { redisUrl: redis.url, prefix: `gw-test-${process.pid}` },
    createLogger({ level: 'silent' }),
  );
  gw = await startTestGateway({ store: owned.store, profiles: { default: { limits: TEST_LIMITS } } });
  // openStore connects in the background and the gateway serves at once (/readyz says 503 until Redis
  // answers), as an orchestrator would, wait for ready before the first flow: on Node 24 the first
  // connect can still be under way when the gateway is up.
  const deadline = Date.now() + 10_000;
  while ((await readiness()).status !== 200) {
    if (Date.now() > deadline) throw new Error('the gateway never became ready on Redis');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

afterAll(async () => {
  await gw?.close();
  await owned?.close();
  await redis?.[Symbol.asyncDispose]();
});

async function readiness() {
  const response = await fetch(`${gw.url}/readyz`);
  return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } };
}

describe('with Redis', () => {
  it('runs the sign-up flow with handles in Redis', async () => {
    const email = `redis.${process.pid}@flows.example`;
    const up = await gw.graphql<{ signUp: StepData }>(SIGN_UP, { input: { email } });
    expect(up.body.data?.signUp.nextStep).toBe('CONFIRM_SIGN_UP');
    const done = await gw.graphql<{ confirmSignUp: StepData }>(CONFIRM_SIGN_UP, {
      input: { handle: up.body.data?.signUp.challenge?.handle, code: gw.lastCode(email) },
    });
    expect(done.body.data?.confirmSignUp.nextStep).toBe('DONE');
  });

  it('/readyz goes 503 when Redis stops and 200 when it returns, without a restart', async () => {
    expect((await readiness()).status).toBe(200);

    await redis.stop();
    const down = await readiness();
    expect(down.status).toBe(503);
    expect(down.body.checks).toEqual({ store: 'down', cognito: 'up' });
    // Flows fail closed and say so, fast.
    const started = performance.now();
    const refused = await gw.graphql(START_SIGN_IN, { input: { email: 'any@flows.example' } });
    expect(refused.body.errors?.[0]?.extensions).toEqual({ code: 'SERVICE_UNAVAILABLE' });
    expect(performance.now() - started).toBeLessThan(5_000);

    await redis.start();
    let ready = await readiness();
    for (let attempt = 0; attempt < 40 && ready.status !== 200; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      ready = await readiness();
    }
    expect(ready.status).toBe(200);
  });
});
