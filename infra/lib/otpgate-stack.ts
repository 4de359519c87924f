import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  PasskeyUserVerification,
  UserPool,
  type UserPoolClient,
  UserPoolEmail,
} from 'aws-cdk-lib/aws-cognito';
import type { Construct } from 'constructs';

/** How the gateway hands out the refresh token for a frontend (the gateway profile's `tokenDelivery`). */
export type TokenDelivery = 'body' | 'cookie';

/** One retail frontend: one app client, one gateway profile of the same name. */
export interface OtpgateFrontend {
  /**
   * Profile name: lowercase letters, digits, `-` and `_` (the gateway's rule), unique. It names the app
   * client (`otpgate-<name>`) and its construct: renaming a frontend replaces its app client (new client id).
   */
  readonly name: string;
  /**
   * Give the app client a secret (SECRET_HASH on every call). Only for frontends whose calls all go
   * through the gateway; CloudFormation cannot output it, see write-profiles. Changing it replaces the
   * app client. @default false
   */
  readonly generateSecret?: boolean;
  /** Browser origins the gateway accepts for this profile, like `https://shop.example`. @default [] */
  readonly allowedOrigins?: readonly string[];
  /** @default 'body' */
  readonly tokenDelivery?: TokenDelivery;
  /**
   * Browser origins this frontend offers passkeys on (the gateway profile's `webAuthnOrigins`). Each must
   * be https (or http on localhost) on the relying-party id or a subdomain of it. Needs `passkeys`.
   * @default []
   */
  readonly webAuthnOrigins?: readonly string[];
}

/** Passkey (WEB_AUTHN) sign-in for the pool. */
export interface OtpgatePasskeys {
  /**
   * The relying-party id: the domain the frontends' pages are on (`shop.example` serves
   * `https://shop.example` and `https://www.shop.example`), or `localhost` for development. Changing it
   * later makes every user register their passkeys again.
   */
  readonly relyingPartyId: string;
  /** `required`: a PIN or biometric on every use; `preferred`: presence may do. @default 'required' */
  readonly userVerification?: 'required' | 'preferred';
}

export interface OtpgateStackProps extends StackProps {
  /** Verified SES address codes are sent from (an SES identity: the address or its domain). */
  readonly sesFromAddress: string;
  /** Display name of the sender. @default none */
  readonly sesFromName?: string;
  /** Verified SES domain identity when the address itself is not verified. @default the address is the identity */
  readonly sesVerifiedDomain?: string;
  /** Region of the SES identity when it is not the stack's. @default the stack's region */
  readonly sesRegion?: string;
  readonly frontends: readonly OtpgateFrontend[];
  /**
   * Every app client's AuthSessionValidity, minutes, 3 to 15: how long a user has to type a sign-in code.
   * At 3 (Cognito's minimum and default) a slow mailbox costs users their code. @default 5
   */
  readonly authSessionValidityMinutes?: number;
  /**
   * Add SMS_OTP to the first factors, phone numbers as usernames and an SNS role for SMS. This changes
   * UsernameAttributes, which CloudFormation cannot update in place: turning it on or off later REPLACES
   * the user pool (new id, no users). Decide before the first deploy. @default false
   */
  readonly enableSms?: boolean;
  /**
   * `OFF`, or `OPTIONAL` (TOTP): users who turn MFA on can no longer sign in without a password.
   * Required MFA is refused: passwordless first factors cannot work with it. @default 'OFF'
   */
  readonly mfa?: 'OFF' | 'OPTIONAL';
  /**
   * Turn passkeys on: WEB_AUTHN joins the first factors (beside EMAIL_OTP), with this relying-party id
   * and user verification. @default off
   */
  readonly passkeys?: OtpgatePasskeys;
  /** @default 'otpgate' */
  readonly userPoolName?: string;
  /** Refuse to delete the pool through the API or CloudFormation. @default true */
  readonly deletionProtection?: boolean;
}

/** The gateway's profile-name rule (apps/gateway/src/config.ts). */
const PROFILE_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Thrown at construction for props that would build a pool otpgate cannot use. */
export class OtpgateStackPropsError extends Error {
  constructor(prop: string, problem: string) {
    super(`OtpgateStack: ${prop} ${problem}`);
    this.name = 'OtpgateStackPropsError';
  }
}

/** Prefix of the per-frontend outputs that write-profiles turns into the gateway's profiles file. */
export const PROFILE_OUTPUT_PREFIX = 'OtpgateProfile';

