// The passkey checks against the emulator through the real AWS SDK: a pool set up for passkeys passes;
// each missing or wrong setting fails or warns with its own fix; pools without passkeys get no passkey
// checks at all.
import {
  type CognitoIdentityProviderClient,
  type CreateUserPoolRequest,
  SetUserPoolMfaConfigCommand,
  type WebAuthnConfigurationType,
} from '@aws-sdk/client-cognito-identity-provider';
import { type Emulator, startEmulator } from '@otpgate/cognito-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnose } from '../src/diagnose.js';
import { originProblem, suggestRelyingPartyId } from '../src/passkey-checks.js';
import type { DoctorReport } from '../src/types.js';
import { check, createPool, problems, sdkFor } from './helpers.js';

let emulator: Emulator;
let sdk: CognitoIdentityProviderClient;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  sdk = sdkFor(emulator);
});
afterAll(async () => {
  sdk.destroy();
  await emulator.close();
});

const WITH_PASSKEYS: Partial<CreateUserPoolRequest> = {
  Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP', 'WEB_AUTHN'] } },
};

async function diagnosePasskeys(
  pool: Partial<CreateUserPoolRequest>,
  webAuthn: WebAuthnConfigurationType | undefined,
  origins: string[],
): Promise<DoctorReport> {
  const made = await createPool(sdk, pool);
  if (webAuthn) {
    await sdk.send(
      new SetUserPoolMfaConfigCommand({
        UserPoolId: made.userPoolId,
        MfaConfiguration: pool.MfaConfiguration ?? 'OFF',
        WebAuthnConfiguration: webAuthn,
      }),
    );
  }
  return diagnose({
    client: sdk,
    profiles: [{ name: 'web', ...made, authSessionValiditySeconds: 300, webAuthnOrigins: origins }],
  });
}

const passkeyProblems = (report: DoctorReport) =>
  problems(report).filter((p) => p.startsWith('pool.passkey'));

describe('passkey checks', () => {
  it('a pool set up for passkeys passes them all', async () => {
    const report = await diagnosePasskeys(
      WITH_PASSKEYS,
      { RelyingPartyId: 'shop.example', UserVerification: 'required' },
      ['https://shop.example', 'https://www.shop.example:8443'],
    );
    expect(problems(report)).toEqual([]);
    expect(report.pools[0]?.checks.map((c) => c.id).slice(-3)).toEqual([
      'pool.passkey-factor',
      'pool.passkey-relying-party',
      'pool.passkey-user-verification',
    ]);
  });

  it('a pool without WEB_AUTHN and no profile origins gets no passkey check', async () => {
    const report = await diagnosePasskeys({}, undefined, []);
    expect(report.pools[0]?.checks.some((c) => c.id.startsWith('pool.passkey'))).toBe(false);
  });

  it('origins named but passkeys off: factor, relying party and user verification each name a fix', async () => {
    const report = await diagnosePasskeys({}, undefined, ['https://shop.example', 'https://m.shop.example']);
    expect(passkeyProblems(report)).toEqual([
      'pool.passkey-factor fail',
      'pool.passkey-relying-party fail',
      'pool.passkey-user-verification warn',
    ]);
    const factor = check(report, 'pool.passkey-factor');
    expect(factor.message).toMatch(/does not offer WEB_AUTHN \(first factors: PASSWORD, EMAIL_OTP\)/);
    expect(factor.fix?.cli).toMatch(/^aws cognito-idp update-user-pool /);
    expect(factor.fix?.cli).toContain('"AllowedFirstAuthFactors":["PASSWORD","EMAIL_OTP","WEB_AUTHN"]');
    const rp = check(report, 'pool.passkey-relying-party');
    expect(rp.fix?.console).toMatch(/Third-party domain: shop\.example\.$/);
    expect(rp.fix?.cli).toMatch(
      /^aws cognito-idp set-user-pool-mfa-config --region us-east-1 --cli-input-json '/,
    );
    expect(rp.fix?.cli).toContain(
      '"MfaConfiguration":"OFF","WebAuthnConfiguration":{"RelyingPartyId":"shop.example"}',
    );
    expect(check(report, 'pool.passkey-user-verification').fix?.cli).toContain(
      '"UserVerification":"required"',
    );
  });

  it('the Lite tier fails the passkey factor check, and the fix moves to Essentials', async () => {
    const report = await diagnosePasskeys(
      { UserPoolTier: 'LITE', Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD'] } } },
      undefined,
      ['https://shop.example'],
    );
    const factor = check(report, 'pool.passkey-factor');
    expect(factor).toMatchObject({
      status: 'fail',
      message: expect.stringMatching(/LITE, and passkeys need ESSENTIALS/),
    });
    expect(factor.fix?.cli).toContain('"UserPoolTier":"ESSENTIALS"');
  });

  it('a relying-party id that does not cover an origin fails, naming the origin and the profile', async () => {
    const report = await diagnosePasskeys(
      WITH_PASSKEYS,
      { RelyingPartyId: 'auth.shop.example', UserVerification: 'required' },
      ['https://shop.example', 'http://www.shop.example'],
    );
    const rp = check(report, 'pool.passkey-relying-party');
    expect(rp.status).toBe('fail');
    expect(rp.message).toContain(
      'https://shop.example (profile web: its host is not auth.shop.example or a subdomain of it)',
    );
    expect(rp.message).toContain('http://www.shop.example (profile web: its host is not auth.shop.example');
    expect(rp.message).toMatch(/register their passkeys again/);
    // shop.example would cover the hosts, but the http origin cannot work under any id: no command.
    expect(rp.fix?.cli).toBeUndefined();
    expect(rp.fix?.console).toMatch(/over https/);
  });

  it('localhost works for development: http://localhost on any port', async () => {
    const report = await diagnosePasskeys(
      WITH_PASSKEYS,
      { RelyingPartyId: 'localhost', UserVerification: 'preferred' },
      ['http://localhost:5173'],
    );
    expect(passkeyProblems(report)).toEqual(['pool.passkey-user-verification warn']);
  });
});

describe('origin rules', () => {
  it.each([
    ['https://shop.example', 'shop.example', undefined],
    ['https://a.b.shop.example:444', 'shop.example', undefined],
    ['https://evilshop.example', 'shop.example', 'its host is not shop.example or a subdomain of it'],
    ['http://shop.example', 'shop.example', 'browsers allow passkeys only on https (or localhost)'],
    ['http://localhost:3000', 'localhost', undefined],
    ['android:apk-key-hash:abc', 'shop.example', 'not an http(s) origin'],
  ])('%s for %s', (origin, rpId, expected) => {
    expect(originProblem(origin, rpId)).toBe(expected);
  });

  it('suggests the longest shared domain, never a bare top-level domain', () => {
    expect(suggestRelyingPartyId(['https://www.shop.example', 'https://m.shop.example'])).toBe(
      'shop.example',
    );
    expect(suggestRelyingPartyId(['https://shop.example', 'https://other.example'])).toBeUndefined();
    expect(suggestRelyingPartyId(['http://localhost:5173'])).toBe('localhost');
    expect(suggestRelyingPartyId([])).toBeUndefined();
  });
});
