import type { OtpChallengeName } from '../cognito/api.js';
import type { Identifier } from '../identifiers.js';
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

/**
 * The bytes a record is sealed as. Pending handles are most of what Redis holds, so the layout is
 * compact: a pending email sign-in with a Cognito-sized Session (964 characters) encodes to about 980
 * bytes, where the plain JSON of the same record took about 1,380:
 *
 *   0x02 | JSON length (uint16 BE) | JSON | Session bytes | ConfirmSignUp Session bytes
 *
 * The JSON has one- or two-letter names (RECORD_FIELDS), times after `createdAt` as ms after it, and no
 * `v`. A Session that is canonical base64 (Cognito's are) is stored as its bytes after the JSON, its
 * length in the JSON (`sb` / `cb`); any other string stays in the JSON (`ss` / `cs`).
 *
 * `decodeRecord` also reads the layout before it (the record as plain JSON, first byte `{`), so handles
 * issued by a replica still on the old version keep working during a rolling deploy.
 */
const COMPACT = 0x02;
const PLAIN_JSON = 0x7b; // '{'

/** Record field -> its name in the compact JSON. Sessions are not here: they have their own encoding. */
const RECORD_FIELDS = {
  kind: 'k',
  username: 'n',
  challengeUsername: 'cn',
  inputField: 'f',
  channel: 'ch',
  sessionExpiresAt: 'se',
  challenge: 'c',
  passkey: 'pk',
  rpId: 'rp',
  medium: 'm',
  destination: 'd',
  destinationKey: 'dk',
  accountKey: 'ak',
  sends: 's',
  createdAt: 't',
  sentAt: 'st',
  expiresAt: 'e',
  resendAvailableAt: 'r',
  fake: 'x',
  locale: 'l',
  confirmed: 'ok',
  confirmSessionExpiresAt: 'ce',
} as const satisfies Record<Exclude<keyof HandleRecord, 'v' | 'session' | 'confirmSession'>, string>;

/** Times written as ms after `createdAt` (shorter than epoch ms). */
const RELATIVE_TIMES = new Set<string>([
  'sessionExpiresAt',
  'sentAt',
  'expiresAt',
  'resendAvailableAt',
  'confirmSessionExpiresAt',
]);
const FIELD_ENTRIES = Object.entries(RECORD_FIELDS) as [keyof typeof RECORD_FIELDS, string][];

/** The bytes of `value` when it is base64 written exactly as Node writes it back, else undefined. */
function canonicalBase64(value: string): Buffer | undefined {
  const bytes = Buffer.from(value, 'base64');
  return bytes.toString('base64') === value ? bytes : undefined;
}

/** `record` in the compact layout, ready for sealBytes. */
export function encodeRecord(record: HandleRecord): Buffer {
  const json: Record<string, unknown> = {};
  for (const [field, name] of FIELD_ENTRIES) {
    const value = record[field];
    if (value === undefined) continue;
    json[name] = RELATIVE_TIMES.has(field) ? (value as number) - record.createdAt : value;
  }
  const tail: Buffer[] = [];
  for (const [session, bytesName, textName] of [
    [record.session, 'sb', 'ss'],
    [record.confirmSession, 'cb', 'cs'],
  ] as const) {
    if (session === undefined) continue;
    const bytes = canonicalBase64(session);
    if (bytes === undefined) json[textName] = session;
    else {
      json[bytesName] = bytes.length;
      tail.push(bytes);
    }
  }
  const text = Buffer.from(JSON.stringify(json), 'utf8');
  if (text.length > 0xffff) throw new RangeError('handle record too large');
  const head = Buffer.allocUnsafe(3);
  head[0] = COMPACT;
  head.writeUInt16BE(text.length, 1);
  return Buffer.concat([head, text, ...tail]);
}

/** The record in `plain` (either layout), or undefined when it is not a record this version reads. */
export function decodeRecord(plain: Buffer | undefined): HandleRecord | undefined {
  if (plain === undefined || plain.length === 0) return undefined;
  try {
    if (plain[0] === PLAIN_JSON) return parseRecord(JSON.parse(plain.toString('utf8')));
    if (plain[0] !== COMPACT || plain.length < 3) return undefined;
    const end = 3 + plain.readUInt16BE(1);
    if (end > plain.length) return undefined;
    const json = JSON.parse(plain.toString('utf8', 3, end)) as Record<string, unknown>;
    if (typeof json !== 'object' || json === null) return undefined;
    const record: Record<string, unknown> = { v: 1 };
    const createdAt = json.t;
    for (const [field, name] of FIELD_ENTRIES) {
      const value = json[name];
      if (value === undefined) continue;
      record[field] =
        RELATIVE_TIMES.has(field) && typeof value === 'number' && typeof createdAt === 'number'
          ? createdAt + value
          : value;
    }
    let at = end;
    for (const [field, bytesName, textName] of [
      ['session', 'sb', 'ss'],
      ['confirmSession', 'cb', 'cs'],
    ] as const) {
      const length = json[bytesName];
      if (typeof length === 'number') {
        if (!Number.isSafeInteger(length) || length < 0 || at + length > plain.length) return undefined;
        record[field] = plain.toString('base64', at, at + length);
        at += length;
      } else if (json[textName] !== undefined) record[field] = json[textName];
    }
    if (at !== plain.length) return undefined;
    return parseRecord(record);
  } catch {
    return undefined;
  }
}

/** The address that names the handle's user, with its key: what the handle was made for. */
export function recordIdentifier(record: HandleRecord): { identifier: Identifier; key: string } {
  return {
    identifier:
      record.inputField === 'email'
        ? { kind: 'email', value: record.username }
        : { kind: 'phone', value: record.username },
    key: record.destinationKey,
  };
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
