import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OtpgateStack, type OtpgateStackProps } from '../lib/otpgate-stack.js';
import { profilesFromOutputs } from '../lib/profiles.js';

const POOL = 'AWS::Cognito::UserPool';
const CLIENT = 'AWS::Cognito::UserPoolClient';

// Without an outdir every App leaves a cdk.outXXXX directory behind in the system temp dir.
const outdirs = mkdtempSync(join(tmpdir(), 'otpgate-infra-test-'));
afterAll(() => rmSync(outdirs, { recursive: true, force: true }));

function synth(props: Partial<OtpgateStackProps> = {}): Template {
  const app = new App({ outdir: mkdtempSync(join(outdirs, 'app-')) });
  const stack = new OtpgateStack(app, 'Otpgate', {
    sesFromAddress: 'no-reply@shop.example',
    frontends: [{ name: 'web' }],
    env: { account: '123456789012', region: 'eu-west-1' },
    ...props,
  });
  return Template.fromStack(stack);
}

/** CloudFormation's resolution of an output value, with `Ref`s replaced by readable stand-ins. */
function resolveOutput(value: unknown, refs: Record<string, string>): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map((part) => resolveOutput(part, refs)).join(join[0]);
  const ref = (value as { Ref?: string }).Ref;
  if (ref !== undefined && refs[ref] !== undefined) return refs[ref];
  throw new Error(`cannot resolve ${JSON.stringify(value)}`);
}

/**
 * Logical id -> a stand-in physical id: the pool id for the pool, `client_<name>` for each client (an app
 * client id has letters, digits, `_` and `+` only, which the profiles reader checks).
 */
function physicalIds(template: Template): Record<string, string> {
  const refs: Record<string, string> = { 'AWS::Region': 'eu-west-1' };
  for (const id of Object.keys(template.findResources(POOL))) refs[id] = 'eu-west-1_Pool123';
  for (const [id, client] of Object.entries(template.findResources(CLIENT))) {
    refs[id] = `client_${String(client.Properties.ClientName).replace('otpgate-', '').replace(/-/g, '_')}`;
  }
  return refs;
}

describe('OtpgateStack with the defaults (one frontend, email only)', () => {
  let template: Template;
  beforeAll(() => {
    template = synth();
  });

  it('makes an ESSENTIALS pool with case-insensitive email usernames, email auto-verified, open sign-up', () => {
    template.resourceCountIs(POOL, 1);
    template.hasResourceProperties(POOL, {
      UserPoolTier: 'ESSENTIALS',
      UsernameAttributes: ['email'],
      UsernameConfiguration: { CaseSensitive: false },
      AutoVerifiedAttributes: ['email'],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: false },
      DeletionProtection: 'ACTIVE',
    });
  });

  it('allows EMAIL_OTP (and not SMS_OTP) as a first factor, with MFA off', () => {
    template.hasResourceProperties(POOL, {
      Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] } },
      MfaConfiguration: 'OFF',
    });
  });

  it('sends email through SES from the given address, not the default sender', () => {
    template.hasResourceProperties(POOL, {
      EmailConfiguration: {
        EmailSendingAccount: 'DEVELOPER',
        From: 'no-reply@shop.example',
        SourceArn: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':ses:eu-west-1:123456789012:identity/no-reply@shop.example'],
          ],
        },
      },
    });
  });

  it('makes an app client for USER_AUTH and refresh only, existence errors hidden, revocation on, 5-minute sessions, no secret', () => {
    template.resourceCountIs(CLIENT, 1);
    template.hasResourceProperties(CLIENT, {
      ClientName: 'otpgate-web',
      ExplicitAuthFlows: ['ALLOW_USER_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      PreventUserExistenceErrors: 'ENABLED',
      EnableTokenRevocation: true,
      AuthSessionValidity: 5,
      GenerateSecret: false,
    });
  });
});