/** An output key for a profile name: `web-shop` -> `OtpgateProfileWebShop`. */
export function profileOutputKey(name: string): string {
  const pascal = name
    .split(/[-_]/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
  return `${PROFILE_OUTPUT_PREFIX}${pascal}`;
}

/** A domain name of letters, digits and hyphens: what a relying-party id can be. */
const DOMAIN = /^(?=.{1,127}$)[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*$/;

/** Why a browser on `origin` cannot use passkeys of `rpId`, or undefined when it can. */
export function webAuthnOriginProblem(origin: string, rpId: string): string | undefined {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'is not an origin';
  }
  if (url.origin !== origin)
    return 'is not an origin like "https://shop.example" (no path or trailing slash)';
  const host = url.hostname;
  if (host !== rpId && !host.endsWith(`.${rpId}`)) return `is not on ${rpId} or a subdomain of it`;
  if (url.protocol !== 'https:' && host !== 'localhost')
    return 'must be https (browsers allow http only on localhost)';
  return undefined;
}

function validatePasskeys(props: OtpgateStackProps): void {
  const passkeys = props.passkeys;
  if (!passkeys) {
    const named = props.frontends.find((f) => (f.webAuthnOrigins ?? []).length > 0);
    if (named) {
      throw new OtpgateStackPropsError(
        'frontends',
        `"${named.name}": webAuthnOrigins need passkeys turned on (the passkeys prop)`,
      );
    }
    return;
  }
  const rpId = passkeys.relyingPartyId;
  if (!DOMAIN.test(rpId) || (!rpId.includes('.') && rpId !== 'localhost')) {
    throw new OtpgateStackPropsError(
      'passkeys.relyingPartyId',
      `must be a lowercase domain name like "shop.example" (no scheme, port or path) or "localhost", got "${rpId}"`,
    );
  }
  const verification = passkeys.userVerification;
  if (verification !== undefined && verification !== 'required' && verification !== 'preferred') {
    throw new OtpgateStackPropsError(
      'passkeys.userVerification',
      `must be "required" or "preferred", got "${String(verification)}"`,
    );
  }
  for (const frontend of props.frontends) {
    for (const origin of frontend.webAuthnOrigins ?? []) {
      const problem = webAuthnOriginProblem(origin, rpId);
      if (problem)
        throw new OtpgateStackPropsError(
          'frontends',
          `"${frontend.name}": webAuthnOrigins "${origin}" ${problem}`,
        );
    }
  }
}

function validate(props: OtpgateStackProps): void {
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(props.sesFromAddress)) {
    throw new OtpgateStackPropsError(
      'sesFromAddress',
      `must be an email address, got "${props.sesFromAddress}"`,
    );
  }
  const minutes = props.authSessionValidityMinutes;
  if (minutes !== undefined && !(Number.isInteger(minutes) && minutes >= 3 && minutes <= 15)) {
    throw new OtpgateStackPropsError(
      'authSessionValidityMinutes',
      `must be a whole number of minutes from 3 to 15 (Cognito's range), got ${minutes}`,
    );
  }
  // A runtime check as well as the type: bin passes values from the CLI context.
  if (props.mfa !== undefined && props.mfa !== 'OFF' && props.mfa !== 'OPTIONAL') {
    throw new OtpgateStackPropsError(
      'mfa',
      `must be "OFF" or "OPTIONAL", got "${String(props.mfa)}": with MFA required Cognito offers no passwordless first factor`,
    );
  }
  if (props.frontends.length === 0) {
    throw new OtpgateStackPropsError('frontends', 'must list at least one frontend');
  }
  const outputKeys = new Map<string, string>();
  for (const frontend of props.frontends) {
    if (!PROFILE_NAME.test(frontend.name)) {
      throw new OtpgateStackPropsError(
        'frontends',
        `name "${frontend.name}" must be lowercase letters, digits, "-" and "_", at most 63 characters`,
      );
    }
    // Output keys drop "-" and "_": "web-shop" and "web_shop" would share one.
    const key = profileOutputKey(frontend.name);
    const clash = outputKeys.get(key);
    if (clash !== undefined) {
      throw new OtpgateStackPropsError(
        'frontends',
        `names "${clash}" and "${frontend.name}" are too alike (both ${key})`,
      );
    }
    outputKeys.set(key, frontend.name);
    if (frontend.tokenDelivery !== undefined && !['body', 'cookie'].includes(frontend.tokenDelivery)) {
      throw new OtpgateStackPropsError(
        'frontends',
        `"${frontend.name}": tokenDelivery must be "body" or "cookie"`,
      );
    }
    for (const origin of frontend.allowedOrigins ?? []) {
      let valid = false;
      try {
        valid = new URL(origin).origin === origin;
      } catch {}
      if (!valid) {
        throw new OtpgateStackPropsError(
          'frontends',
          `"${frontend.name}": "${origin}" is not an origin like "https://shop.example" (no path or trailing slash)`,
        );
      }
    }
  }
}

