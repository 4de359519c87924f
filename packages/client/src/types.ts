import type { AuthenticationResponseJSON, CredentialRequestOptionsJSON } from './webauthn.js';

/**
 * The contract's types (docs/API.md section 1) as a frontend holds them. Typed by hand; `documents.test.ts`
 * checks the documents that produce them against the gateway's committed `schema.graphql`.
 */

export type DeliveryMedium = 'EMAIL' | 'SMS';
export type OtpChannel = 'EMAIL' | 'SMS';

/** The steps, as a list too (the schema test compares it with the `AuthNextStep` enum). */
export const AUTH_NEXT_STEPS = [
  'CONFIRM_SIGN_UP',
  'CONFIRM_SIGN_IN_WITH_EMAIL_CODE',
  'CONFIRM_SIGN_IN_WITH_SMS_CODE',
  'CONFIRM_SIGN_IN_WITH_PASSKEY',
  'DONE',
] as const;

/** What the user must do next. Names follow Amplify's vocabulary. */
export type AuthNextStep = (typeof AUTH_NEXT_STEPS)[number];

/** The steps that wait for a code. */
export type CodeStep = Exclude<AuthNextStep, 'DONE' | 'CONFIRM_SIGN_IN_WITH_PASSKEY'>;

/** How `startSignIn` signs the user in. @default the channel's code */
export type SignInMethod = 'EMAIL_CODE' | 'SMS_CODE' | 'PASSKEY';

export interface CodeDelivery {
  medium: DeliveryMedium;
  /** Masked, e.g. "y***@e***" or "+*******5678": safe to show. */
  destination: string;
}

export interface Challenge {
  /** Opaque; the only thing to keep between steps. Never log it. */
  handle: string;
  delivery: CodeDelivery;
  /** 6 for CONFIRM_SIGN_UP, 8 for sign-in codes: render this many boxes. */
  codeLength: number;
  /** After this the handle is gone: start again. */
  expiresAt: Date;
  /** `resendOtp` before this answers RATE_LIMITED: count down to it. */
  resendAvailableAt: Date;
}

export interface AuthTokens {
  accessToken: string;
  idToken: string;
  /** null when the client profile keeps it in an httpOnly cookie (or a refresh did not rotate it). */
  refreshToken: string | null;
  /** Lifetime of the access and ID tokens, seconds. */
  expiresIn: number;
  tokenType: string;
}

/** The challenge of CONFIRM_SIGN_IN_WITH_PASSKEY: no code is sent, the browser signs instead. */
export interface PasskeyChallenge {
  /** Opaque; pass it to `verifyPasskey`. Never log it. */
  handle: string;
  delivery: null;
  /** Not meaningful for a passkey. */
  codeLength: number;
  /** After this the handle is gone: start again. */
  expiresAt: Date;
  resendAvailableAt: Date;
  /** For `getPasskey` (navigator.credentials.get). */
  credentialRequestOptions: CredentialRequestOptionsJSON;
}

/** What `startSignIn({ method: 'PASSKEY' })` answers, for every address (no account leaks). */
export interface PasskeySignInStep {
  nextStep: 'CONFIRM_SIGN_IN_WITH_PASSKEY';
  challenge: PasskeyChallenge;
  tokens: null;
}

/** A registered passkey of the signed-in user. */
export interface Passkey {
  /** The credential id (base64url). */
  id: string;
  /** Friendly name, e.g. "Platform passkey". */
  name: string;
  createdAt: Date;
  /** `platform` or `cross-platform`; null when the authenticator did not say. */
  attachment: string | null;
}

/**
 * Every flow method answers with the next step. Narrow on `nextStep`: a code step always has a
 * `challenge`, `DONE` always has `tokens`.
 */
export type AuthStep =
  | { nextStep: CodeStep; challenge: Challenge; tokens: null }
  | { nextStep: 'DONE'; challenge: null; tokens: AuthTokens };

export interface User {
  sub: string;
  email: string | null;
  emailVerified: boolean | null;
  phoneNumber: string | null;
}

export interface SignUpInput {
  email: string;
  /** E.164, e.g. "+447700900123". */
  phoneNumber?: string;
  /** BCP-47, for the message templates, e.g. "de-DE". */
  locale?: string;
}

export interface ConfirmSignUpInput {
  handle: string;
  code: string;
}

/** Exactly one of `email` and `phoneNumber`. */
export type StartSignInInput =
  | { email: string; phoneNumber?: never; channel?: OtpChannel; method?: 'EMAIL_CODE' | 'SMS_CODE' }
  | { phoneNumber: string; email?: never; channel?: OtpChannel; method?: 'EMAIL_CODE' | 'SMS_CODE' };

/** Passkey sign-in: the identifier is still needed (Cognito has no usernameless sign-in). */
export type StartPasskeySignInInput =
  | { email: string; phoneNumber?: never; method: 'PASSKEY' }
  | { phoneNumber: string; email?: never; method: 'PASSKEY' };

export interface VerifyPasskeyInput {
  handle: string;
  /** From `getPasskey`. */
  credential: AuthenticationResponseJSON;
}

export interface VerifyOtpInput {
  handle: string;
  code: string;
}

export interface ResendOtpInput {
  handle: string;
}

export interface RefreshTokensInput {
  /** @default the token store's, else none (cookie profiles: the cookie's) */
  refreshToken?: string;
}

export interface SignOutInput {
  /** @default the token store's, else none (cookie profiles: the cookie's) */
  refreshToken?: string;
  /** Also sign out every other device (GlobalSignOut); needs the access token. @default false */
  global?: boolean;
  /** For `global`. @default the token store's */
  accessToken?: string;
}