describe('OtpgateStack with SMS, optional MFA and several frontends', () => {
  let template: Template;
  beforeAll(() => {
    template = synth({
      sesFromName: 'Shop',
      sesVerifiedDomain: 'shop.example',
      enableSms: true,
      mfa: 'OPTIONAL',
      authSessionValidityMinutes: 10,
      frontends: [
        { name: 'web', allowedOrigins: ['https://shop.example'], tokenDelivery: 'cookie' },
        { name: 'ios-app', generateSecret: true },
        { name: 'kiosk' },
      ],
    });
  });

  it('adds SMS_OTP, phone numbers as usernames and an SNS role, but still auto-verifies only email', () => {
    template.hasResourceProperties(POOL, {
      Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP', 'SMS_OTP'] } },
      UsernameAttributes: ['email', 'phone_number'],
      AutoVerifiedAttributes: ['email'],
      SmsConfiguration: Match.objectLike({ SnsCallerArn: Match.anyValue() }),
    });
  });

  it('makes MFA optional with TOTP only', () => {
    template.hasResourceProperties(POOL, {
      MfaConfiguration: 'OPTIONAL',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
    });
  });

  it('sends from the named sender with the verified domain as the SES identity', () => {
    template.hasResourceProperties(POOL, {
      EmailConfiguration: {
        EmailSendingAccount: 'DEVELOPER',
        From: 'Shop <no-reply@shop.example>',
        SourceArn: {
          'Fn::Join': [
            '',
            ['arn:', { Ref: 'AWS::Partition' }, ':ses:eu-west-1:123456789012:identity/shop.example'],
          ],
        },
      },
    });
  });

  it('makes one client per frontend, a secret only where asked, every one with the session validity given', () => {
    template.resourceCountIs(CLIENT, 3);
    for (const [name, secret] of [
      ['web', false],
      ['ios-app', true],
      ['kiosk', false],
    ] as const) {
      template.hasResourceProperties(CLIENT, {
        ClientName: `otpgate-${name}`,
        GenerateSecret: secret,
        AuthSessionValidity: 10,
        ExplicitAuthFlows: ['ALLOW_USER_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        PreventUserExistenceErrors: 'ENABLED',
        EnableTokenRevocation: true,
      });
    }
  });

  it('outputs each profile so that write-profiles produces the gateway file', () => {
    const refs = physicalIds(template);
    const outputs = Object.fromEntries(
      Object.entries(template.findOutputs('*')).map(([key, output]) => [
        key,
        resolveOutput(output.Value, refs),
      ]),
    );
    expect(outputs.UserPoolId).toBe('eu-west-1_Pool123');
    const file = profilesFromOutputs(
      { Otpgate: outputs },
      { secrets: { OTPGATE_CLIENT_SECRET_IOS_APP: 's3cret' } },
    );
    expect(file).toEqual({
      profiles: {
        web: {
          region: 'eu-west-1',
          userPoolId: 'eu-west-1_Pool123',
          clientId: 'client_web',
          allowedOrigins: ['https://shop.example'],
          tokenDelivery: 'cookie',
          authSessionValiditySeconds: 600,
        },
        'ios-app': {
          region: 'eu-west-1',
          userPoolId: 'eu-west-1_Pool123',
          clientId: 'client_ios_app',
          clientSecret: 's3cret',
          allowedOrigins: [],
          tokenDelivery: 'body',
          authSessionValiditySeconds: 600,
        },
        kiosk: {
          region: 'eu-west-1',
          userPoolId: 'eu-west-1_Pool123',
          clientId: 'client_kiosk',
          allowedOrigins: [],
          tokenDelivery: 'body',
          authSessionValiditySeconds: 600,
        },
      },
    });
  });
});

describe('OtpgateStack with passkeys', () => {
  it('leaves passkeys off by default: no WEB_AUTHN, no relying party', () => {
    const pool = Object.values(synth().findResources(POOL))[0]?.Properties ?? {};
    expect(pool.Policies.SignInPolicy.AllowedFirstAuthFactors).not.toContain('WEB_AUTHN');
    expect(pool.WebAuthnRelyingPartyID).toBeUndefined();
    expect(pool.WebAuthnUserVerification).toBeUndefined();
  });

  it('adds WEB_AUTHN beside EMAIL_OTP with the relying-party id, user verification required by default', () => {
    const template = synth({
      passkeys: { relyingPartyId: 'shop.example' },
      frontends: [
        {
          name: 'web',
          allowedOrigins: ['https://www.shop.example'],
          webAuthnOrigins: ['https://www.shop.example'],
        },
      ],
    });
    template.hasResourceProperties(POOL, {
      UserPoolTier: 'ESSENTIALS',
      Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP', 'WEB_AUTHN'] } },
      WebAuthnRelyingPartyID: 'shop.example',
      WebAuthnUserVerification: 'required',
      MfaConfiguration: 'OFF',
    });
    // The app client is unchanged: USER_AUTH already carries passkey sign-in.
    template.hasResourceProperties(CLIENT, {
      ExplicitAuthFlows: ['ALLOW_USER_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
    });
    const refs = physicalIds(template);
    const outputs = Object.fromEntries(
      Object.entries(template.findOutputs('*')).map(([key, output]) => [
        key,
        resolveOutput(output.Value, refs),
      ]),
    );
    const file = profilesFromOutputs({ Otpgate: outputs }, { secrets: {} });
    expect(file.profiles.web?.webAuthnOrigins).toEqual(['https://www.shop.example']);
  });

  it('takes preferred user verification, localhost for development, and optional MFA', () => {
    synth({
      passkeys: { relyingPartyId: 'localhost', userVerification: 'preferred' },
      mfa: 'OPTIONAL',
      frontends: [{ name: 'web', webAuthnOrigins: ['http://localhost:5173'] }],
    }).hasResourceProperties(POOL, {
      WebAuthnRelyingPartyID: 'localhost',
      WebAuthnUserVerification: 'preferred',
      MfaConfiguration: 'OPTIONAL',
    });
  });

  it.each([
    [
      'a relying-party id with a scheme',
      { relyingPartyId: 'https://shop.example' },
      [],
      /relyingPartyId must be a lowercase domain/,
    ],
    [
      'a relying-party id that is a top-level domain',
      { relyingPartyId: 'example' },
      [],
      /relyingPartyId must be/,
    ],
    [
      'an origin on another domain',
      { relyingPartyId: 'shop.example' },
      ['https://shop.example.evil.test'],
      /is not on shop.example/,
    ],
    [
      'an http origin off localhost',
      { relyingPartyId: 'shop.example' },
      ['http://shop.example'],
      /must be https/,
    ],
    ['webAuthnOrigins without passkeys', undefined, ['https://shop.example'], /need passkeys turned on/],
  ])('refuses %s', (_, passkeys, origins, message) => {
    expect(() =>
      synth({
        ...(passkeys && { passkeys: passkeys as { relyingPartyId: string } }),
        frontends: [{ name: 'web', webAuthnOrigins: origins }],
      }),
    ).toThrow(message);
  });
});

describe('OtpgateStack refuses props otpgate cannot work with', () => {
  // Validation runs before any resource is made, so these cost no synth.
  const cases: Array<[string, Partial<OtpgateStackProps>, RegExp]> = [
    [
      'a session validity under 3 minutes',
      { authSessionValidityMinutes: 2 },
      /authSessionValidityMinutes .*3 to 15.*got 2/,
    ],
    [
      'a session validity over 15 minutes',
      { authSessionValidityMinutes: 16 },
      /authSessionValidityMinutes .*got 16/,
    ],
    [
      'a fractional session validity',
      { authSessionValidityMinutes: 4.5 },
      /authSessionValidityMinutes .*got 4.5/,
    ],
    ['required MFA', { mfa: 'ON' as never }, /mfa must be "OFF" or "OPTIONAL"/],
    ['no frontends', { frontends: [] }, /frontends must list at least one/],
    ['a frontend name the gateway refuses', { frontends: [{ name: 'Web Shop' }] }, /name "Web Shop"/],
    [
      'two names with one output key',
      { frontends: [{ name: 'web-shop' }, { name: 'web_shop' }] },
      /too alike/,
    ],
    [
      'an origin with a path',
      { frontends: [{ name: 'web', allowedOrigins: ['https://shop.example/'] }] },
      /not an origin/,
    ],
    [
      'a sender that is not an address',
      { sesFromAddress: 'shop.example' },
      /sesFromAddress must be an email address/,
    ],
  ];
  it.each(cases)('refuses %s', (_, props, message) => {
    expect(() => synth(props)).toThrow(message);
  });
});
