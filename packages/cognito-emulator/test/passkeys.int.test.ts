// Passkeys through the real AWS SDK: pool settings, registration (attestation none and packed, ES256
// and RS256), listing, deletion and sign-in, with every refusal a verifier must make. Credentials come
// from the software authenticator that the package exports for other packages' tests.
import {
  CompleteWebAuthnRegistrationCommand,
  CreateUserPoolCommand,
  DeleteWebAuthnCredentialCommand,
  GetUserPoolMfaConfigCommand,
  ListWebAuthnCredentialsCommand,
  RespondToAuthChallengeCommand,
  SetUserPoolMfaConfigCommand,
  StartWebAuthnRegistrationCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CreationOptionsJSON,
  type RequestOptionsJSON,
  SoftwareAuthenticator,
  type SoftwareAuthenticatorOptions,
} from '../src/webauthn/software-authenticator.js';
import { addClient, addPool, confirmedUser, newEmail, ownClient, rejection, startSignIn } from './flows.js';
import { type Harness, harness } from './helpers.js';

const RP_ID = 'shop.example.com';
const ORIGIN = 'https://shop.example.com';

let h: Harness;

beforeAll(async () => {
  h = await harness({ allowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP', 'WEB_AUTHN'] });
  await h.sdk.send(
    new SetUserPoolMfaConfigCommand({
      UserPoolId: h.poolId,
      MfaConfiguration: 'OFF',
      WebAuthnConfiguration: { RelyingPartyId: RP_ID, UserVerification: 'required' },
    }),
  );
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

/** A confirmed user signed in with the automatic sign-in after confirmation: their access token. */
async function signedInUser(email = newEmail('passkey')): Promise<{ email: string; accessToken: string }> {
  const session = await confirmedUser(h, email);
  const signedIn = await startSignIn(h, email, {}, ownClient(h), session);
  return { email, accessToken: signedIn.AuthenticationResult?.AccessToken ?? '' };
}

async function startRegistration(accessToken: string): Promise<CreationOptionsJSON> {
  const started = await h.sdk.send(new StartWebAuthnRegistrationCommand({ AccessToken: accessToken }));
  return started.CredentialCreationOptions as unknown as CreationOptionsJSON;
}

function completeRegistration(accessToken: string, credential: object) {
  return h.sdk.send(
    new CompleteWebAuthnRegistrationCommand({
      AccessToken: accessToken,
      Credential: credential as unknown as Record<string, never>,
    }),
  );
}

/** A user with one registered passkey. */
async function userWithPasskey(options: SoftwareAuthenticatorOptions = {}) {
  const user = await signedInUser();
  const authenticator = new SoftwareAuthenticator(options);
  const creation = await startRegistration(user.accessToken);
  await completeRegistration(user.accessToken, authenticator.register(creation, ORIGIN));
  return { ...user, authenticator };
}

/** InitiateAuth USER_AUTH preferring WEB_AUTHN: the Session and the parsed request options. */
async function passkeyChallenge(email: string) {
  const started = await startSignIn(h, email, { PREFERRED_CHALLENGE: 'WEB_AUTHN' });
  expect(started.ChallengeName).toBe('WEB_AUTHN');
  const text = started.ChallengeParameters?.CREDENTIAL_REQUEST_OPTIONS ?? '';
  return { session: started.Session, options: JSON.parse(text) as RequestOptionsJSON, raw: text, started };
}

function answerPasskey(email: string, session: string | undefined, credential: object) {
  return h.sdk.send(
    new RespondToAuthChallengeCommand({
      ClientId: h.clientId,
      ChallengeName: 'WEB_AUTHN',
      Session: session,
      ChallengeResponses: { USERNAME: email, CREDENTIAL: JSON.stringify(credential) },
    }),
  );
}

describe('pool settings', () => {
  it('SetUserPoolMfaConfig stores WebAuthnConfiguration and GetUserPoolMfaConfig returns it', async () => {
    const poolId = await addPool(h, {
      UserPoolTier: 'ESSENTIALS',
      Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'WEB_AUTHN'] } },
    });
    const before = await h.sdk.send(new GetUserPoolMfaConfigCommand({ UserPoolId: poolId }));
    expect(before.MfaConfiguration).toBe('OFF');
    expect(before.WebAuthnConfiguration).toBeUndefined();

    const set = await h.sdk.send(
      new SetUserPoolMfaConfigCommand({
        UserPoolId: poolId,
        WebAuthnConfiguration: { RelyingPartyId: 'a.example' },
      }),
    );
    expect(set.WebAuthnConfiguration).toEqual({
      RelyingPartyId: 'a.example',
      UserVerification: 'preferred',
      FactorConfiguration: 'SINGLE_FACTOR',
    });
    const after = await h.sdk.send(new GetUserPoolMfaConfigCommand({ UserPoolId: poolId }));
    expect(after.WebAuthnConfiguration).toEqual(set.WebAuthnConfiguration);

    // MFA required with WEB_AUTHN as a first factor needs the multi-factor passkey configuration.
    await expect(
      h.sdk.send(new SetUserPoolMfaConfigCommand({ UserPoolId: poolId, MfaConfiguration: 'ON' })),
    ).rejects.toMatchObject(
      rejection(
        'InvalidParameterException',
        'Cannot set WebAuthn factor configuration to SINGLE_FACTOR if MFA is required and WebAuthn is an allowed first auth factor',
      ),
    );
    const multi = await h.sdk.send(
      new SetUserPoolMfaConfigCommand({
        UserPoolId: poolId,
        MfaConfiguration: 'ON',
        SoftwareTokenMfaConfiguration: { Enabled: true },
        WebAuthnConfiguration: {
          RelyingPartyId: 'a.example',
          UserVerification: 'required',
          FactorConfiguration: 'MULTI_FACTOR_WITH_USER_VERIFICATION',
        },
      }),
    );
    expect(multi.MfaConfiguration).toBe('ON');
    expect(multi.WebAuthnConfiguration?.FactorConfiguration).toBe('MULTI_FACTOR_WITH_USER_VERIFICATION');
  });

  it('WEB_AUTHN needs another first factor, a tier above Lite, and MFA configured for passkeys', async () => {
    const create = (factors: Array<'PASSWORD' | 'WEB_AUTHN'>, extra: object = {}) =>
      h.sdk.send(
        new CreateUserPoolCommand({
          PoolName: 'p',
          Policies: { SignInPolicy: { AllowedFirstAuthFactors: factors } },
          ...extra,
        }),
      );
    await expect(create(['WEB_AUTHN'])).rejects.toMatchObject(
      rejection(
        'InvalidParameterException',
        'WEB_AUTHN must be accompanied by at least one other AllowedFirstAuthFactors option.',
      ),
    );
    await expect(create(['PASSWORD', 'WEB_AUTHN'], { UserPoolTier: 'LITE' })).rejects.toMatchObject(
      rejection('FeatureUnavailableInTierException'),
    );
    await expect(create(['PASSWORD', 'WEB_AUTHN'], { MfaConfiguration: 'ON' })).rejects.toMatchObject(
      rejection(
        'InvalidParameterException',
        'WEB_AUTHN cannot be used as an auth factor when MFA is enabled if not configured for MFA.',
      ),
    );
  });

  it('StartWebAuthnRegistration: WebAuthnNotEnabled without the factor, ConfigurationMissing without an RP id', async () => {
    await using other = await harness({ allowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] });
    const email = newEmail();
    const session = await confirmedUser(other, email);
    const token = (await startSignIn(other, email, {}, ownClient(other), session)).AuthenticationResult
      ?.AccessToken;
    await expect(
      other.sdk.send(new StartWebAuthnRegistrationCommand({ AccessToken: token })),
    ).rejects.toMatchObject(rejection('WebAuthnNotEnabledException'));

    await using noRp = await harness({ allowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP', 'WEB_AUTHN'] });
    const email2 = newEmail();
    const session2 = await confirmedUser(noRp, email2);
    const token2 = (await startSignIn(noRp, email2, {}, ownClient(noRp), session2)).AuthenticationResult
      ?.AccessToken;
    await expect(
      noRp.sdk.send(new StartWebAuthnRegistrationCommand({ AccessToken: token2 })),
    ).rejects.toMatchObject(rejection('WebAuthnConfigurationMissingException'));
  });

  it('the credential operations refuse a bad access token', async () => {
    await expect(
      h.sdk.send(new StartWebAuthnRegistrationCommand({ AccessToken: 'not.a.token' })),
    ).rejects.toMatchObject(rejection('NotAuthorizedException', 'Invalid Access Token'));
    await expect(
      h.sdk.send(new ListWebAuthnCredentialsCommand({ AccessToken: 'not.a.token' })),
    ).rejects.toMatchObject(rejection('NotAuthorizedException'));
  });
});

describe('registration', () => {
  it('StartWebAuthnRegistration answers creation options shaped like Cognito’s', async () => {
    const user = await signedInUser();
    const options = await startRegistration(user.accessToken);
    expect(options).toMatchObject({
      authenticatorSelection: {
        requireResidentKey: true,
        residentKey: 'required',
        userVerification: 'required',
      },
      excludeCredentials: [],
      pubKeyCredParams: [
        { alg: -7, type: 'public-key' },
        { alg: -257, type: 'public-key' },
      ],
      rp: { id: RP_ID, name: RP_ID },
      timeout: 60000,
    });
    expect(options.challenge).toMatch(/^[\w-]{22}$/);
    const sub = decodeJwt(user.accessToken).sub;
    expect(Buffer.from(options.user.id, 'base64url').toString()).toBe(sub);
  });

  it('ES256 with attestation none and RS256 with packed self-attestation register and list', async () => {
    const user = await signedInUser();
    const es = new SoftwareAuthenticator({ algorithm: 'ES256', attestation: 'none' });
    await completeRegistration(
      user.accessToken,
      es.register(await startRegistration(user.accessToken), ORIGIN),
    );
    h.clock.advance(1500);
    const rs = new SoftwareAuthenticator({
      algorithm: 'RS256',
      attestation: 'packed',
      attachment: 'cross-platform',
    });
    const creation = await startRegistration(user.accessToken);
    expect(creation.excludeCredentials).toEqual([{ id: es.credentialId, type: 'public-key' }]);
    await completeRegistration(user.accessToken, rs.register(creation, ORIGIN));

    const listed = await h.sdk.send(new ListWebAuthnCredentialsCommand({ AccessToken: user.accessToken }));
    expect(listed.NextToken).toBeUndefined();
    expect(listed.Credentials).toEqual([
      {
        CredentialId: es.credentialId,
        FriendlyCredentialName: 'Platform passkey',
        RelyingPartyId: RP_ID,
        AuthenticatorAttachment: 'platform',
        AuthenticatorTransports: ['internal'],
        CreatedAt: new Date(h.clock.now() - 1500),
      },
      {
        CredentialId: rs.credentialId,
        FriendlyCredentialName: 'Roaming passkey',
        RelyingPartyId: RP_ID,
        AuthenticatorAttachment: 'cross-platform',
        AuthenticatorTransports: ['usb'],
        CreatedAt: new Date(h.clock.now()),
      },
    ]);
    // On the wire CreatedAt is epoch seconds with a fraction, as Cognito sends it.
    const raw = await fetch(h.emulator.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSCognitoIdentityProviderService.ListWebAuthnCredentials',
      },
      body: JSON.stringify({ AccessToken: user.accessToken, MaxResults: 1 }),
    });
    const body = (await raw.json()) as { Credentials: Array<{ CreatedAt: number }> };
    expect(body.Credentials[0]?.CreatedAt).toBe((h.clock.now() - 1500) / 1000);
  });

  it('refuses a wrong origin, a wrong relying party, a wrong challenge and an unsupported key', async () => {
    const user = await signedInUser();
    const cases: Array<[string, (a: SoftwareAuthenticator, o: CreationOptionsJSON) => object, string]> = [
      ['origin', (a, o) => a.register(o, 'https://evil.example'), 'WebAuthnOriginNotAllowedException'],
      [
        'http origin',
        (a, o) => a.register(o, 'http://shop.example.com'),
        'WebAuthnOriginNotAllowedException',
      ],
      [
        'rpId',
        (a, o) => a.register(o, ORIGIN, { rpId: 'evil.example' }),
        'WebAuthnRelyingPartyMismatchException',
      ],
      [
        'challenge',
        (a, o) => a.register(o, ORIGIN, { challenge: 'AAAAAAAAAAAAAAAAAAAAAA' }),
        'WebAuthnChallengeNotFoundException',
      ],
      [
        'no UV',
        (a, o) => a.register(o, ORIGIN, { userVerified: false }),
        'WebAuthnCredentialNotSupportedException',
      ],
      ['no UP', (a, o) => a.register(o, ORIGIN, { userPresent: false }), 'InvalidParameterException'],
      ['type', (a, o) => a.register(o, ORIGIN, { type: 'webauthn.get' }), 'InvalidParameterException'],
      [
        'garbage',
        () => ({ id: 'x', rawId: 'x', type: 'public-key', response: {} }),
        'InvalidParameterException',
      ],
    ];
    for (const [label, make, exception] of cases) {
      const options = await startRegistration(user.accessToken);
      await expect(
        completeRegistration(user.accessToken, make(new SoftwareAuthenticator(), options)),
        label,
      ).rejects.toMatchObject(rejection(exception));
    }
    const eddsa = new SoftwareAuthenticator({ algorithm: 'EdDSA', attestation: 'packed' });
    await expect(
      completeRegistration(
        user.accessToken,
        eddsa.register(await startRegistration(user.accessToken), ORIGIN),
      ),
    ).rejects.toMatchObject(rejection('WebAuthnCredentialNotSupportedException'));
    const listed = await h.sdk.send(new ListWebAuthnCredentialsCommand({ AccessToken: user.accessToken }));
    expect(listed.Credentials).toEqual([]);
  });

  it('a challenge is single-use, replaced by the next Start, expires, and is bound to the app client', async () => {
    const user = await signedInUser();
    const authenticator = new SoftwareAuthenticator();
    const first = await startRegistration(user.accessToken);
    const second = await startRegistration(user.accessToken);
    // The older challenge is gone once a new one is issued.
    await expect(
      completeRegistration(user.accessToken, authenticator.register(first, ORIGIN)),
    ).rejects.toMatchObject(rejection('WebAuthnChallengeNotFoundException'));
    const credential = authenticator.register(second, ORIGIN);
    await completeRegistration(user.accessToken, credential);
    // Replaying the same response: the challenge was spent.
    await expect(completeRegistration(user.accessToken, credential)).rejects.toMatchObject(
      rejection('WebAuthnChallengeNotFoundException'),
    );

    const late = await startRegistration(user.accessToken);
    h.clock.advance(301_000);
    await expect(
      completeRegistration(user.accessToken, new SoftwareAuthenticator().register(late, ORIGIN)),
    ).rejects.toMatchObject(rejection('WebAuthnChallengeNotFoundException'));

    // Start with one app client's token, Complete with another's.
    const otherClient = await addClient(h);
    const otherSession = await startSignIn(h, user.email, { PREFERRED_CHALLENGE: 'EMAIL_OTP' }, otherClient);
    const otherToken = (
      await h.sdk.send(
        new RespondToAuthChallengeCommand({
          ClientId: otherClient.clientId,
          ChallengeName: 'EMAIL_OTP',
          Session: otherSession.Session,
          ChallengeResponses: { USERNAME: user.email, EMAIL_OTP_CODE: h.lastCode(user.email) },
        }),
      )
    ).AuthenticationResult?.AccessToken as string;
    const bound = await startRegistration(user.accessToken);
    await expect(
      completeRegistration(otherToken, new SoftwareAuthenticator().register(bound, ORIGIN)),
    ).rejects.toMatchObject(rejection('WebAuthnClientMismatchException'));
  });

  it('allows 20 passkeys per user: the 21st Start is LimitExceededException; lists page by MaxResults', async () => {
    const user = await signedInUser();
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const authenticator = new SoftwareAuthenticator();
      await completeRegistration(
        user.accessToken,
        authenticator.register(await startRegistration(user.accessToken), ORIGIN),
      );
      ids.push(authenticator.credentialId);
    }
    await expect(startRegistration(user.accessToken)).rejects.toMatchObject(
      rejection('LimitExceededException'),
    );

    const pages: string[][] = [];
    let nextToken: string | undefined;
    do {
      const page = await h.sdk.send(
        new ListWebAuthnCredentialsCommand({
          AccessToken: user.accessToken,
          MaxResults: 6,
          NextToken: nextToken,
        }),
      );
      pages.push((page.Credentials ?? []).map((c) => c.CredentialId ?? ''));
      nextToken = page.NextToken;
    } while (nextToken);
    expect(pages.map((p) => p.length)).toEqual([6, 6, 6, 2]);
    expect(pages.flat()).toEqual(ids);
    const all = await h.sdk.send(new ListWebAuthnCredentialsCommand({ AccessToken: user.accessToken }));
    expect(all.Credentials).toHaveLength(20);
    expect(all.NextToken).toBeUndefined();
    await expect(
      h.sdk.send(new ListWebAuthnCredentialsCommand({ AccessToken: user.accessToken, NextToken: 'bogus' })),
    ).rejects.toMatchObject(rejection('InvalidParameterException'));

    // Deleting one makes room again.
    await h.sdk.send(
      new DeleteWebAuthnCredentialCommand({ AccessToken: user.accessToken, CredentialId: ids[0] }),
    );
    await expect(startRegistration(user.accessToken)).resolves.toMatchObject({ rp: { id: RP_ID } });
  });

  it('DeleteWebAuthnCredential: ResourceNotFoundException for an unknown id or another user’s', async () => {
    const owner = await userWithPasskey();
    const other = await signedInUser();
    await expect(
      h.sdk.send(
        new DeleteWebAuthnCredentialCommand({
          AccessToken: other.accessToken,
          CredentialId: owner.authenticator.credentialId,
        }),
      ),
    ).rejects.toMatchObject(rejection('ResourceNotFoundException'));
    await expect(
      h.sdk.send(
        new DeleteWebAuthnCredentialCommand({ AccessToken: owner.accessToken, CredentialId: 'unknown' }),
      ),
    ).rejects.toMatchObject(rejection('ResourceNotFoundException'));
  });
});

