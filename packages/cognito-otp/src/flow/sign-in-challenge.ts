import type { InitiateAuthCommandOutput } from '@aws-sdk/client-cognito-identity-provider';
import type { OtpChallengeName } from '../cognito/api.js';
import { isSignal } from '../cognito/translate.js';
import { type Identifier, maskIdentifier } from '../identifiers.js';
import { otpError } from '../messages.js';
import type { DeliveryMedium, OtpChannel } from '../types.js';
import type { HandleRecord } from './record.js';
import type { Call } from './runtime.js';

/** What a code-sending USER_AUTH start produced: a real pending challenge, or a made-up one. */
export type IssuedChallenge =
  | {
      fake: false;
      session: string;
      challenge: OtpChallengeName;
      medium: DeliveryMedium;
      destination: string;
      /** Cognito's USERNAME for the challenge answer, when it named one. */
      challengeUsername?: string;
    }
  | {
      fake: true;
      medium: DeliveryMedium;
      destination: string;
      /** Cognito said the account exists but was never confirmed: nothing was sent. */
      unconfirmed?: true;
    };

const CHALLENGE_OF: Record<OtpChannel, OtpChallengeName> = { EMAIL: 'EMAIL_OTP', SMS: 'SMS_OTP' };
const MEDIUM_OF: Record<OtpChallengeName, DeliveryMedium> = { EMAIL_OTP: 'EMAIL', SMS_OTP: 'SMS' };

const isOtpChallenge = (name: unknown): name is OtpChallengeName =>
  name === 'EMAIL_OTP' || name === 'SMS_OTP';

/**
 * Starts a Cognito USER_AUTH sign-in that sends a code on `channel`: InitiateAuth with
 * PREFERRED_CHALLENGE, plus one RespondToAuthChallenge ANSWER when Cognito answers SELECT_CHALLENGE
 * (it does when the preferred factor is not one it issues at once).
 *
 * Enumeration safety: when nobody can sign in with the name (UserNotFoundException under
 * PreventUserExistenceErrors LEGACY, UserNotConfirmedException, a disabled user) or the account cannot
 * receive a code on this channel (SELECT_CHALLENGE without it, a non-OTP challenge), the answer is a
 * made-up challenge with a plausible masked destination, after as long as a real start takes on
 * average. Nothing is sent then and the handle will accept no code. Under ENABLED Cognito fakes the
 * unknown user itself and the engine cannot tell (nor needs to).
 *
 * If Cognito issues an OTP on the other channel (the account has only that factor), a code has been
 * sent there: the answer says so truthfully rather than pretend.
 *
 * The caller has already spent a send from the limits.
 * @throws OtpError per the translation table (UPSTREAM_UNAVAILABLE, DELIVERY_FAILED, TOO_MANY_ATTEMPTS
 *   for a Cognito lockout, INTERNAL_SERVER_ERROR for a misconfigured pool)
 */
export async function issueSignInChallenge(
  call: Call,
  identifier: Identifier,
  channel: OtpChannel,
): Promise<IssuedChallenge> {
  const { api, sendLatency } = call.profile;
  const wanted = CHALLENGE_OF[channel];
  const inputField = identifier.kind === 'email' ? 'email' : 'phoneNumber';
  const started = performance.now();
  const made = async (): Promise<IssuedChallenge & { fake: true }> => {
    await sendLatency.padSince(started);
    call.engine.logger?.({
      level: 'info',
      event: 'signin.unknown_user',
      profile: call.profile.settings.name,
    });
    return { fake: true, medium: channel, destination: call.engine.keys.plausibleMask(identifier, channel) };
  };

  let output: InitiateAuthCommandOutput;
  try {
    output = await api.startUserAuth(call.cognito, {
      username: identifier.value,
      preferred: wanted,
      inputField,
    });
    if (output.ChallengeName === 'SELECT_CHALLENGE') {
      if (output.Session === undefined || !(output.AvailableChallenges ?? []).includes(wanted))
        return await made();
      output = await api.selectChallenge(call.cognito, {
        username: identifier.value,
        session: output.Session,
        answer: wanted,
      });
    }
  } catch (error) {
    if (isSignal(error, 'UNKNOWN_USER') || isSignal(error, 'LOCKED_OUT')) return await made();
    if (isSignal(error, 'USER_NOT_CONFIRMED')) return { ...(await made()), unconfirmed: true };
    throw error;
  }

  const challenge = output.ChallengeName;
  if (output.AuthenticationResult !== undefined) {
    // Tokens without a code would mean the pool lets this user in on a name alone: refuse loudly.
    throw otpError('INTERNAL_SERVER_ERROR', { cause: new Error('USER_AUTH signed in without a challenge') });
  }
  if (!isOtpChallenge(challenge) || output.Session === undefined) return await made();
  sendLatency.observe(performance.now() - started);

  const medium = MEDIUM_OF[challenge];
  const sameChannel = (medium === 'EMAIL') === (identifier.kind === 'email');
  // The other channel's address is never shown, not even masked (see IdentifierKeys.plausibleMask).
  const destination = sameChannel
    ? maskIdentifier(identifier)
    : call.engine.keys.plausibleMask(identifier, medium);
  const challengeUsername = output.ChallengeParameters?.USERNAME;
  return {
    fake: false,
    session: output.Session,
    challenge,
    medium,
    destination,
    ...(challengeUsername !== undefined && challengeUsername !== identifier.value
      ? { challengeUsername }
      : {}),
  };
}

/**
 * A new sign-in handle's record for an issued (or made-up) challenge. It lives as long as the Cognito
 * session (the profile's authSessionValiditySeconds); a resend renews both.
 */
export function signInRecord(
  call: Call,
  identifier: Identifier,
  channel: OtpChannel,
  issued: IssuedChallenge,
  destinationKey: string,
): HandleRecord {
  const now = call.engine.clock.now();
  const record: HandleRecord = {
    v: 1,
    kind: 'SIGN_IN',
    username: identifier.value,
    inputField: identifier.kind === 'email' ? 'email' : 'phoneNumber',
    channel,
    medium: issued.medium,
    destination: issued.destination,
    destinationKey,
    sends: 1,
    createdAt: now,
    sentAt: now,
    expiresAt: now + call.profile.settings.authSessionValiditySeconds * 1000,
    resendAvailableAt: now + call.profile.resendAfterSeconds * 1000,
    fake: issued.fake,
  };
  return applyChallenge(call, record, issued);
}

/** `record` with the pending challenge of `issued` in place of the old one (a resend). */
export function applyChallenge(call: Call, record: HandleRecord, issued: IssuedChallenge): HandleRecord {
  // The old challenge's fields are left out by destructuring rather than deleted afterwards: `delete`
  // turns the object into a slow dictionary, which every later read and the record's encoding pay for.
  const {
    session: _session,
    sessionExpiresAt: _sessionExpiresAt,
    challenge: _challenge,
    challengeUsername: _challengeUsername,
    ...rest
  } = record;
  const next: HandleRecord = {
    ...rest,
    medium: issued.medium,
    destination: issued.destination,
    fake: issued.fake,
  };
  if (issued.fake) return next;
  next.session = issued.session;
  next.sessionExpiresAt = call.engine.clock.now() + call.profile.settings.authSessionValiditySeconds * 1000;
  next.challenge = issued.challenge;
  if (issued.challengeUsername !== undefined) next.challengeUsername = issued.challengeUsername;
  return next;
}
