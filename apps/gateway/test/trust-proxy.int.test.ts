import { describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../src/testing.js';

// The deployment rule for TRUST_PROXY (docs/ARCHITECTURE.md): X-Forwarded-For is believed only from the
// proxies named, so a client that connects directly cannot pick the IP its limits are counted under.
// Each request here spends one point of the per-IP request budget and is then refused by the engine
// (a malformed refresh token: UNAUTHENTICATED, no Cognito call).

const BUDGET = 2;
const REFRESH = 'mutation { refreshTokens(input: { refreshToken: "not a token" }) { nextStep } }';

async function gatewayTrusting(trustProxy?: string[]): Promise<TestGateway> {
  return startTestGateway({
    profiles: { default: { limits: { requestsPerIp: [{ points: BUDGET, durationSeconds: 60 }] } } },
    ...(trustProxy !== undefined && { trustProxy }),
  });
}

async function refresh(gw: TestGateway, forwardedFor?: string) {
  const response = await gw.graphql(REFRESH, undefined, {
    headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor },
  });
  return response.body.errors?.[0]?.extensions;
}

const SPOOFED = ['198.51.100.7', '203.0.113.9, 198.51.100.8', '2001:db8::1', '127.0.0.2', 'unknown'];

describe('TRUST_PROXY', () => {
  it('unset: X-Forwarded-For never moves a direct client to another bucket', async () => {
    await using gw = await gatewayTrusting();
    for (let i = 0; i < BUDGET; i++) {
      expect(await refresh(gw, SPOOFED[i])).toEqual({ code: 'UNAUTHENTICATED' });
    }
    // The budget is spent: whatever address the client claims, it is still 127.0.0.1.
    for (const claimed of [undefined, ...SPOOFED]) {
      expect(await refresh(gw, claimed), `X-Forwarded-For: ${claimed}`).toMatchObject({
        code: 'RATE_LIMITED',
        scope: 'request',
      });
    }
    expect(gw.emulator.calls()).toEqual({});
  });

  it('set to the proxy in front (here loopback): its X-Forwarded-For is believed, one bucket per client', async () => {
    await using gw = await gatewayTrusting(['127.0.0.0/8', '::1/128']);
    for (let i = 0; i < BUDGET; i++) {
      expect(await refresh(gw, '198.51.100.7')).toEqual({ code: 'UNAUTHENTICATED' });
    }
    expect(await refresh(gw, '198.51.100.7')).toMatchObject({ code: 'RATE_LIMITED', scope: 'request' });
    // Another client behind the same proxy has a budget of its own, and so has the proxy itself.
    expect(await refresh(gw, '198.51.100.8')).toEqual({ code: 'UNAUTHENTICATED' });
    expect(await refresh(gw, '2001:db8::7')).toEqual({ code: 'UNAUTHENTICATED' });
    expect(await refresh(gw)).toEqual({ code: 'UNAUTHENTICATED' });
    // The proxy appends the address it saw: only the right-most untrusted entry counts, so a client
    // cannot choose its bucket by writing its own X-Forwarded-For in front.
    expect(await refresh(gw, '203.0.113.1, 198.51.100.7')).toMatchObject({ code: 'RATE_LIMITED' });
  });

  it.each([
    [['0.0.0.0/0'], /every address/],
    [['::/0'], /every address/],
    [['10.0.0.0/8', '0.0.0.0/0'], /every address/],
    [['::ffff:0.0.0.0/96'], /every address/],
    [['10.0.0/8'], /not an IP address/],
    [['10.0.0.0/33'], /prefix/],
  ])('refuses %j at start-up with a configuration error', async (trustProxy, problem) => {
    await expect(gatewayTrusting(trustProxy)).rejects.toThrow(problem);
  });
});
