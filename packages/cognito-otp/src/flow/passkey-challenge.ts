import type { InitiateAuthCommandOutput } from '@aws-sdk/client-cognito-identity-provider';
import { isSignal } from '../cognito/translate.js';
import type { Identifier } from '../identifiers.js';
import { otpError } from '../messages.js';
import type { JsonObject } from '../types.js';
import type { HandleRecord } from './record.js';
import type { Call } from './runtime.js';

/** What a passkey USER_AUTH start produced: a real WEB_AUTHN challenge, or a made-up one. */
export interface IssuedPasskeyChallenge {
  /** What the browser gets: the same keys, real or made up. */
  options: JsonObject;
  rpId: string;
  real?: { session: string; challengeUsername?: string };
}

/**
 * The options a client is shown, built from a fixed set of keys so a real and a made-up challenge have
 * the same shape. `allowCredentials` is never passed on: passkeys are discoverable (the browser finds
 * the user's own), and a list of credential ids would tell anyone who asks that an address has one.
 */
function requestOptions(call: Call, rpId: string, challenge: string, userVerification: string): JsonObject {
  return {
    challenge,
    timeout: call.profile.settings.authSessionValiditySeconds * 1000,
    rpId,
    userVerification,
  };
}

/** The relying-party id for made-up options before any real challenge was seen: the first origin's host. */
function fallbackRpId(call: Call): string {
  const origin = call.profile.settings.webAuthnOrigins[0];
  return origin === undefined ? 'localhost' : new URL(origin).hostname;
}

function parseOptions(raw: string | undefined): JsonObject | undefined {
  if (raw === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as JsonObject)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts a Cognito USER_AUTH sign-in with a passkey: InitiateAuth PREFERRED_CHALLENGE=WEB_AUTHN, plus
 * SELECT_CHALLENGE ANSWER=WEB_AUTHN when Cognito offers it that way.
 *
 * Enumeration safety: an unknown, unconfirmed or disabled account, or one without a passkey (Cognito
 * then offers only code factors), gets made-up options of the same form (a random 16-byte challenge,
 * the relying-party id and user verification of the pool's real challenges, the same timeout) after
 * as long as a real start takes on average. Nothing is sent in either case.
 * A user Cognito has locked out gets made-up options too, as for codes.
 * @throws OtpError per the translation table (UPSTREAM_UNAVAILABLE, INTERNAL_SERVER_ERROR for a
 *   misconfigured pool)
 */
export async function issuePasskeyChallenge(
  call: Call,
  identifier: Identifier,
): Promise<IssuedPasskeyChallenge> {
  const { api, passkeyStartLatency, webAuthn } = call.profile;
  const inputField = identifier.kind === 'email' ? 'email' : 'phoneNumber';
  const started = performance.now();
  const made = async (): Promise<IssuedPasskeyChallenge> => {
    await passkeyStartLatency.padSince(started);
    call.engine.logger?.({
      level: 'info',
      event: 'signin.unknown_user',
      profile: call.profile.settings.name,
    });
    const rpId = webAuthn.rpId ?? fallbackRpId(call);
    const challenge = call.engine.random(16).toString('base64url');
    return { options: requestOptions(call, rpId, challenge, webAuthn.userVerification ?? 'preferred'), rpId };
  };

  let output: InitiateAuthCommandOutput;
  try {
    output = await api.startUserAuth(call.cognito, {
      username: identifier.value,
      preferred: 'WEB_AUTHN',
      inputField,
    });
    if (output.ChallengeName === 'SELECT_CHALLENGE') {
      if (output.Session === undefined || !(output.AvailableChallenges ?? []).includes('WEB_AUTHN'))
        return await made();
      output = await api.selectChallenge(call.cognito, {
        username: identifier.value,
        session: output.Session,
        answer: 'WEB_AUTHN',
      });
    }
  } catch (error) {
    if (
      isSignal(error, 'UNKNOWN_USER') ||
      isSignal(error, 'USER_NOT_CONFIRMED') ||
      isSignal(error, 'LOCKED_OUT')
    )
      return await made();
    throw error;
  }
  if (output.AuthenticationResult !== undefined) {
    throw otpError('INTERNAL_SERVER_ERROR', { cause: new Error('USER_AUTH signed in without a challenge') });
  }
  const real = parseOptions(output.ChallengeParameters?.CREDENTIAL_REQUEST_OPTIONS);
  const challenge = real?.challenge;
  const rpId = real?.rpId;
  if (output.ChallengeName !== 'WEB_AUTHN' || output.Session === undefined) return await made();
  if (typeof challenge !== 'string' || typeof rpId !== 'string') {
    throw otpError('INTERNAL_SERVER_ERROR', { cause: new Error('WEB_AUTHN without usable request options') });
  }
  passkeyStartLatency.observe(performance.now() - started);
  const userVerification = typeof real?.userVerification === 'string' ? real.userVerification : 'preferred';
  webAuthn.rpId = rpId;
  webAuthn.userVerification = userVerification;
  const challengeUsername = output.ChallengeParameters?.USERNAME;
  return {
    options: requestOptions(call, rpId, challenge, userVerification),
    rpId,
    real: {
      session: output.Session,
      ...(challengeUsername !== undefined && challengeUsername !== identifier.value
        ? { challengeUsername }
        : {}),
    },
  };
}

/** A new passkey sign-in handle's record; it lives as long as the Cognito session and takes no resend. */
export function passkeyRecord(
  call: Call,
  identifier: Identifier,
  issued: IssuedPasskeyChallenge,
  destinationKey: string,
): HandleRecord {
  const now = call.engine.clock.now();
  const expiresAt = now + call.profile.settings.authSessionValiditySeconds * 1000;
  const medium = identifier.kind === 'email' ? 'EMAIL' : 'SMS';
  const record: HandleRecord = {
    v: 1,
    kind: 'SIGN_IN',
    username: identifier.value,
    inputField: identifier.kind === 'email' ? 'email' : 'phoneNumber',
    channel: medium,
    medium,
    destination: '',
    destinationKey,
    sends: 0,
    createdAt: now,
    sentAt: now,
    expiresAt,
    resendAvailableAt: expiresAt,
    fake: issued.real === undefined,
    passkey: true,
    rpId: issued.rpId,
  };
  if (issued.real !== undefined) {
    record.session = issued.real.session;
    record.sessionExpiresAt = expiresAt;
    record.challenge = 'WEB_AUTHN';
    if (issued.real.challengeUsername !== undefined) record.challengeUsername = issued.real.challengeUsername;
  }
  return record;
}
