import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';

export type CheckStatus = 'pass' | 'warn' | 'fail';

/** How to mend a failed or warned check, both ways an operator works. */
export interface Fix {
  /** Where to click in the Amazon Cognito console (or what to edit when it is not a console setting). */
  console: string;
  /** A command that makes the change. Update commands carry the resource's current settings over. */
  cli?: string;
}

export interface Check {
  /** Stable identifier, like `pool.first-factors` or `client.user-auth`. */
  id: string;
  status: CheckStatus;
  /** What was found, in one sentence, naming the setting and its value. */
  message: string;
  /** Absent on `pass`. */
  fix?: Fix;
}

export interface PoolReport {
  userPoolId: string;
  region: string;
  /** Names of the profiles that use the pool. */
  profiles: string[];
  checks: Check[];
}

export interface ProfileReport {
  name: string;
  userPoolId: string;
  clientId: string;
  checks: Check[];
}

export interface DoctorReport {
  pools: PoolReport[];
  profiles: ProfileReport[];
  counts: Record<CheckStatus, number>;
  /** No check failed (warnings allowed). */
  ok: boolean;
}

/**
 * A gateway profile as far as the doctor needs it; the gateway's ClientProfile fits as it is.
 * The secret is compared with the app client's, never printed.
 */
export interface ProfileToCheck {
  name: string;
  userPoolId: string;
  clientId: string;
  /** The profile's app-client secret. @default none */
  clientSecret?: string;
  /** @default the user pool id's prefix */
  region?: string;
  /** Seconds the gateway's sign-in handles live. @default 180 (the engine's default) */
  authSessionValiditySeconds?: number;
  /**
   * The browser origins the profile offers passkeys on (`https://shop.example`). When any profile of a
   * pool names some, or the pool offers WEB_AUTHN, the pool's passkey settings are checked too (which
   * reads GetUserPoolMfaConfig). @default []
   */
  webAuthnOrigins?: readonly string[];
}

export interface DiagnoseOptions {
  /**
   * A Cognito client for every profile, or one per region (profiles of several regions). Its retry and
   * timeout settings bound how long diagnose takes; it is not destroyed.
   */
  client: CognitoIdentityProviderClient | ((region: string) => CognitoIdentityProviderClient);
  profiles: readonly ProfileToCheck[];
}
