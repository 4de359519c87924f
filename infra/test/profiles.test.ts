import { describe, expect, it } from 'vitest';
import { propsFromContext } from '../lib/context.js';
import { profilesFromOutputs, secretVariable } from '../lib/profiles.js';

const profileOutput = (name: string, clientId: string, clientSecretRequired = false) =>
  JSON.stringify({
    name,
    region: 'eu-west-1',
    userPoolId: 'eu-west-1_Pool123',
    clientId,
    clientSecretRequired,
    allowedOrigins: [],
    tokenDelivery: 'body',
    authSessionValiditySeconds: 300,
  });

describe('profilesFromOutputs', () => {
  const outputs = {
    Otpgate: {
      UserPoolId: 'eu-west-1_Pool123',
      OtpgateProfileWeb: profileOutput('web', 'clientweb'),
      OtpgateProfileApp: profileOutput('app', 'clientapp', true),
    },
  };

  it('refuses to write a profile for a client with a secret it does not have, and prints the command that reads it', () => {
    expect(() => profilesFromOutputs(outputs, { secrets: {} })).toThrow(
      /export OTPGATE_CLIENT_SECRET_APP="\$\(aws cognito-idp describe-user-pool-client --region eu-west-1 --user-pool-id eu-west-1_Pool123 --client-id clientapp --query UserPoolClient.ClientSecret --output text\)"/,
    );
  });

  it('keeps hand-written keys, other profiles and the secret of an unchanged client from the existing file', () => {
    const existing = {
      profiles: {
        app: {
          region: 'eu-west-1',
          userPoolId: 'eu-west-1_Pool123',
          clientId: 'clientapp',
          clientSecret: 'kept',
          allowedOrigins: ['https://old.example'],
          tokenDelivery: 'body' as const,
          authSessionValiditySeconds: 180,
          onExistingUser: 'SIGN_IN',
        },
        legacy: {
          region: 'eu-west-1',
          userPoolId: 'eu-west-1_Other',
          clientId: 'x',
          allowedOrigins: [],
          tokenDelivery: 'body' as const,
          authSessionValiditySeconds: 180,
        },
      },
    };
    const file = profilesFromOutputs(outputs, { secrets: {}, existing });
    expect(file.profiles.app).toMatchObject({
      clientSecret: 'kept',
      onExistingUser: 'SIGN_IN',
      allowedOrigins: [],
      authSessionValiditySeconds: 300,
    });
    expect(file.profiles.legacy?.userPoolId).toBe('eu-west-1_Other');
    expect(file.profiles.web?.clientSecret).toBeUndefined();
  });

  it('drops a stored secret when the client was replaced (new client id)', () => {
    const existing = {
      profiles: {
        app: {
          region: 'eu-west-1',
          userPoolId: 'eu-west-1_Pool123',
          clientId: 'clientappold',
          clientSecret: 'stale',
          allowedOrigins: [],
          tokenDelivery: 'body' as const,
          authSessionValiditySeconds: 300,
        },
      },
    };
    expect(() => profilesFromOutputs(outputs, { secrets: {}, existing })).toThrow(
      /OTPGATE_CLIENT_SECRET_APP/,
    );
    const file = profilesFromOutputs(outputs, { secrets: { [secretVariable('app')]: 'fresh' }, existing });
    expect(file.profiles.app?.clientSecret).toBe('fresh');
  });

  it('refuses to write what the gateway would refuse: a hand-written key gone wrong is named', () => {
    const existing = {
      profiles: {
        web: {
          region: 'eu-west-1',
          userPoolId: 'eu-west-1_Pool123',
          clientId: 'clientweb',
          limits: { wrongCodesPerHandle: 50 },
        },
        typo: { region: 'eu-west-1', userPoolId: 'eu-west-1_Pool123', clientId: 'x', alowedOrigins: [] },
      },
    };
    expect(() =>
      profilesFromOutputs(outputs, {
        secrets: { [secretVariable('app')]: 's3cret' },
        existing: existing as never,
      }),
    ).toThrow(
      /gateway would refuse the result: profiles\.web\.limits\.wrongCodesPerHandle: must be at most 10/,
    );
    delete (existing.profiles.web as { limits?: unknown }).limits;
    expect(() =>
      profilesFromOutputs(outputs, {
        secrets: { [secretVariable('app')]: 's3cret' },
        existing: existing as never,
      }),
    ).toThrow(/profiles\.typo\.alowedOrigins: unknown key/);
  });

  it('needs --stack when several stacks have profiles, and names a missing one', () => {
    const two = { ...outputs, Staging: { OtpgateProfileWeb: profileOutput('web', 'c') } };
    expect(() => profilesFromOutputs(two, { secrets: {} })).toThrow(
      /several stacks .*Otpgate, Staging.*--stack/,
    );
    expect(profilesFromOutputs(two, { secrets: {}, stackName: 'Staging' }).profiles.web?.clientId).toBe('c');
    expect(() => profilesFromOutputs(two, { secrets: {}, stackName: 'Prod' })).toThrow(/no stack "Prod"/);
  });
});

describe('propsFromContext', () => {
  const from = (context: Record<string, unknown>) => propsFromContext((key) => context[key]);

  it('reads -c strings: JSON frontends, booleans, numbers; leaves the rest to the stack defaults', () => {
    expect(
      from({
        sesFromAddress: 'no-reply@shop.example',
        frontends:
          '[{"name":"web","allowedOrigins":["https://shop.example"],"tokenDelivery":"cookie"},"app"]',
        enableSms: 'true',
        authSessionValidityMinutes: '7',
        mfa: 'OPTIONAL',
      }),
    ).toEqual({
      stackName: 'Otpgate',
      sesFromAddress: 'no-reply@shop.example',
      frontends: [
        { name: 'web', allowedOrigins: ['https://shop.example'], tokenDelivery: 'cookie' },
        { name: 'app' },
      ],
      enableSms: true,
      authSessionValidityMinutes: 7,
      mfa: 'OPTIONAL',
    });
  });

  it('turns passkeys on with passkeyRelyingPartyId, and reads frontends’ webAuthnOrigins', () => {
    expect(
      from({
        sesFromAddress: 'no-reply@shop.example',
        frontends: '[{"name":"web","webAuthnOrigins":["https://shop.example"]}]',
        passkeyRelyingPartyId: 'shop.example',
        passkeyUserVerification: 'preferred',
      }),
    ).toMatchObject({
      frontends: [{ name: 'web', webAuthnOrigins: ['https://shop.example'] }],
      passkeys: { relyingPartyId: 'shop.example', userVerification: 'preferred' },
    });
    expect(from({ sesFromAddress: 'a@b.example', frontends: ['web'] })).not.toHaveProperty('passkeys');
    expect(() =>
      from({ sesFromAddress: 'a@b.example', frontends: ['web'], passkeyUserVerification: 'required' }),
    ).toThrow(/context "passkeyUserVerification" needs passkeyRelyingPartyId/);
  });

  it('names the missing or malformed key', () => {
    expect(() => from({ frontends: ['web'] })).toThrow(/context "sesFromAddress" is required/);
    expect(() => from({ sesFromAddress: 'a@b.example' })).toThrow(/context "frontends" is required/);
    expect(() =>
      from({ sesFromAddress: 'a@b.example', frontends: '[{"name":"web","secret":true}]' }),
    ).toThrow(/unknown key "secret"/);
    expect(() => from({ sesFromAddress: 'a@b.example', frontends: ['web'], enableSms: 'yes' })).toThrow(
      /context "enableSms" must be true or false/,
    );
  });
});