describe('sign-in', () => {
  it('PREFERRED_CHALLENGE=WEB_AUTHN answers CREDENTIAL_REQUEST_OPTIONS; the assertion gets tokens (ES256, platform)', async () => {
    const user = await userWithPasskey();
    const { session, options, raw, started } = await passkeyChallenge(user.email);
    expect(started.AvailableChallenges).toEqual(['EMAIL_OTP', 'WEB_AUTHN']);
    expect(Object.keys(JSON.parse(raw))).toEqual([
      'challenge',
      'timeout',
      'rpId',
      'allowCredentials',
      'userVerification',
    ]);
    expect(options).toMatchObject({
      timeout: 180000,
      rpId: RP_ID,
      allowCredentials: [
        { type: 'public-key', id: user.authenticator.credentialId, transports: ['internal'] },
      ],
      userVerification: 'required',
    });
    const done = await answerPasskey(user.email, session, user.authenticator.assert(options, ORIGIN));
    expect(done.AuthenticationResult?.AccessToken).toBeTruthy();
    for (const token of [done.AuthenticationResult?.IdToken, done.AuthenticationResult?.AccessToken]) {
      expect(decodeJwt(token ?? '')).toMatchObject({ amr: ['swk'], acr: 'urn:cognito:loa:3' });
    }
    // The Session is spent.
    await expect(
      answerPasskey(user.email, session, user.authenticator.assert(options, ORIGIN)),
    ).rejects.toMatchObject(
      rejection('NotAuthorizedException', 'Invalid session for the user, session is expired.'),
    );
  });

  it('RS256 with a roaming authenticator signs in with amr hwk', async () => {
    const user = await userWithPasskey({
      algorithm: 'RS256',
      attestation: 'packed',
      attachment: 'cross-platform',
    });
    const { session, options } = await passkeyChallenge(user.email);
    const done = await answerPasskey(user.email, session, user.authenticator.assert(options, ORIGIN));
    expect(decodeJwt(done.AuthenticationResult?.IdToken ?? '')).toMatchObject({ amr: ['hwk'] });
  });

  it('refuses wrong origin, relying party, challenge, missing UV, counter regression and replays', async () => {
    const user = await userWithPasskey();
    const refuse = async (label: string, make: (options: RequestOptionsJSON) => object) => {
      const { session, options } = await passkeyChallenge(user.email);
      await expect(answerPasskey(user.email, session, make(options)), label).rejects.toMatchObject(
        rejection('NotAuthorizedException', /^Incorrect passkey/),
      );
      // A failed assertion spends the Session.
      await expect(
        answerPasskey(user.email, session, user.authenticator.assert(options, ORIGIN)),
        label,
      ).rejects.toMatchObject(
        rejection('NotAuthorizedException', 'Invalid session for the user, session is expired.'),
      );
      // A good assertion still works, and ends the run of failures (which would lock the user out).
      const retry = await passkeyChallenge(user.email);
      await answerPasskey(user.email, retry.session, user.authenticator.assert(retry.options, ORIGIN));
    };
    const a = user.authenticator;
    await refuse('origin', (o) => a.assert(o, 'https://shop.example.com.evil.example'));
    await refuse('rpId', (o) => a.assert(o, ORIGIN, { rpId: 'example.com' }));
    await refuse('challenge', (o) => a.assert(o, ORIGIN, { challenge: 'AAAAAAAAAAAAAAAAAAAAAA' }));
    await refuse('no UV', (o) => a.assert(o, ORIGIN, { userVerified: false }));
    await refuse('counter', (o) => a.assert(o, ORIGIN, { counter: 1 }));
    // Replay: a valid assertion for one Session, presented to another.
    const first = await passkeyChallenge(user.email);
    const assertion = a.assert(first.options, ORIGIN);
    await answerPasskey(user.email, first.session, assertion);
    const second = await passkeyChallenge(user.email);
    await expect(answerPasskey(user.email, second.session, assertion)).rejects.toMatchObject(
      rejection('NotAuthorizedException', /^Incorrect passkey/),
    );
    // A subdomain of the relying party is a valid origin.
    const third = await passkeyChallenge(user.email);
    await expect(
      answerPasskey(user.email, third.session, a.assert(third.options, 'https://m.shop.example.com')),
    ).resolves.toMatchObject({ AuthenticationResult: expect.any(Object) });
  });

  it('failed assertions count towards the lockout like wrong codes', async () => {
    const user = await userWithPasskey();
    for (let i = 0; i < 5; i++) {
      const { session, options } = await passkeyChallenge(user.email);
      await expect(
        answerPasskey(
          user.email,
          session,
          user.authenticator.assert(options, ORIGIN, { userVerified: false }),
        ),
      ).rejects.toMatchObject(rejection('NotAuthorizedException', /^Incorrect passkey/));
    }
    await expect(startSignIn(h, user.email, { PREFERRED_CHALLENGE: 'WEB_AUTHN' })).rejects.toMatchObject(
      rejection('NotAuthorizedException', 'Password attempts exceeded'),
    );
    h.clock.advance(1000);
    const { session, options } = await passkeyChallenge(user.email);
    await expect(
      answerPasskey(user.email, session, user.authenticator.assert(options, ORIGIN)),
    ).resolves.toMatchObject({
      AuthenticationResult: expect.any(Object),
    });
  });

  it('refuses an unknown credential and a deleted one; a user without passkeys is not offered WEB_AUTHN', async () => {
    const user = await userWithPasskey();
    const stranger = new SoftwareAuthenticator();
    const first = await passkeyChallenge(user.email);
    await expect(
      answerPasskey(user.email, first.session, stranger.assert(first.options, ORIGIN, { rpId: RP_ID })),
    ).rejects.toMatchObject(rejection('NotAuthorizedException', /not registered/));
    const second = await passkeyChallenge(user.email);
    await h.sdk.send(
      new DeleteWebAuthnCredentialCommand({
        AccessToken: user.accessToken,
        CredentialId: user.authenticator.credentialId,
      }),
    );
    await expect(
      answerPasskey(user.email, second.session, user.authenticator.assert(second.options, ORIGIN)),
    ).rejects.toMatchObject(rejection('NotAuthorizedException', /not registered/));
    // With no passkey left, a WEB_AUTHN preference answers SELECT_CHALLENGE without WEB_AUTHN.
    const fallback = await startSignIn(h, user.email, { PREFERRED_CHALLENGE: 'WEB_AUTHN' });
    expect(fallback.ChallengeName).toBe('SELECT_CHALLENGE');
    expect(fallback.AvailableChallenges).toEqual(['EMAIL_OTP']);
    // An unknown user gets the same shape.
    const unknown = await startSignIn(h, newEmail('nobody'), { PREFERRED_CHALLENGE: 'WEB_AUTHN' });
    expect(unknown.ChallengeName).toBe('SELECT_CHALLENGE');
    expect(unknown.AvailableChallenges).toEqual(['EMAIL_OTP']);
  });

  it('SELECT_CHALLENGE lists WEB_AUTHN for a user with a passkey; ANSWER=WEB_AUTHN and switching back to a code', async () => {
    const user = await userWithPasskey();
    const select = await startSignIn(h, user.email);
    expect(select.ChallengeName).toBe('SELECT_CHALLENGE');
    expect(select.AvailableChallenges).toEqual(['EMAIL_OTP', 'WEB_AUTHN']);
    const chosen = await h.sdk.send(
      new RespondToAuthChallengeCommand({
        ClientId: h.clientId,
        ChallengeName: 'SELECT_CHALLENGE',
        Session: select.Session,
        ChallengeResponses: { USERNAME: user.email, ANSWER: 'WEB_AUTHN' },
      }),
    );
    expect(chosen.ChallengeName).toBe('WEB_AUTHN');
    const options = JSON.parse(
      chosen.ChallengeParameters?.CREDENTIAL_REQUEST_OPTIONS ?? '',
    ) as RequestOptionsJSON;
    // From the WEB_AUTHN challenge, the user switches to an email code instead.
    const switched = await h.sdk.send(
      new RespondToAuthChallengeCommand({
        ClientId: h.clientId,
        ChallengeName: 'SELECT_CHALLENGE',
        Session: chosen.Session,
        ChallengeResponses: { USERNAME: user.email, ANSWER: 'EMAIL_OTP' },
      }),
    );
    expect(switched.ChallengeName).toBe('EMAIL_OTP');
    // The WEB_AUTHN Session was spent by the switch.
    await expect(
      answerPasskey(user.email, chosen.Session, user.authenticator.assert(options, ORIGIN)),
    ).rejects.toMatchObject(
      rejection('NotAuthorizedException', 'Invalid session for the user, session is expired.'),
    );

    // One step: SELECT_CHALLENGE with ANSWER=WEB_AUTHN and the CREDENTIAL on a WEB_AUTHN Session.
    const again = await passkeyChallenge(user.email);
    const done = await h.sdk.send(
      new RespondToAuthChallengeCommand({
        ClientId: h.clientId,
        ChallengeName: 'SELECT_CHALLENGE',
        Session: again.session,
        ChallengeResponses: {
          USERNAME: user.email,
          ANSWER: 'WEB_AUTHN',
          CREDENTIAL: JSON.stringify(user.authenticator.assert(again.options, ORIGIN)),
        },
      }),
    );
    expect(done.AuthenticationResult?.IdToken).toBeTruthy();
  });

  it('a CREDENTIAL that is not JSON is InvalidParameterException and leaves the Session usable', async () => {
    const user = await userWithPasskey();
    const { session, options } = await passkeyChallenge(user.email);
    await expect(
      h.sdk.send(
        new RespondToAuthChallengeCommand({
          ClientId: h.clientId,
          ChallengeName: 'WEB_AUTHN',
          Session: session,
          ChallengeResponses: { USERNAME: user.email, CREDENTIAL: '{not json' },
        }),
      ),
    ).rejects.toMatchObject(rejection('InvalidParameterException', 'Credential data is not valid.'));
    await expect(
      answerPasskey(user.email, session, user.authenticator.assert(options, ORIGIN)),
    ).resolves.toMatchObject({ AuthenticationResult: expect.any(Object) });
  });
});

