import { isIP } from 'node:net';
import type { CallContext, CognitoApi } from '../cognito/api.js';
import type { IdentifierKeys } from '../identifiers.js';
import type { Limits } from '../limits/limits.js';
import type { OtpLogger, ResolvedProfile } from '../options.js';
import type { OtpStore } from '../store/types.js';
import type { RequestContext } from '../types.js';
import type { LatencyAverage } from './latency.js';

/** A client profile with everything built for it once, at engine creation. */
export interface ProfileRuntime {
  /** The profile's validated options. */
  settings: ResolvedProfile;
  api: CognitoApi;
  limits: Limits;
  /** How long a real code-sending USER_AUTH start takes (InitiateAuth, plus SELECT_CHALLENGE when answered). */
  sendLatency: LatencyAverage;
  /** How long RespondToAuthChallenge with a code takes. */
  verifyLatency: LatencyAverage;
  /** How long a real passkey USER_AUTH start takes (InitiateAuth, plus SELECT_CHALLENGE when answered). */
  passkeyStartLatency: LatencyAverage;
  /** How long RespondToAuthChallenge with a passkey assertion takes. */
  passkeyVerifyLatency: LatencyAverage;
  /**
   * The relying-party id and user verification of the newest real passkey challenge: made-up request
   * options copy them, so they look like the pool's (see flow/passkey-challenge.ts).
   */
  webAuthn: { rpId?: string; userVerification?: string };
  /** Seconds until the destination may get another code: the shortest per-destination send window. */
  resendAfterSeconds: number;
}

/** Shared by every call of one engine. */
export interface EngineRuntime {
  store: OtpStore;
  clock: { now(): number };
  random: (n: number) => Buffer;
  keys: IdentifierKeys;
  cognitoTimeoutMs: number;
  logger?: OtpLogger;
}

/** One engine call: who asks, through which profile. */
export interface Call {
  /** What every call of this engine shares: store, clock, keys. */
  engine: EngineRuntime;
  /** The client profile the call came through. */
  profile: ProfileRuntime;
  ctx: RequestContext;
  /** The end user's IP (as given; the limits bucket it) and what Cognito is told. */
  ip: string;
  cognito: CallContext;
}

export function newCall(
  engine: EngineRuntime,
  profile: ProfileRuntime,
  ctx: RequestContext,
  locale?: string,
): Call {
  const ip = typeof ctx.clientIp === 'string' ? ctx.clientIp.trim() : '';
  const bare = ip.replace(/^\[|\]$/g, '');
  // Cognito's threat protection wants a real address; something else (a proxy's "unknown") is left out
  // rather than sent, while the limits still count it, in the shared bucket of unparseable addresses.
  const cognito: CallContext = { ip: isIP(bare) ? bare : '' };
  if (locale !== undefined) cognito.locale = locale;
  return { engine, profile, ctx, ip, cognito };
}

/** What a code sent on this call counts against: its destination, the caller's IP and the profile. */
export function sendKeys(
  call: Call,
  destinationKey: string,
): { destinationKey: string; ip: string; profile: string } {
  return { destinationKey, ip: call.ip, profile: call.profile.settings.name };
}
