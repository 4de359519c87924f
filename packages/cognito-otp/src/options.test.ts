import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { describe, expect, test } from 'vitest';
import { assertSingleAttempt, createCognitoClient } from './cognito/client.js';
import { createOtpEngine } from './engine.js';
import { OtpConfigError } from './errors.js';
import { type OtpEngineOptions, type ProfileOptions, resolveOptions } from './options.js';
import { createMemoryStore } from './store/memory-store.js';

const client = createCognitoClient({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:9' });
const profile: ProfileOptions = { userPoolId: 'eu-west-1_AbC123xyz', clientId: 'a1b2c3d4e5f6g7h8i9j0k1l2m3' };

function options(overrides: Partial<OtpEngineOptions> = {}, profileOverrides: Partial<ProfileOptions> = {}) {
  return {
    cognitoClient: client,
    profiles: { shop: { ...profile, ...profileOverrides } },
    store: createMemoryStore(),
    hmacSecret: 'x'.repeat(32),
    ...overrides,
  } as OtpEngineOptions;
}

/** The option an OtpConfigError names, or the error when something else was thrown. */
function badOption(build: () => unknown): string {
  try {
    build();
  } catch (error) {
    if (error instanceof OtpConfigError) return error.option;
    throw error;
  }
  throw new Error('no OtpConfigError');
}

describe('option validation', () => {
  test('a good configuration resolves with documented defaults', () => {
    const resolved = resolveOptions(options());
    const shop = resolved.profiles.get('shop');
    expect(shop).toMatchObject({
      region: 'eu-west-1',
      authSessionValiditySeconds: 180,
      signUpHandleTtlSeconds: 86_400,
      onExistingUser: 'ERROR',
    });
    expect(shop?.limits.wrongCodesPerHandle).toBe(3);
    expect(resolved.cognitoTimeoutMs).toBe(4000);
    expect(() => createOtpEngine(options())).not.toThrow();
  });

  test.each([
    ['eu-west-1AbC', 'no underscore'],
    ['eu-west-1_', 'no id'],
    ['europe_AbC123', 'not a region'],
    ['eu-west-1_AbC-123', 'a dash in the id'],
  ])('bad pool id %s (%s) names profiles.shop.userPoolId', (userPoolId) => {
    expect(badOption(() => resolveOptions(options({}, { userPoolId })))).toBe('profiles.shop.userPoolId');
  });

  test("bad region, or a region that is not the pool id's, names profiles.shop.region", () => {
    expect(badOption(() => resolveOptions(options({}, { region: 'mars' })))).toBe('profiles.shop.region');
    expect(badOption(() => resolveOptions(options({}, { region: 'us-east-1' })))).toBe(
      'profiles.shop.region',
    );
    expect(() => resolveOptions(options({}, { region: 'eu-west-1' }))).not.toThrow();
  });

  test('bad client id and secret are named; the secret is never echoed', () => {
    expect(badOption(() => resolveOptions(options({}, { clientId: '' })))).toBe('profiles.shop.clientId');
    expect(badOption(() => resolveOptions(options({}, { clientId: 'has space' })))).toBe(
      'profiles.shop.clientId',
    );
    try {
      resolveOptions(options({}, { clientSecret: 'secret with spaces' }));
      throw new Error('accepted');
    } catch (error) {
      expect(error).toBeInstanceOf(OtpConfigError);
      expect((error as OtpConfigError).option).toBe('profiles.shop.clientSecret');
      expect((error as Error).message).not.toContain('secret with spaces');
    }
  });

  test('negative or zero limits name the exact limit', () => {
    const limits = { sendPerIp: [{ points: -1, durationSeconds: 3600 }] };
    expect(badOption(() => resolveOptions(options({}, { limits })))).toBe(
      'profiles.shop.limits.sendPerIp[0].points',
    );
    expect(badOption(() => resolveOptions(options({}, { limits: { wrongCodesPerHandle: 0 } })))).toBe(
      'profiles.shop.limits.wrongCodesPerHandle',
    );
  });

  test('short hmac secret', () => {
    expect(badOption(() => resolveOptions(options({ hmacSecret: 'short' })))).toBe('hmacSecret');
    expect(badOption(() => resolveOptions(options({ hmacSecret: Buffer.alloc(31) })))).toBe('hmacSecret');
    expect(() => resolveOptions(options({ hmacSecret: Buffer.alloc(32, 1) }))).not.toThrow();
  });

  test('session validity, handle TTL, timeout and onExistingUser are range-checked', () => {
    expect(badOption(() => resolveOptions(options({}, { authSessionValiditySeconds: 60 })))).toBe(
      'profiles.shop.authSessionValiditySeconds',
    );
    expect(badOption(() => resolveOptions(options({}, { authSessionValiditySeconds: 901 })))).toBe(
      'profiles.shop.authSessionValiditySeconds',
    );
    expect(badOption(() => resolveOptions(options({}, { signUpHandleTtlSeconds: 90_000 })))).toBe(
      'profiles.shop.signUpHandleTtlSeconds',
    );
    expect(badOption(() => resolveOptions(options({ cognitoTimeoutMs: 0 })))).toBe('cognitoTimeoutMs');
    expect(
      badOption(() => resolveOptions(options({}, { onExistingUser: 'MERGE' as unknown as 'ERROR' }))),
    ).toBe('profiles.shop.onExistingUser');
  });

  test('webAuthnOrigins: exact origins only, empty by default', () => {
    expect(resolveOptions(options()).profiles.get('shop')?.webAuthnOrigins).toEqual([]);
    const ok = ['https://shop.example', 'http://localhost:5173'];
    expect(
      resolveOptions(options({}, { webAuthnOrigins: ok })).profiles.get('shop')?.webAuthnOrigins,
    ).toEqual(ok);
    expect(
      badOption(() =>
        resolveOptions(options({}, { webAuthnOrigins: 'https://a.example' as unknown as string[] })),
      ),
    ).toBe('profiles.shop.webAuthnOrigins');
    for (const bad of ['https://a.example/', 'a.example', 'https://a.example/path', 'ftp://a.example', 42]) {
      expect(
        badOption(() =>
          resolveOptions(options({}, { webAuthnOrigins: ['https://ok.example', bad as string] })),
        ),
      ).toBe('profiles.shop.webAuthnOrigins[1]');
    }
  });

  test('store, client, profiles and their names', () => {
    expect(badOption(() => resolveOptions(options({ store: {} as never })))).toBe('store');
    expect(badOption(() => resolveOptions(options({ cognitoClient: {} as never })))).toBe('cognitoClient');
    expect(badOption(() => resolveOptions(options({ profiles: {} })))).toBe('profiles');
    expect(badOption(() => resolveOptions(options({ profiles: { 'bad name': profile } })))).toBe(
      'profiles.bad name',
    );
  });

  test('a Cognito client that retries is refused on first use', async () => {
    const retrying = new CognitoIdentityProviderClient({ region: 'eu-west-1', maxAttempts: 3 });
    await expect(assertSingleAttempt(retrying, 'cognitoClient')).rejects.toBeInstanceOf(OtpConfigError);
    const byDefault = new CognitoIdentityProviderClient({ region: 'eu-west-1' });
    await expect(assertSingleAttempt(byDefault, 'cognitoClient')).rejects.toThrow(/maxAttempts: 1/);
    await expect(assertSingleAttempt(client, 'cognitoClient')).resolves.toBeUndefined();
    const engine = createOtpEngine(options({ cognitoClient: retrying }));
    await expect(
      engine.startSignIn({ email: 'a@example.com' }, { clientProfile: 'shop', clientIp: '192.0.2.1' }),
    ).rejects.toBeInstanceOf(OtpConfigError);
  });

  test('an unknown client profile is FORBIDDEN', async () => {
    const engine = createOtpEngine(options());
    await expect(
      engine.startSignIn({ email: 'a@example.com' }, { clientProfile: 'other', clientIp: '192.0.2.1' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(
      engine.startSignIn({ email: 'a@example.com' }, { clientProfile: '__proto__', clientIp: '192.0.2.1' }),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