describe('localhost relying party', () => {
  it('accepts http://localhost on any port and refuses 127.0.0.1', async () => {
    // createPasswordlessPool's webAuthn option: WEB_AUTHN added to the factors, the RP id set.
    await using local = await harness({ webAuthn: { relyingPartyId: 'localhost' } });
    const email = newEmail();
    const session = await confirmedUser(local, email);
    const token = (await startSignIn(local, email, {}, ownClient(local), session)).AuthenticationResult
      ?.AccessToken;
    const start = async () =>
      (await local.sdk.send(new StartWebAuthnRegistrationCommand({ AccessToken: token })))
        .CredentialCreationOptions as unknown as CreationOptionsJSON;
    const complete = (credential: object) =>
      local.sdk.send(
        new CompleteWebAuthnRegistrationCommand({
          AccessToken: token,
          Credential: credential as Record<string, never>,
        }),
      );
    await expect(
      complete(new SoftwareAuthenticator().register(await start(), 'http://127.0.0.1:5173')),
    ).rejects.toMatchObject(rejection('WebAuthnOriginNotAllowedException'));
    // userVerification defaults to preferred: an authenticator without UV is accepted.
    await expect(
      complete(
        new SoftwareAuthenticator({ userVerified: false }).register(await start(), 'http://localhost:5173'),
      ),
    ).resolves.toBeDefined();
  });
});
