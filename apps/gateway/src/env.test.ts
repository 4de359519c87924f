import { describe, expect, it } from 'vitest';
import { GatewayConfigError, readEnv } from './env.js';

function errorOf(source: Record<string, string>): GatewayConfigError {
  try {
    readEnv(source);
  } catch (error) {
    if (error instanceof GatewayConfigError) return error;
    throw error;
  }
  throw new Error('expected readEnv to throw');
}

describe('readEnv', () => {
  it('applies the documented defaults', () => {
    const env = readEnv({});
    expect(env.PORT).toBe(4000);
    expect(env.LOG_LEVEL).toBe('info');
    expect(env.NODE_ENV).toBe('development');
    expect(env.TRUST_PROXY).toBeUndefined();
    expect(env.METRICS_PORT).toBe(9464);
    expect(env.METRICS_HOST).toBeUndefined();
  });

  it('reads the metrics listener', () => {
    expect(readEnv({ METRICS_PORT: '9100', METRICS_HOST: '0.0.0.0' })).toMatchObject({
      METRICS_PORT: 9100,
      METRICS_HOST: '0.0.0.0',
    });
    // Two free ports are two different ports.
    expect(readEnv({ PORT: '0', METRICS_PORT: '0' }).METRICS_PORT).toBe(0);
  });

  it('reads the local-mode ports; unset or empty leaves local mode its defaults', () => {
    expect(readEnv({ DEMO_PORT: '5001', EMULATOR_PORT: '0' })).toMatchObject({
      DEMO_PORT: 5001,
      EMULATOR_PORT: 0,
    });
    const env = readEnv({ DEMO_PORT: '' });
    expect([env.DEMO_PORT, env.EMULATOR_PORT]).toEqual([undefined, undefined]);
  });

  it('treats empty variables as unset', () => {
    expect(readEnv({ REDIS_URL: '', COGNITO_USER_POOL_ID: ' ' }).COGNITO_USER_POOL_ID).toBeUndefined();
  });

  it('parses TRUST_PROXY as a hop count or a list of addresses and CIDRs', () => {
    expect(readEnv({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(readEnv({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1' }).TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      '127.0.0.1',
    ]);
    expect(readEnv({ TRUST_PROXY: '::1, fd00::/8, ::ffff:10.0.0.0/104' }).TRUST_PROXY).toEqual([
      '::1',
      'fd00::/8',
      '::ffff:10.0.0.0/104',
    ]);
  });

  it.each([
    ['0.0.0.0/0', /covers every address/],
    ['10.0.0.0/8,::/0', /covers every address/],
    ['::ffff:0.0.0.0/96', /covers every address/],
    ['::/1', /covers every address/],
    ['10.0.0/8', /not an IP address/],
    ['loopback', /not an IP address/],
    ['10.0.0.0/33', /prefix/],
    ['::1/129', /prefix/],
    ['10.0.0.0/8/1', /not an IP address/],
  ])('refuses TRUST_PROXY=%s, naming the variable', (value, problem) => {
    const error = errorOf({ TRUST_PROXY: value });
    expect(error.key).toBe('TRUST_PROXY');
    expect(error.message).toMatch(problem);
  });

  it('parses REDIS_CLUSTER_NODES into seeds', () => {
    expect(readEnv({ REDIS_CLUSTER_NODES: 'a:7000,10.0.0.2:7001' }).REDIS_CLUSTER_NODES).toEqual([
      { host: 'a', port: 7000 },
      { host: '10.0.0.2', port: 7001 },
    ]);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ DEMO_PORT: 'http' }, 'DEMO_PORT'],
    [{ EMULATOR_PORT: '-1' }, 'EMULATOR_PORT'],
    [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY'],
    [{ METRICS_PORT: '65536' }, 'METRICS_PORT'],
    [{ METRICS_PORT: 'nine' }, 'METRICS_PORT'],
    [{ PORT: '4000', METRICS_PORT: '4000' }, 'METRICS_PORT'],
    [{ REDIS_URL: 'http://redis:6379' }, 'REDIS_URL'],
    [{ REDIS_CLUSTER_NODES: 'a:7000,b' }, 'REDIS_CLUSTER_NODES'],
    [{ REDIS_URL: 'redis://a:6379', REDIS_CLUSTER_NODES: 'a:7000' }, 'REDIS_CLUSTER_NODES'],
    [{ COGNITO_ENDPOINT: 'not a url' }, 'COGNITO_ENDPOINT'],
    [{ OTPGATE_HMAC_SECRET: 'short' }, 'OTPGATE_HMAC_SECRET'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
  ])('names the bad variable: %o', (source, key) => {
    const error = errorOf(source);
    expect(error.key).toBe(key);
    expect(error.message).toContain(key);
  });

  it('never echoes a secret in its error', () => {
    expect(errorOf({ OTPGATE_HMAC_SECRET: 'tiny-secret' }).message).not.toContain('tiny-secret');
  });
});
