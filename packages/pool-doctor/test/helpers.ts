import {
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  type CreateUserPoolClientRequest,
  CreateUserPoolCommand,
  type CreateUserPoolRequest,
} from '@aws-sdk/client-cognito-identity-provider';
import type { Emulator } from '@otpgate/cognito-emulator';
import type { Check, DoctorReport } from '../src/types.js';

/** A real AWS SDK client pointed at the emulator, dummy credentials, no retries. */
export function sdkFor(emulator: Emulator): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint: emulator.url,
    region: emulator.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
}

/** Everything otpgate needs, as a correctly made pool has it. */
export const GOOD_POOL: Omit<CreateUserPoolRequest, 'PoolName'> = {
  UserPoolTier: 'ESSENTIALS',
  Policies: { SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] } },
  MfaConfiguration: 'OFF',
  UsernameAttributes: ['email'],
  UsernameConfiguration: { CaseSensitive: false },
  AutoVerifiedAttributes: ['email'],
  EmailConfiguration: {
    EmailSendingAccount: 'DEVELOPER',
    SourceArn: 'arn:aws:ses:us-east-1:000000000000:identity/shop.example',
    From: 'no-reply@shop.example',
  },
};

export const GOOD_CLIENT: Omit<CreateUserPoolClientRequest, 'UserPoolId' | 'ClientName'> = {
  ExplicitAuthFlows: ['ALLOW_USER_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
  PreventUserExistenceErrors: 'ENABLED',
  EnableTokenRevocation: true,
  AuthSessionValidity: 5,
  GenerateSecret: false,
};

let pools = 0;

/** A pool made through the SDK: the good settings with `pool` on top; its client likewise. */
export async function createPool(
  sdk: CognitoIdentityProviderClient,
  pool: Partial<CreateUserPoolRequest> = {},
  client: Partial<CreateUserPoolClientRequest> = {},
): Promise<{ userPoolId: string; clientId: string; clientSecret?: string }> {
  pools += 1;
  const created = await sdk.send(
    new CreateUserPoolCommand({ ...GOOD_POOL, PoolName: `doctor-${pools}`, ...pool }),
  );
  const userPoolId = created.UserPool?.Id as string;
  const made = await sdk.send(
    new CreateUserPoolClientCommand({
      ...GOOD_CLIENT,
      UserPoolId: userPoolId,
      ClientName: 'shop',
      ...client,
    }),
  );
  const secret = made.UserPoolClient?.ClientSecret;
  return {
    userPoolId,
    clientId: made.UserPoolClient?.ClientId as string,
    ...(secret && { clientSecret: secret }),
  };
}

/** The check with `id` from the report's only pool or only profile. */
export function check(report: DoctorReport, id: string): Check {
  const found = [...report.pools, ...report.profiles].flatMap((r) => r.checks).find((c) => c.id === id);
  if (!found) throw new Error(`no check ${id} in ${JSON.stringify(report, null, 2)}`);
  return found;
}

/** `id status` of every check that did not pass. */
export function problems(report: DoctorReport): string[] {
  return [...report.pools, ...report.profiles].flatMap((r) =>
    r.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id} ${c.status}`),
  );
}
