// The fix commands are meant to be pasted into a shell: run them, through sh and the real AWS CLI,
// against the emulator. The emulator has no UpdateUserPool / UpdateUserPoolClient, so for those an
// UnknownOperationException is success: the CLI validated every parameter before sending. The CLI is
// slow to start, so this makes three runs.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import {
  type CognitoIdentityProviderClient,
  GetUserPoolMfaConfigCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { type Emulator, startEmulator } from '@otpgate/cognito-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shellQuote } from '../src/commands.js';
import { diagnose } from '../src/diagnose.js';
import { check, createPool, problems, sdkFor } from './helpers.js';

const run = promisify(execFile);
const AWS = process.env.AWS_CLI ?? 'aws';

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

/** A fix command as an operator would paste it, aimed at the emulator. */
function paste(command: string) {
  const aimed = `${command.replace(/^aws /, `${AWS} `)} --endpoint-url ${emulator.url} --output json`;
  return run('sh', ['-c', aimed], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
    },
    timeout: 30_000,
  });
}

describe('fix commands', () => {
  it('quotes for sh: nothing is expanded, quotes survive', async () => {
    const text = `it's $HOME and "\`x\`" \\ *`;
    const { stdout } = await run('sh', ['-c', `printf %s ${shellQuote(text)}`]);
    expect(stdout).toBe(text);
  });

  it('update-user-pool and update-user-pool-client pass the AWS CLI parameter validation', async () => {
    const made = await createPool(
      sdk,
      {
        UserPoolTier: 'LITE',
        Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD'] } },
        AutoVerifiedAttributes: [],
      },
      {
        ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH'],
        PreventUserExistenceErrors: 'LEGACY',
        EnableTokenRevocation: false,
      },
    );
    const report = await diagnose({ client: sdk, profiles: [{ name: 'web', ...made }] });
    for (const id of ['pool.tier', 'client.user-auth']) {
      const cli = check(report, id).fix?.cli as string;
      // Rejects with the emulator's answer, which the CLI only gets once the parameters are valid.
      await expect(paste(cli)).rejects.toMatchObject({
        stderr: expect.stringMatching(/UnknownOperationException/),
      });
    }
  });

  it('create-user-pool, for what cannot be changed, makes a pool that passes', async () => {
    const made = await createPool(sdk, { UsernameConfiguration: { CaseSensitive: true } });
    const first = await diagnose({ client: sdk, profiles: [{ name: 'web', ...made }] });
    const { stdout } = await paste(check(first, 'pool.username-case').fix?.cli as string);
    const userPoolId = JSON.parse(stdout).UserPool.Id as string;
    // Only the pool matters here: the new pool has no app client yet.
    const report = await diagnose({ client: sdk, profiles: [{ name: 'web', userPoolId, clientId: 'none' }] });
    // The new pool is right; only the email sender (SES needs a verified identity of your own) is left.
    expect(problems(report).filter((p) => p.startsWith('pool.'))).toEqual(['pool.email-sender warn']);
  });
});

describe('passkey fix commands', () => {
  it('set-user-pool-mfa-config sets the relying-party id and user verification, keeping MFA as it was', async () => {
    const made = await createPool(sdk, {
      Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP', 'WEB_AUTHN'] } },
      MfaConfiguration: 'OPTIONAL',
    });
    const profiles = [
      { name: 'web', ...made, webAuthnOrigins: ['https://shop.example', 'https://m.shop.example'] },
    ];
    const before = await diagnose({ client: sdk, profiles });
    expect(check(before, 'pool.passkey-relying-party').status).toBe('fail');
    // One paste mends both: the user-verification fix carries the suggested relying-party id.
    await paste(check(before, 'pool.passkey-user-verification').fix?.cli as string);
    const after = await diagnose({ client: sdk, profiles });
    expect(problems(after).filter((p) => p.startsWith('pool.passkey'))).toEqual([]);
    const config = await sdk.send(new GetUserPoolMfaConfigCommand({ UserPoolId: made.userPoolId }));
    expect(config.MfaConfiguration).toBe('OPTIONAL');
    expect(config.WebAuthnConfiguration).toMatchObject({
      RelyingPartyId: 'shop.example',
      UserVerification: 'required',
    });
  });
});
