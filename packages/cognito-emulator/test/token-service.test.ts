// The token service's memory and time rules, which the SDK cannot observe: the registry stays bounded
// under thousands of sign-ins, and revocation is decided in milliseconds, not JWT seconds.
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../src/clock.js';
import type { OperationContext } from '../src/operations/context.js';
import { createUserPool, createUserPoolClient } from '../src/operations/pool-admin.js';
import { EmulatorState, type PoolUser, type UserPool } from '../src/state.js';
import { createTokenService } from '../src/token-service.js';

const HOUR = 3600 * 1000;

function setup() {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const state = new EmulatorState(clock, 'us-east-1');
  const tokens = createTokenService(state);
  const ctx: OperationContext = { state, tokens, baseUrl: 'http://127.0.0.1:4002' };
  const created = createUserPool({ PoolName: 'p', UserPoolTier: 'ESSENTIALS' }, ctx) as {
    UserPool: { Id: string };
  };
  const made = createUserPoolClient(
    {
      UserPoolId: created.UserPool.Id,
      ClientName: 'c',
      ExplicitAuthFlows: ['ALLOW_USER_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      // The shortest lifetimes Cognito allows, so a few clock moves expire everything.
      AccessTokenValidity: 5,
      IdTokenValidity: 5,
      RefreshTokenValidity: 60,
      TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes', RefreshToken: 'minutes' },
    },
    ctx,
  ) as { UserPoolClient: { ClientId: string } };
  const pool = state.pools.get(created.UserPool.Id) as UserPool;
  const client = pool.clients.get(made.UserPoolClient.ClientId);
  if (!client) throw new Error('client not created');
  return { clock, state, tokens, ctx, pool, client };
}

function addUser(pool: UserPool, state: EmulatorState, name: string): PoolUser {
  const now = state.now();
  const user: PoolUser = {
    username: name,
    sub: state.newSub(),
    attributes: new Map([['email', `${name}@example.com`]]),
    status: 'CONFIRMED',
    enabled: true,
    createdAt: now,
    lastModifiedAt: now,
    mfa: { smsEnabled: false, softwareTokenEnabled: false },
    failedSignIns: 0,
    lockedUntil: 0,
    signedOutBefore: 0,
  };
  pool.users.set(name, user);
  return user;
}

describe('token registry', () => {
  // 3000 sign-ins are 6000 RS256 signatures: about 10 s of CPU on a shared 2-core machine.
  it('stays bounded over thousands of sign-ins as old ones expire', { timeout: 60_000 }, () => {
    const { clock, state, tokens, ctx, pool, client } = setup();
    const users = Array.from({ length: 50 }, (_, i) => addUser(pool, state, `user${i}`));
    let peak = 0;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 500; i++) {
        tokens.issue({ pool, client, user: users[i % users.length] as PoolUser, baseUrl: ctx.baseUrl });
        peak = Math.max(peak, tokens.stats().refreshTokens);
      }
      // Past the refresh tokens' hour (and the access tokens' five minutes).
      clock.advance(HOUR + 1000);
    }
    // 3000 sign-ins; at most the live round plus what has not been swept yet.
    expect(peak).toBeLessThanOrEqual(2 * 1024 + 500);
    const live = tokens.issue({ pool, client, user: users[0] as PoolUser, baseUrl: ctx.baseUrl });
    expect(tokens.verifyAccessToken(live.AccessToken, ctx.baseUrl).user).toBe(users[0]);
  });

  it('keeps a revoked record while its access tokens live, so they read as revoked, not unknown', () => {
    const { clock, state, tokens, ctx, pool, client } = setup();
    const user = addUser(pool, state, 'kept');
    const issued = tokens.issue({ pool, client, user, baseUrl: ctx.baseUrl });
    const record = tokens.findRefreshToken(issued.RefreshToken ?? '');
    if (!record) throw new Error('no record');
    tokens.revoke(record);
    clock.advance(4 * 60 * 1000);
    expect(() => tokens.verifyAccessToken(issued.AccessToken, ctx.baseUrl)).toThrow(
      'Access Token has been revoked',
    );
  });

  it('drops a forgotten user’s refresh tokens', () => {
    const { state, tokens, ctx, pool, client } = setup();
    const user = addUser(pool, state, 'gone');
    const issued = tokens.issue({ pool, client, user, baseUrl: ctx.baseUrl });
    pool.users.delete('gone');
    tokens.forgetUser(pool, user);
    expect(tokens.findRefreshToken(issued.RefreshToken ?? '')).toBeUndefined();
    expect(tokens.stats()).toEqual({ refreshTokens: 0, users: 0 });
    expect(() => tokens.verifyAccessToken(issued.AccessToken, ctx.baseUrl)).toThrow('User does not exist.');
  });
});

describe('sign-out time', () => {
  it('honours a signedOutBefore set by other code, in milliseconds', () => {
    const { clock, state, tokens, ctx, pool, client } = setup();
    const user = addUser(pool, state, 'ms');
    const before = tokens.issue({ pool, client, user, baseUrl: ctx.baseUrl });
    clock.advance(1);
    // As an admin global sign-out that only stamps the user would.
    user.signedOutBefore = state.now();
    const after = tokens.issue({ pool, client, user, baseUrl: ctx.baseUrl });
    expect(() => tokens.verifyAccessToken(before.AccessToken, ctx.baseUrl)).toThrow(
      'Access Token has been revoked',
    );
    expect(() => tokens.resolveRefreshToken(client, before.RefreshToken ?? '')).toThrow(
      'Refresh Token has been revoked',
    );
    expect(tokens.verifyAccessToken(after.AccessToken, ctx.baseUrl).user).toBe(user);
    expect(tokens.resolveRefreshToken(client, after.RefreshToken ?? '').user).toBe(user);
  });

  it('refuses tokens whose issuer is another emulator address', () => {
    const { state, tokens, ctx, pool, client } = setup();
    const user = addUser(pool, state, 'iss');
    const issued = tokens.issue({ pool, client, user, baseUrl: ctx.baseUrl });
    expect(() => tokens.verifyAccessToken(issued.AccessToken, 'http://localhost:1')).toThrow(
      'Invalid Access Token',
    );
  });
});
