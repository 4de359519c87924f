import type {
  UpdateUserPoolClientRequest,
  UpdateUserPoolRequest,
  UserPoolClientType,
  UserPoolType,
} from '@aws-sdk/client-cognito-identity-provider';

/**
 * AWS CLI commands that change a pool or an app client without resetting anything else.
 *
 * UpdateUserPool and UpdateUserPoolClient set every setting left out of the request back to its
 * default: Lambda triggers, the email configuration, callback URLs, token lifetimes... A one-flag
 * `--explicit-auth-flows` fix would, for instance, quietly turn PreventUserExistenceErrors back to LEGACY.
 * So each command is the resource's current settings as DescribeUserPool / DescribeUserPoolClient return
 * them, with the changes applied, passed whole as `--cli-input-json`.
 */

/** Settings DescribeUserPool returns that UpdateUserPool takes under the same name. */
const POOL_KEYS = [
  'Policies',
  'DeletionProtection',
  'LambdaConfig',
  'AutoVerifiedAttributes',
  'SmsVerificationMessage',
  'EmailVerificationMessage',
  'EmailVerificationSubject',
  'VerificationMessageTemplate',
  'SmsAuthenticationMessage',
  'UserAttributeUpdateSettings',
  'MfaConfiguration',
  'DeviceConfiguration',
  'EmailConfiguration',
  'SmsConfiguration',
  'UserPoolTags',
  'AdminCreateUserConfig',
  'UserPoolAddOns',
  'DcrConfiguration',
  'AccountRecoverySetting',
  'UserPoolTier',
  'KeyConfiguration',
  'IssuerConfiguration',
  'AcrConfiguration',
] as const satisfies ReadonlyArray<keyof UserPoolType & keyof UpdateUserPoolRequest>;

/** Settings DescribeUserPoolClient returns that UpdateUserPoolClient takes (not the secret, not dates). */
const CLIENT_KEYS = [
  'ClientName',
  'RefreshTokenValidity',
  'AccessTokenValidity',
  'IdTokenValidity',
  'TokenValidityUnits',
  'ReadAttributes',
  'WriteAttributes',
  'ExplicitAuthFlows',
  'SupportedIdentityProviders',
  'CallbackURLs',
  'LogoutURLs',
  'DefaultRedirectURI',
  'AllowedOAuthFlows',
  'AllowedOAuthScopes',
  'AllowedOAuthFlowsUserPoolClient',
  'AnalyticsConfiguration',
  'PreventUserExistenceErrors',
  'EnableTokenRevocation',
  'EnablePropagateAdditionalUserContextData',
  'AuthSessionValidity',
  'RefreshTokenRotation',
] as const satisfies ReadonlyArray<keyof UserPoolClientType & keyof UpdateUserPoolClientRequest>;

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined) out[key] = source[key];
  return out;
}

/** POSIX single quotes: nothing inside is expanded; a quote is closed, escaped and reopened. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** `aws cognito-idp update-user-pool` with the pool's current settings and `changes` on top. */
export function updateUserPoolCommand(
  pool: UserPoolType & { Id: string },
  region: string,
  changes: Partial<UpdateUserPoolRequest>,
): string {
  const input: UpdateUserPoolRequest = {
    UserPoolId: pool.Id,
    ...(pool.Name !== undefined && { PoolName: pool.Name }),
    ...pick(pool, POOL_KEYS),
    ...changes,
  };
  // Describe returns the deprecated UnusedAccountValidityDays beside PasswordPolicy's
  // TemporaryPasswordValidityDays, and Update refuses the pair.
  const admin = input.AdminCreateUserConfig;
  if (
    admin?.UnusedAccountValidityDays !== undefined &&
    input.Policies?.PasswordPolicy?.TemporaryPasswordValidityDays !== undefined
  ) {
    const { UnusedAccountValidityDays: _deprecated, ...rest } = admin;
    input.AdminCreateUserConfig = rest;
  }
  return `aws cognito-idp update-user-pool --region ${region} --cli-input-json ${shellQuote(JSON.stringify(input))}`;
}

/** `aws cognito-idp update-user-pool-client` with the client's current settings and `changes` on top. */
export function updateUserPoolClientCommand(
  client: UserPoolClientType & { UserPoolId: string; ClientId: string },
  region: string,
  changes: Partial<UpdateUserPoolClientRequest>,
): string {
  const input: UpdateUserPoolClientRequest = {
    UserPoolId: client.UserPoolId,
    ClientId: client.ClientId,
    ...pick(client, CLIENT_KEYS),
    ...changes,
  };
  return `aws cognito-idp update-user-pool-client --region ${region} --cli-input-json ${shellQuote(JSON.stringify(input))}`;
}

/** The command that prints an app client's secret, for pasting into a profile. */
export function readSecretCommand(userPoolId: string, clientId: string, region: string): string {
  return (
    `aws cognito-idp describe-user-pool-client --region ${region} --user-pool-id ${userPoolId} ` +
    `--client-id ${clientId} --query UserPoolClient.ClientSecret --output text`
  );
}

/** What a new pool for otpgate takes, for the settings Cognito cannot change on an existing pool. */
export function createUserPoolCommand(region: string): string {
  return (
    `aws cognito-idp create-user-pool --region ${region} --pool-name otpgate --user-pool-tier ESSENTIALS ` +
    '--username-attributes email --username-configuration CaseSensitive=false --auto-verified-attributes email ' +
    `--policies ${shellQuote(JSON.stringify({ SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] } }))} ` +
    '--admin-create-user-config AllowAdminCreateUserOnly=false'
  );
}
