import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { Clock } from './clock.js';
import { type QuotaCategory, Quotas } from './quotas.js';

export type FeaturePlan = 'LITE' | 'ESSENTIALS' | 'PLUS';
export type FirstAuthFactor = 'PASSWORD' | 'EMAIL_OTP' | 'SMS_OTP' | 'WEB_AUTHN';
export type MfaConfiguration = 'OFF' | 'ON' | 'OPTIONAL';
export type OtpChallenge = 'EMAIL_OTP' | 'SMS_OTP';
export type TokenUnit = 'seconds' | 'minutes' | 'hours' | 'days';
export type UserVerification = 'required' | 'preferred';
export type WebAuthnFactorConfiguration = 'SINGLE_FACTOR' | 'MULTI_FACTOR_WITH_USER_VERIFICATION';

/** SetUserPoolMfaConfig's WebAuthnConfiguration, as stored. */
export interface WebAuthnConfiguration {
  /** Absent: no relying-party id (the emulator has no pool domains to fall back on). */
  relyingPartyId?: string;
  userVerification: UserVerification;
  factorConfiguration: WebAuthnFactorConfiguration;
}

/** A registered passkey. */
export interface StoredPasskey {
  /** base64url credential id, as the authenticator made it. */
  credentialId: string;
  /** COSE public key bytes. */
  publicKey: Uint8Array;
  /** COSE algorithm: -7 (ES256) or -257 (RS256). */
  algorithm: number;
  counter: number;
  transports: string[];
  attachment?: 'platform' | 'cross-platform';
  relyingPartyId: string;
  friendlyName: string;
  createdAt: number;
  /** Registration order in the user's list; ListWebAuthnCredentials pages by it. */
  seq: number;
}

/** The challenge of the latest StartWebAuthnRegistration, waiting for CompleteWebAuthnRegistration. */
export interface PendingRegistration {
  /** base64url of the 16 challenge bytes. */
  challenge: string;
  /** The app client of the access token given to Start. */
  clientId: string;
  relyingPartyId: string;
  expiresAt: number;
}

/** Behaviours docs/COGNITO.md marks [I]: AWS documents none of them, so each one is a pool setting. */
export interface EmulatorBehaviour {
  /**
   * Wrong codes a single sign-in Session accepts before it is dead (NotAuthorizedException from then on).
   * @default 3
   */
  wrongCodesPerSession: number;
  /**
   * What a wrong sign-in code does to its Session. false: the Session stays usable (up to
   * `wrongCodesPerSession` wrong codes). true: the Session is spent by the wrong code, so the caller must
   * start again with InitiateAuth for a new Session and code. A CodeMismatchException cannot carry a
   * Session through the SDK, so "a new Session after a wrong code" can only mean starting again.
   * @default false
   */
  newSessionAfterWrongCode: boolean;
  /** Failed sign-in codes per user before the lockout starts. @default 5 */
  lockoutThreshold: number;
  /** Longest lockout, in seconds; the lockout for failure n is 2^(n - threshold) seconds up to this. @default 900 */
  lockoutMaxSeconds: number;
  /** Wrong confirmation codes per user before TooManyFailedAttemptsException. @default 5 */
  confirmationAttempts: number;
  /**
   * Life of a sign-up confirmation code, in seconds (Cognito: 24 hours). Sign-in codes have no setting
   * of their own: they live exactly as long as their Session (the client's AuthSessionValidity).
   * @default 86400
   */
  confirmationCodeValiditySeconds: number;
  /**
   * What USER_AUTH answers when MFA is required on the pool, or the user has MFA: `error` throws
   * InvalidParameterException; `select-challenge` answers SELECT_CHALLENGE without the OTP factors.
   * @default 'error'
   */
  mfaRestriction: 'error' | 'select-challenge';
  /**
   * When the automatic sign-in window (the ConfirmSignUp Session's AuthSessionValidity) starts.
   * `sign-up`: at SignUp, so a user who confirms after the window gets a Session that USER_AUTH refuses
   * as expired. The transcript's ConfirmSignUp Session begins like its SignUp Session ("AYABeLIBKr5g..."),
   * which suggests Cognito hands back SignUp's own Session. `confirmation`: a fresh window at ConfirmSignUp.
   * @default 'sign-up'
   */
  autoSignInWindowFrom: 'sign-up' | 'confirmation';
  /**
   * Life of a StartWebAuthnRegistration challenge, in seconds; Cognito does not say how long it is.
   * Only the latest challenge of a user is kept: a new Start replaces the one before.
   * @default 300
   */
  webAuthnRegistrationSeconds: number;
  /**
   * Origins accepted for passkeys besides those derived from the relying-party id (`https://<rpId>`,
   * `https://<subdomain>.<rpId>`, any port, and `http://localhost:<port>` when the id is `localhost`):
   * exact strings, e.g. `android:apk-key-hash:...` for a native app.
   * @default []
   */
  webAuthnExtraOrigins: string[];
}

