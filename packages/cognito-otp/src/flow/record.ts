import type { OtpChallengeName } from '../cognito/api.js';
import type { AuthStep, Challenge, DeliveryMedium, JsonObject, OtpChannel } from '../types.js';

/**
 * What a handle stands for, sealed (AES-GCM under a key derived from the handle, the client profile as
 * additional data) before it reaches the store. It holds the Cognito session and the address, so it
 * must never be stored, logged or returned in clear.
 */
export interface HandleRecord {
  v: 1;
  kind: 'SIGN_UP' | 'SIGN_IN';
  /** The name the flow's Cognito calls use: the normalised email (sign-up, email sign-in) or phone number. */
  username: string;
  /** USERNAME for RespondToAuthChallenge when Cognito named one in ChallengeParameters (else `username`). */
  challengeUsername?: string;
  /** Which input field named the user (`email` | `phoneNumber`): the identifier kind for limits and masks. */
  inputField: 'email' | 'phoneNumber';
  /** The channel asked for; a resend asks for it again. */
  channel: OtpChannel;
  /** Cognito's session: SignUp's (for ConfirmSignUp) or the pending OTP challenge's. */
  session?: string;
  /** Epoch ms after which Cognito no longer accepts `session`. */
  sessionExpiresAt?: number;
  /** The challenge Cognito issued (sign-in): an OTP, or WEB_AUTHN for a passkey sign-in. */
  challenge?: OtpChallengeName | 'WEB_AUTHN';
  /** A passkey sign-in (real or made up): takes verifyPasskey, never a code or a resend. */
  passkey?: true;
  /** Passkey sign-in: the relying-party id of the options handed out (the assertion must name it). */
  rpId?: string;
  /** Where the code went, as the client is shown it. */
  medium: DeliveryMedium;
  destination: string;
  /** Keyed hash of the address: the per-destination limits' key. */
  destinationKey: string;
  /**
   * The account the address was an alias of when the handle was made (keyed hash of its `sub`, see
   * flow/account-alias.ts): the per-account limits' key. Absent for an address not yet seen signing in.
   */
  accountKey?: string;
  /** Codes sent under this handle (1 + resends). */
  sends: number;
  createdAt: number;
  sentAt: number;
  expiresAt: number;
  resendAvailableAt: number;
  /** A made-up challenge (unknown address, unavailable channel): accepts no code, sends nothing. */
  fake: boolean;
  /** BCP-47 tag from signUp, passed on as ClientMetadata. */
  locale?: string;
  /**
   * Sign-up only: ConfirmSignUp succeeded but the step did not reach DONE (the sign-in after it failed
   * upstream or was rate limited). The next confirmSignUp skips ConfirmSignUp (Cognito would answer
   * "already confirmed") and goes on with the sign-in.
   */
  confirmed?: boolean;
  /** ConfirmSignUp's Session (automatic sign-in) while `confirmed`, and when it expires. */
  confirmSession?: string;
  confirmSessionExpiresAt?: number;
}

const str = (v: unknown): v is string => typeof v === 'string';
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const opt = <T>(v: unknown, check: (x: unknown) => x is T) => v === undefined || check(v);

/** The record if `value` (an opened seal) has the shape written by this version, else undefined. */
export function parseRecord(value: unknown): HandleRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const ok =
    r.v === 1 &&
    (r.kind === 'SIGN_UP' || r.kind === 'SIGN_IN') &&
    str(r.username) &&
    opt(r.challengeUsername, str) &&
    (r.inputField === 'email' || r.inputField === 'phoneNumber') &&
    (r.channel === 'EMAIL' || r.channel === 'SMS') &&
    opt(r.session, str) &&
    opt(r.sessionExpiresAt, num) &&
    (r.challenge === undefined ||
      r.challenge === 'EMAIL_OTP' ||
      r.challenge === 'SMS_OTP' ||
      r.challenge === 'WEB_AUTHN') &&
    (r.passkey === undefined || r.passkey === true) &&
    opt(r.rpId, str) &&
    (r.medium === 'EMAIL' || r.medium === 'SMS') &&
    str(r.destination) &&
    str(r.destinationKey) &&
    opt(r.accountKey, str) &&
    num(r.sends) &&
    num(r.createdAt) &&
    num(r.sentAt) &&
    num(r.expiresAt) &&
    num(r.resendAvailableAt) &&
    typeof r.fake === 'boolean' &&
    opt(r.locale, str) &&
    opt(r.confirmed, (x): x is boolean => typeof x === 'boolean') &&
    opt(r.confirmSession, str) &&
    opt(r.confirmSessionExpiresAt, num);
  return ok ? (r as unknown as HandleRecord) : undefined;
}

/** Sign-in codes are 8 digits, sign-up confirmation codes 6 (Cognito's, not configurable). */
export const SIGN_IN_CODE_LENGTH = 8;
export const SIGN_UP_CODE_LENGTH = 6;

/** The step a client is shown for a pending handle. */
export function challengeStep(handle: string, record: HandleRecord): AuthStep {
  const challenge: Challenge = {
    handle,
    delivery: { medium: record.medium, destination: record.destination },
    codeLength: record.kind === 'SIGN_UP' ? SIGN_UP_CODE_LENGTH : SIGN_IN_CODE_LENGTH,
    expiresAt: new Date(record.expiresAt),
    resendAvailableAt: new Date(record.resendAvailableAt),
  };
  if (record.kind === 'SIGN_UP') return { nextStep: 'CONFIRM_SIGN_UP', challenge };
  return record.medium === 'EMAIL'
    ? { nextStep: 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE', challenge }
    : { nextStep: 'CONFIRM_SIGN_IN_WITH_SMS_CODE', challenge };
}

/** The step for a new passkey sign-in handle: no delivery, the request options to pass to the browser. */
export function passkeyStep(handle: string, record: HandleRecord, options: JsonObject): AuthStep {
  return {
    nextStep: 'CONFIRM_SIGN_IN_WITH_PASSKEY',
    challenge: {
      handle,
      delivery: null,
      credentialRequestOptions: options,
      codeLength: SIGN_IN_CODE_LENGTH,
      expiresAt: new Date(record.expiresAt),
      resendAvailableAt: new Date(record.resendAvailableAt),
    },
  };
}
