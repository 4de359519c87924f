import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { createMemoryStore, createOtpEngine, OtpConfigError } from '@otpgate/cognito-otp';
import { describe, expect, it } from 'vitest';
import { ProfilesFileError, parseProfile, parseProfilesFile, readProfilesFile } from './index.js';

const web = { userPoolId: 'eu-west-1_AbC123', clientId: 'abc123client' };

function keyOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ProfilesFileError) return error.key;
    throw error;
  }
  throw new Error('expected a ProfilesFileError');
}

/** What createOtpEngine says of one profile, or undefined when it accepts it. */
function engineVerdict(name: string, profile: Record<string, unknown>): string | undefined {
  try {
    createOtpEngine({
      cognitoClient: new CognitoIdentityProviderClient({ region: 'eu-west-1', maxAttempts: 1 }),
      profiles: { [name]: profile as never },
      store: createMemoryStore(),
      hmacSecret: 'x'.repeat(32),
    });
    return undefined;
  } catch (error) {
    if (error instanceof OtpConfigError) return error.option;
    throw error;
  }
}

describe('parseProfilesFile', () => {
  it('fills in every default, the engine ones and the gateway ones', () => {
    const { web: profile } = parseProfilesFile({ profiles: { web } });
    expect(profile).toMatchObject({
      name: 'web',
      region: 'eu-west-1',
      authSessionValiditySeconds: 180,
      signUpHandleTtlSeconds: 86_400,
      onExistingUser: 'ERROR',
      allowedOrigins: [],
      tokenDelivery: 'body',
      refreshCookieMaxAgeSeconds: 2_592_000,
      webAuthnOrigins: [],
    });
    expect(profile?.limits.wrongCodesPerHandle).toBe(3);
  });

  it.each([
    [{ nope: 1 }, 'nope'],
    [{ profiles: {} }, 'profiles'],
    [{ profiles: { web: { ...web, extra: true } } }, 'profiles.web.extra'],
    [
      { profiles: { web: { ...web, allowedOrigins: ['https://a.example', 'https://b.example/'] } } },
      'profiles.web.allowedOrigins[1]',
    ],
    [{ profiles: { web: { ...web, tokenDelivery: 'header' } } }, 'profiles.web.tokenDelivery'],
    [{ profiles: { web: { ...web, webAuthnOrigins: 'https://a.example' } } }, 'profiles.web.webAuthnOrigins'],
    [
      { profiles: { web: { ...web, webAuthnOrigins: ['https://a.example', 'a.example'] } } },
      'profiles.web.webAuthnOrigins[1]',
    ],
    [
      { profiles: { web: { ...web, refreshCookieMaxAgeSeconds: 10 } } },
      'profiles.web.refreshCookieMaxAgeSeconds',
    ],
    [{ profiles: { 'bad name!': web } }, 'profiles.bad name!'],
  ])('names the bad key of %j', (file, key) => {
    expect(keyOf(() => parseProfilesFile(file))).toBe(key);
  });

  // The engine owns these rules: the file reader and createOtpEngine must agree on every one of them.
  it.each([
    ['a GovCloud region', 'web', { userPoolId: 'us-gov-west-1_AbC123', clientId: 'abc' }, undefined],
    ['a pool in another region', 'web', { ...web, region: 'eu-central-1' }, 'profiles.web.region'],
    ['a malformed pool id', 'web', { ...web, userPoolId: 'eu-west-1-AbC' }, 'profiles.web.userPoolId'],
    ['a secret with a "/"', 'web', { ...web, clientSecret: 'abc/def' }, 'profiles.web.clientSecret'],
    [
      'a secret of 65 characters',
      'web',
      { ...web, clientSecret: 'a'.repeat(65) },
      'profiles.web.clientSecret',
    ],
    [
      '11 wrong codes per handle',
      'web',
      { ...web, limits: { wrongCodesPerHandle: 11 } },
      'profiles.web.limits.wrongCodesPerHandle',
    ],
    ['10 wrong codes per handle', 'web', { ...web, limits: { wrongCodesPerHandle: 10 } }, undefined],
    ['an empty limit list', 'web', { ...web, limits: { sendPerIp: [] } }, 'profiles.web.limits.sendPerIp'],
    [
      'a 2-minute session',
      'web',
      { ...web, authSessionValiditySeconds: 120 },
      'profiles.web.authSessionValiditySeconds',
    ],
    ['a profile name with a dot', 'web.shop', web, undefined],
    ['a profile name with a space', 'web shop', web, 'profiles.web shop'],
  ])('agrees with createOtpEngine on %s', (_what, name, profile, expected) => {
    let reader: string | undefined;
    try {
      parseProfile(name, profile);
    } catch (error) {
      if (!(error instanceof ProfilesFileError)) throw error;
      reader = error.key;
    }
    expect(reader).toBe(expected);
    expect(engineVerdict(name, profile)).toBe(expected);
  });

  it('says so when the file cannot be read or is not JSON', () => {
    expect(
      keyOf(() =>
        readProfilesFile('/nowhere.json', () => {
          throw new Error('ENOENT');
        }),
      ),
    ).toBe('file');
    expect(keyOf(() => readProfilesFile('p.json', () => '{ nope'))).toBe('file');
    expect(readProfilesFile('p.json', () => JSON.stringify({ profiles: { web } })).web?.clientId).toBe(
      'abc123client',
    );
  });
});