/**
 * A Cognito user pool set up for otpgate's passwordless flows and one app client per frontend.
 * Every setting pool-doctor checks is made here; its outputs feed `pnpm --filter @otpgate/infra profiles`.
 * @throws OtpgateStackPropsError naming the bad prop
 */
export class OtpgateStack extends Stack {
  readonly userPool: UserPool;
  readonly clients: ReadonlyMap<string, UserPoolClient>;

  constructor(scope: Construct, id: string, props: OtpgateStackProps) {
    super(scope, id, props);
    validate(props);
    validatePasskeys(props);
    const passkeys = props.passkeys;
    const enableSms = props.enableSms ?? false;
    const mfaOptional = props.mfa === 'OPTIONAL';
    const sessionMinutes = props.authSessionValidityMinutes ?? 5;

    this.userPool = new UserPool(this, 'UserPool', {
      userPoolName: props.userPoolName ?? 'otpgate',
      // USER_AUTH and its OTP factors need ESSENTIALS or PLUS.
      featurePlan: FeaturePlan.ESSENTIALS,
      // SignUp is a public API call of the gateway: users register themselves.
      selfSignUpEnabled: true,
      // The address is the username (the engine signs up with it); an alias would refuse email-shaped usernames.
      signInAliases: { email: true, phone: enableSms },
      signInCaseSensitive: false,
      // Email only, even with SMS on: with both auto-verified, Cognito sends the sign-up code by SMS.
      autoVerify: { email: true, phone: false },
      signInPolicy: {
        allowedFirstAuthFactors: {
          password: true,
          emailOtp: true,
          smsOtp: enableSms,
          passkey: passkeys !== undefined,
        },
      },
      // Passkeys: the relying party is the frontends' domain (a "third-party domain" to Cognito), not a
      // Cognito domain, because the gateway's pages run the WebAuthn ceremonies.
      ...(passkeys && {
        passkeyRelyingPartyId: passkeys.relyingPartyId,
        passkeyUserVerification:
          passkeys.userVerification === 'preferred'
            ? PasskeyUserVerification.PREFERRED
            : PasskeyUserVerification.REQUIRED,
      }),
      mfa: mfaOptional ? Mfa.OPTIONAL : Mfa.OFF,
      // TOTP only: SMS MFA would need the SNS role even when SMS sign-in is off.
      ...(mfaOptional && { mfaSecondFactor: { sms: false, otp: true } }),
      enableSmsRole: enableSms,
      // Cognito's own sender allows about 50 emails a day per account: SES is the production sender.
      email: UserPoolEmail.withSES({
        fromEmail: props.sesFromAddress,
        ...(props.sesFromName !== undefined && { fromName: props.sesFromName }),
        ...(props.sesVerifiedDomain !== undefined && { sesVerifiedDomain: props.sesVerifiedDomain }),
        ...(props.sesRegion !== undefined && { sesRegion: props.sesRegion }),
      }),
      // Passwordless users have no password to reset; a recovery code by email is all that makes sense.
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      deletionProtection: props.deletionProtection ?? true,
    });

    new CfnOutput(this, 'UserPoolId', {
      value: this.userPool.userPoolId,
      description: 'otpgate user pool id',
    });

    const clients = new Map<string, UserPoolClient>();
    for (const frontend of props.frontends) {
      const client = this.userPool.addClient(`Client-${frontend.name}`, {
        userPoolClientName: `otpgate-${frontend.name}`,
        generateSecret: frontend.generateSecret ?? false,
        // USER_AUTH for the OTP flows, refresh for renewing tokens; nothing else (no SRP, no passwords).
        authFlows: { user: true },
        disableOAuth: true,
        preventUserExistenceErrors: true,
        enableTokenRevocation: true,
        authSessionValidity: Duration.minutes(sessionMinutes),
      });
      clients.set(frontend.name, client);
      // The profile as JSON, tokens resolved by CloudFormation; the secret is never an output.
      new CfnOutput(this, profileOutputKey(frontend.name), {
        description: `otpgate gateway profile "${frontend.name}"`,
        value: this.toJsonString({
          name: frontend.name,
          region: this.region,
          userPoolId: this.userPool.userPoolId,
          clientId: client.userPoolClientId,
          clientSecretRequired: frontend.generateSecret ?? false,
          allowedOrigins: frontend.allowedOrigins ?? [],
          tokenDelivery: frontend.tokenDelivery ?? 'body',
          authSessionValiditySeconds: sessionMinutes * 60,
          ...(passkeys && { webAuthnOrigins: frontend.webAuthnOrigins ?? [] }),
        }),
      });
    }
    this.clients = clients;
  }
}