export const DEFAULT_BEHAVIOUR: EmulatorBehaviour = {
  wrongCodesPerSession: 3,
  newSessionAfterWrongCode: false,
  lockoutThreshold: 5,
  lockoutMaxSeconds: 900,
  confirmationAttempts: 5,
  confirmationCodeValiditySeconds: 24 * 3600,
  mfaRestriction: 'error',
  autoSignInWindowFrom: 'sign-up',
  webAuthnRegistrationSeconds: 300,
  webAuthnExtraOrigins: [],
};

export interface TokenValidity {
  accessToken: number;
  idToken: number;
  refreshToken: number;
  units: { AccessToken: TokenUnit; IdToken: TokenUnit; RefreshToken: TokenUnit };
}

export interface AppClient {
  clientId: string;
  clientName: string;
  userPoolId: string;
  clientSecret?: string;
  explicitAuthFlows: string[];
  /** Minutes, 3 to 15. Bounds sign-in Sessions, sign-in codes and the ConfirmSignUp Session. */
  authSessionValidity: number;
  preventUserExistenceErrors: 'ENABLED' | 'LEGACY';
  enableTokenRevocation: boolean;
  tokenValidity: TokenValidity;
  createdAt: number;
  lastModifiedAt: number;
}

export interface PendingConfirmation {
  code: string;
  expiresAt: number;
  failedAttempts: number;
}

export interface PoolUser {
  /** As given at sign-up (Cognito keeps the original spelling; lookups use the normalised key). */
  username: string;
  sub: string;
  attributes: Map<string, string>;
  status: 'UNCONFIRMED' | 'CONFIRMED';
  enabled: boolean;
  createdAt: number;
  lastModifiedAt: number;
  confirmation?: PendingConfirmation;
  mfa: { smsEnabled: boolean; softwareTokenEnabled: boolean; preferred?: 'SMS_MFA' | 'SOFTWARE_TOKEN_MFA' };
  /** End of the automatic sign-in window opened by SignUp (see `autoSignInWindowFrom`). */
  autoSignInUntil?: number;
  /** Consecutive wrong sign-in codes; reset by a successful sign-in. */
  failedSignIns: number;
  lockedUntil: number;
  /** Tokens issued before this instant are revoked (GlobalSignOut). */
  signedOutBefore: number;
  /**
   * Whether the user signed up with a password, which makes PASSWORD and PASSWORD_SRP available
   * challenges for USER_AUTH. The password itself is not kept: password sign-in is not emulated.
   * Absent means no password.
   */
  hasPassword?: boolean;
  /** Registered passkeys, oldest first. */
  passkeys?: StoredPasskey[];
  /** Counter for `StoredPasskey.seq`. */
  passkeySeq?: number;
  pendingRegistration?: PendingRegistration;
}

export interface UserPool {
  id: string;
  name: string;
  arn: string;
  region: string;
  featurePlan: FeaturePlan;
  mfaConfiguration: MfaConfiguration;
  /** Set by SetUserPoolMfaConfig; absent until then. */
  webAuthn?: WebAuthnConfiguration;
  allowedFirstAuthFactors: FirstAuthFactor[];
  usernameCaseSensitive: boolean;
  usernameAttributes: Array<'email' | 'phone_number'>;
  autoVerifiedAttributes: Array<'email' | 'phone_number'>;
  emailSendingAccount: 'COGNITO_DEFAULT' | 'DEVELOPER';
  /** Emails the pool may send per day (the default Cognito sender's cap); undefined: no cap. */
  dailyEmailQuota?: number;
  emailsSent: { day: number; count: number };
  behaviour: EmulatorBehaviour;
  createdAt: number;
  lastModifiedAt: number;
  /** Keyed by normalised username: see `userKey`. */
  users: Map<string, PoolUser>;
  /**
   * For pools with `usernameAttributes`: `email:<address>` / `phone_number:<number>` to the key of the
   * user in `users`, so sign-in by email or phone is a map lookup. Maintained by `indexUser` and
   * created on first use, so a pool built anywhere gets one; entries are checked against `users` when
   * read, so deleting a user from `users` alone leaves nothing wrong behind.
   */
  aliases?: Map<string, string>;
  clients: Map<string, AppClient>;
}

