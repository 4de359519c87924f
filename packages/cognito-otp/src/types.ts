/** Public input, output and context types of the engine (docs/API.md section 1, without GraphQL). */

export type DeliveryMedium = 'EMAIL' | 'SMS';
export type OtpChannel = 'EMAIL' | 'SMS';

/** What the caller must do next. */
export type AuthNextStep =
  | 'CONFIRM_SIGN_UP'
  | 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE'
  | 'CONFIRM_SIGN_IN_WITH_SMS_CODE'
  /** Call navigator.credentials.get with `challenge.credentialRequestOptions`, then verifyPasskey. */
  | 'CONFIRM_SIGN_IN_WITH_PASSKEY'
  | 'DONE';

/** How a sign-in proves the user: a code by email or SMS, or a passkey (WebAuthn). */
export type SignInMethod = 'EMAIL_CODE' | 'SMS_CODE' | 'PASSKEY';

/** A JSON object as WebAuthn's JSON forms carry them (options, responses). */
export type JsonObject = Record<string, unknown>;

export interface CodeDelivery {
  medium: DeliveryMedium;
  /** Masked, e.g. "y***@e***" or "+*******5678". */
  destination: string;
}

export interface Challenge {
  /** Opaque; the only thing the client keeps between steps. */
  handle: string;
  /** Where the code went; null for a passkey sign-in (nothing is sent). */
  delivery: CodeDelivery | null;
  /**
   * PublicKeyCredentialRequestOptionsJSON for CONFIRM_SIGN_IN_WITH_PASSKEY (no `allowCredentials`:
   * passkeys are discoverable, and a list of ids would tell who has one); absent otherwise.
   */
  credentialRequestOptions?: JsonObject;
  /** 6 for CONFIRM_SIGN_UP, 8 for sign-in codes (and for passkey challenges, which take none). */
  codeLength: number;
  /** After this the handle is gone. */
  expiresAt: Date;
  /** resendOtp before this is refused with RATE_LIMITED. */
  resendAvailableAt: Date;
}

export interface AuthTokens {
  accessToken: string;
  idToken: string;
  /** Absent when Cognito did not issue a new one (refresh without rotation). */
  refreshToken?: string;
  /** Seconds. */
  expiresIn: number;
  tokenType: 'Bearer';
}

/** Every flow answers with the next step; each member says what the caller does next. */
export type AuthStep =
  | { nextStep: 'CONFIRM_SIGN_UP'; challenge: Challenge }
  | { nextStep: 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE'; challenge: Challenge }
  | { nextStep: 'CONFIRM_SIGN_IN_WITH_SMS_CODE'; challenge: Challenge }
  | { nextStep: 'CONFIRM_SIGN_IN_WITH_PASSKEY'; challenge: Challenge }
  | { nextStep: 'DONE'; tokens: AuthTokens };

/** Who is asking: every engine call takes one. */
export interface RequestContext {
  /** The client profile (one per retail frontend); handles are bound to it. */
  clientProfile: string;
  /** The end user's IP address (not a proxy's): keys the per-IP limits and goes to Cognito as UserContextData. */
  clientIp: string;
  userAgent?: string;
}

export interface SignUpInput {
  email: string;
  /** E.164. */
  phoneNumber?: string;
  /** BCP-47; passed to Cognito as ClientMetadata for message templates. */
  locale?: string;
}

export interface ConfirmSignUpInput {
  handle: string;
  code: string;
}

/** Exactly one of `email` and `phoneNumber`. */
export interface StartSignInInput {
  email?: string;
  phoneNumber?: string;
  /** @default 'EMAIL' */
  channel?: OtpChannel;
  /**
   * EMAIL_CODE and SMS_CODE are `channel` EMAIL and SMS (give one or the other, or both agreeing);
   * PASSKEY asks for a WebAuthn challenge instead of a code. @default the channel's code
   */
  method?: SignInMethod;
}

export interface VerifyPasskeyInput {
  handle: string;
  /** The AuthenticationResponseJSON from navigator.credentials.get. */
  credential: JsonObject;
}

export interface PasskeyTokenInput {
  /** The access token from `Authorization: Bearer`. */
  accessToken: string;
}

export interface CompletePasskeyRegistrationInput extends PasskeyTokenInput {
  /** The RegistrationResponseJSON from navigator.credentials.create. */
  credential: JsonObject;
}

export interface DeletePasskeyInput extends PasskeyTokenInput {
  /** The passkey's credential id (base64url). */
  id: string;
}

/** A passkey registered for the user. */
export interface Passkey {
  /** The credential id (base64url). */
  id: string;
  /** Cognito's friendly name for it. */
  name: string;
  createdAt: Date;
  /** `platform` or `cross-platform`; null when the authenticator did not say. */
  attachment: string | null;
}

export interface VerifyOtpInput {
  handle: string;
  code: string;
}

export interface ResendOtpInput {
  handle: string;
}

export interface RefreshTokensInput {
  refreshToken: string;
}

export interface GetUserInput {
  /** The access token from `Authorization: Bearer`. */
  accessToken: string;
}

/** The signed-in user as Cognito knows them now (GetUser), not as an older ID token said. */
export interface User {
  /** The user's stable id (Cognito `sub`). */
  sub: string;
  email: string | null;
  /** null when the pool does not track it for this user. */
  emailVerified: boolean | null;
  /** E.164. */
  phoneNumber: string | null;
}

export interface SignOutInput {
  refreshToken?: string;
  /** Needed with `global`: GlobalSignOut takes the access token. */
  accessToken?: string;
  /** Also sign the user out everywhere. @default false */
  global?: boolean;
}
