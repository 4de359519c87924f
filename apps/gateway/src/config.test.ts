import { describe, expect, it } from 'vitest';
import { loadConfig, originAllowed, parseProfilesFile } from './config.js';
import { GatewayConfigError, readEnv } from './env.js';

const SECRET = 'x'.repeat(32);
const web = {
  userPoolId: 'eu-west-1_AbC123',
  clientId: 'abc123def456',
  allowedOrigins: ['https://shop.example'],
};

function keyOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof GatewayConfigError) return error.key;
    throw error;
  }
  throw new Error('expected a GatewayConfigError');
}

describe('parseProfilesFile', () => {
  it('fills the defaults and derives the region from the pool id', () => {
    const profiles = parseProfilesFile({ profiles: { web } });
    expect(profiles.web).toMatchObject({
      name: 'web',
      region: 'eu-west-1',
      tokenDelivery: 'body',
      onExistingUser: 'ERROR',
      allowLoopbackOrigins: false,
    });
  });

  it.each([
    [
      { profiles: { web: { ...web, allowedOrigins: ['https://shop.example', 'https://shop.example/'] } } },
      'profiles.web.allowedOrigins[1]',
    ],
    [{ profiles: { web: { ...web, allowedOrigins: ['*'] } } }, 'profiles.web.allowedOrigins[0]'],
    [{ profiles: { web: { ...web, userPoolId: 'nope' } } }, 'profiles.web.userPoolId'],
    [{ profiles: { web: { ...web, tokenDelivery: 'header' } } }, 'profiles.web.tokenDelivery'],
    [{ profiles: { web: { ...web, region: 'us-east-1' } } }, 'profiles.web.region'],
    [{ profiles: { web: { ...web, clientScret: 'typo' } } }, 'profiles.web.clientScret'],
    [
      { profiles: { web: { ...web, limits: { sendPerIp: [{ points: 0, durationSeconds: 60 }] } } } },
      'profiles.web.limits.sendPerIp[0].points',
    ],
    [{ profiles: { web: { ...web, limits: { sendPerDay: [] } } } }, 'profiles.web.limits.sendPerDay'],
    [{ profiles: { 'Web Shop': web } }, 'profiles.Web Shop'],
    [{ profiles: {} }, 'profiles'],
    [{}, 'profiles'],
  ])('names the bad key path (%#)', (file, key) => {
    expect(keyOf(() => parseProfilesFile(file))).toBe(key);
  });
});

describe('loadConfig', () => {
  it('is local mode without any Cognito setting', () => {
    expect(loadConfig(readEnv({})).mode).toBe('local');
  });

  it('refuses local mode in production', () => {
    expect(() => loadConfig(readEnv({ NODE_ENV: 'production' }))).toThrow(/local mode/);
  });

  it('builds the default profile from the COGNITO_* variables', () => {
    const config = loadConfig(
      readEnv({
        COGNITO_USER_POOL_ID: 'eu-west-1_AbC123',
        COGNITO_CLIENT_ID: 'abc',
        OTPGATE_HMAC_SECRET: SECRET,
        COGNITO_ENDPOINT: 'http://127.0.0.1:4002/',
      }),
    );
    expect(config.mode).toBe('configured');
    expect(config.cognitoEndpoint).toBe('http://127.0.0.1:4002');
    expect(config.profiles.default).toMatchObject({
      userPoolId: 'eu-west-1_AbC123',
      clientId: 'abc',
      region: 'eu-west-1',
    });
  });

  it.each([
    [{ COGNITO_USER_POOL_ID: 'eu-west-1_AbC123', COGNITO_CLIENT_ID: 'abc' }, 'OTPGATE_HMAC_SECRET'],
    [{ COGNITO_USER_POOL_ID: 'eu-west-1_AbC123', OTPGATE_HMAC_SECRET: SECRET }, 'COGNITO_CLIENT_ID'],
    [{ COGNITO_CLIENT_ID: 'abc', OTPGATE_HMAC_SECRET: SECRET }, 'COGNITO_USER_POOL_ID'],
    [
      { COGNITO_USER_POOL_ID: 'pool', COGNITO_CLIENT_ID: 'abc', OTPGATE_HMAC_SECRET: SECRET },
      'COGNITO_USER_POOL_ID',
    ],
    [
      {
        COGNITO_USER_POOL_ID: 'eu-west-1_AbC123',
        COGNITO_CLIENT_ID: 'abc',
        COGNITO_REGION: 'us-east-1',
        OTPGATE_HMAC_SECRET: SECRET,
      },
      'COGNITO_REGION',
    ],
    [
      {
        COGNITO_USER_POOL_ID: 'eu-west-1_AbC123',
        COGNITO_CLIENT_ID: 'abc',
        OTPGATE_ALLOWED_ORIGINS: 'shop',
        OTPGATE_HMAC_SECRET: SECRET,
      },
      'OTPGATE_ALLOWED_ORIGINS',
    ],
    [
      { OTPGATE_CONFIG: '/p.json', COGNITO_CLIENT_ID: 'abc', OTPGATE_HMAC_SECRET: SECRET },
      'COGNITO_CLIENT_ID',
    ],
  ])('names the bad variable (%#)', (source, key) => {
    expect(keyOf(() => loadConfig(readEnv(source)))).toBe(key);
  });

  it('reads the profiles file named by OTPGATE_CONFIG, and names it when unreadable', () => {
    const env = readEnv({ OTPGATE_CONFIG: '/etc/otpgate.json', OTPGATE_HMAC_SECRET: SECRET });
    const config = loadConfig(env, () => JSON.stringify({ profiles: { web } }));
    expect(Object.keys(config.profiles)).toEqual(['web']);
    expect(keyOf(() => loadConfig(env, () => '{ nope'))).toBe('OTPGATE_CONFIG');
    expect(
      keyOf(() =>
        loadConfig(env, () => {
          throw new Error('ENOENT');
        }),
      ),
    ).toBe('OTPGATE_CONFIG');
  });
});

describe('originAllowed', () => {
  it('matches exact origins, and loopback origins only where allowed', () => {
    const profile = parseProfilesFile({ profiles: { web } }).web!;
    expect(originAllowed(profile, 'https://shop.example')).toBe(true);
    expect(originAllowed(profile, 'https://shop.example.evil')).toBe(false);
    expect(originAllowed(profile, 'http://localhost:5173')).toBe(false);
    const local = { ...profile, allowLoopbackOrigins: true };
    expect(originAllowed(local, 'http://localhost:5173')).toBe(true);
    expect(originAllowed(local, 'http://localhost.evil:5173')).toBe(false);
  });
});