/** Why a Session exists, which decides what it may complete. */
export type AuthSession =
  | {
      /** From SignUp (ALLOW_USER_AUTH clients): may be passed to ConfirmSignUp, nothing else. */
      kind: 'SIGN_UP';
      id: string;
      userPoolId: string;
      clientId: string;
      username: string;
      expiresAt: number;
    }
  | {
      /** From ConfirmSignUp: completes InitiateAuth USER_AUTH once, without a code (automatic sign-in). */
      kind: 'CONFIRMED';
      id: string;
      userPoolId: string;
      clientId: string;
      username: string;
      expiresAt: number;
    }
  | {
      /** An issued challenge awaiting RespondToAuthChallenge. `fake`: an unknown user under ENABLED. */
      kind: 'CHALLENGE';
      id: string;
      userPoolId: string;
      clientId: string;
      username: string;
      challenge: OtpChallenge | 'SELECT_CHALLENGE' | 'WEB_AUTHN';
      availableChallenges: string[];
      code?: string;
      /** WEB_AUTHN: the base64url challenge of CREDENTIAL_REQUEST_OPTIONS, and the RP id it was for. */
      webAuthn?: { challenge: string; relyingPartyId: string };
      wrongCodes: number;
      fake: boolean;
      expiresAt: number;
    };

export interface DevMessage {
  to: string;
  medium: 'EMAIL' | 'SMS';
  kind: 'SIGN_UP' | 'SIGN_IN';
  code: string;
  sentAt: string;
}

export interface Fault {
  /** Added before the operation runs, in milliseconds. */
  latencyMs: number;
  /** A Cognito exception name to answer with instead of running the operation. */
  error?: string;
  message?: string;
  /** Calls left that this fault applies to. */
  remaining: number;
}

/** Everything the emulator knows. One instance per emulator; nothing is global. */
export class EmulatorState {
  readonly pools = new Map<string, UserPool>();
  /** Client id to pool id, because the unsigned operations name only the client. */
  readonly clientIndex = new Map<string, string>();
  readonly sessions = new Map<string, AuthSession>();
  /** Newest last; the dev endpoint reverses it. */
  readonly messages: DevMessage[] = [];
  readonly faults = new Map<string, Fault[]>();
  /** Calls received per operation, for tests that count what reached "Cognito". */
  readonly calls = new Map<string, number>();
  readonly quotas: Quotas;

  constructor(
    readonly clock: Clock,
    readonly region: string,
    /** Pool settings for the [I] behaviours, applied to pools created from now on. */
    readonly behaviour: Partial<EmulatorBehaviour> = {},
    /** The default Cognito sender's daily email cap for new pools; undefined: no cap. */
    readonly defaultSenderDailyEmailQuota?: number,
    quotas: Partial<Record<QuotaCategory, number>> = {},
  ) {
    this.quotas = new Quotas(clock, quotas);
  }

  now(): number {
    return this.clock.now();
  }

  newSessionId(): string {
    // Cognito's Sessions are encrypted blobs of about a kilobyte beginning "AYAB"; ours have the same
    // size so that what is measured against the emulator holds against Cognito.
    let id: string;
    do {
      id = `AYAB${randomBytes(720).toString('base64')}`;
    } while (this.sessions.has(id));
    return id;
  }

  newSub(): string {
    return randomUUID();
  }

  /** Drops expired Sessions; called on each request so memory stays bounded without a timer. */
  sweep(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) {
      if (session.expiresAt <= now) this.sessions.delete(id);
    }
  }
}

/** The lookup key of a username in a pool: lower-cased unless the pool is case-sensitive. */
export function userKey(pool: UserPool, username: string): string {
  return pool.usernameCaseSensitive ? username : username.toLowerCase();
}

export function randomDigits(length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += String(randomInt(10));
  return out;
}
