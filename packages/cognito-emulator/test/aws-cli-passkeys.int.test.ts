// The passkey operations driven by the real AWS CLI (v1 knows all of them): pool settings,
// registration with a Credential document, listing, sign-in with a CREDENTIAL string, deletion. The
// user and pool are made through the SDK because the CLI is slow to start; every passkey call is the
// CLI's.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CreationOptionsJSON, SoftwareAuthenticator } from '../src/webauthn/software-authenticator.js';
import { confirmedUser, newEmail, ownClient, startSignIn } from './flows.js';
import { type Harness, harness } from './helpers.js';

const run = promisify(execFile);
const AWS = process.env.AWS_CLI ?? 'aws';

let h: Harness;
let env: NodeJS.ProcessEnv;

async function aws(...args: string[]): Promise<Record<string, unknown>> {
  try {
    const { stdout } = await run(AWS, ['cognito-idp', ...args, '--endpoint-url', h.emulator.url], {
      env,
      timeout: 30_000,
    });
    return stdout.trim() === '' ? {} : (JSON.parse(stdout) as Record<string, unknown>);
  } catch (error) {
    const { stderr, message } = error as { stderr?: string; message: string };
    throw new Error(`aws cognito-idp ${args[0]} failed: ${stderr || message}`);
  }
}

beforeAll(async () => {
  const { AWS_PROFILE: _profile, AWS_SESSION_TOKEN: _token, ...inherited } = process.env;
  env = {
    ...inherited,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_DEFAULT_OUTPUT: 'json',
    AWS_PAGER: '',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
  h = await harness({ allowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP', 'WEB_AUTHN'] });
});
afterAll(async () => {
  await h?.[Symbol.asyncDispose]();
});

describe('passkeys with the AWS CLI', () => {
  it('set/get-user-pool-mfa-config, register, list, sign in, delete', { timeout: 120_000 }, async () => {
    const set = await aws(
      'set-user-pool-mfa-config',
      '--user-pool-id',
      h.poolId,
      '--mfa-configuration',
      'OFF',
      '--web-authn-configuration',
      'RelyingPartyId=localhost,UserVerification=required',
    );
    expect(set).toEqual({
      MfaConfiguration: 'OFF',
      WebAuthnConfiguration: {
        RelyingPartyId: 'localhost',
        UserVerification: 'required',
        FactorConfiguration: 'SINGLE_FACTOR',
      },
    });
    expect(await aws('get-user-pool-mfa-config', '--user-pool-id', h.poolId)).toEqual(set);

    const email = newEmail('cli');
    const session = await confirmedUser(h, email);
    const accessToken = (await startSignIn(h, email, {}, ownClient(h), session)).AuthenticationResult
      ?.AccessToken as string;

    const started = await aws('start-web-authn-registration', '--access-token', accessToken);
    const options = started.CredentialCreationOptions as CreationOptionsJSON;
    expect(options.rp).toEqual({ id: 'localhost', name: 'localhost' });
    const authenticator = new SoftwareAuthenticator({ attestation: 'packed' });
    const credential = authenticator.register(options, 'http://localhost:5173');
    expect(
      await aws(
        'complete-web-authn-registration',
        '--access-token',
        accessToken,
        '--credential',
        JSON.stringify(credential),
      ),
    ).toEqual({});

    const listed = await aws(
      'list-web-authn-credentials',
      '--access-token',
      accessToken,
      '--max-results',
      '5',
    );
    expect(listed.Credentials).toEqual([
      {
        CredentialId: authenticator.credentialId,
        FriendlyCredentialName: 'Platform passkey',
        RelyingPartyId: 'localhost',
        AuthenticatorAttachment: 'platform',
        AuthenticatorTransports: ['internal'],
        CreatedAt: expect.anything(),
      },
    ]);

    const challenge = await aws(
      'initiate-auth',
      '--auth-flow',
      'USER_AUTH',
      '--client-id',
      h.clientId,
      '--auth-parameters',
      `USERNAME=${email},PREFERRED_CHALLENGE=WEB_AUTHN`,
    );
    expect(challenge.ChallengeName).toBe('WEB_AUTHN');
    const parameters = challenge.ChallengeParameters as { CREDENTIAL_REQUEST_OPTIONS: string };
    const requestOptions = JSON.parse(parameters.CREDENTIAL_REQUEST_OPTIONS);
    const assertion = authenticator.assert(requestOptions, 'http://localhost:5173');
    const signedIn = await aws(
      'respond-to-auth-challenge',
      '--client-id',
      h.clientId,
      '--challenge-name',
      'WEB_AUTHN',
      '--session',
      String(challenge.Session),
      '--challenge-responses',
      JSON.stringify({ USERNAME: email, CREDENTIAL: JSON.stringify(assertion) }),
    );
    expect(signedIn.AuthenticationResult).toMatchObject({ TokenType: 'Bearer', ExpiresIn: 3600 });

    expect(
      await aws(
        'delete-web-authn-credential',
        '--access-token',
        accessToken,
        '--credential-id',
        authenticator.credentialId,
      ),
    ).toEqual({});
    expect((await aws('list-web-authn-credentials', '--access-token', accessToken)).Credentials).toEqual([]);
  });
});
