// Pieces shared by the passwordless operations (sign-up, confirmation, USER_AUTH sign-in): where codes
// go, which first factors a user has, issuing OTP challenges (real and, for unknown users, simulated),
// and the per-user lockout after wrong sign-in codes.
import { createHash, randomBytes } from 'node:crypto';
import { CognitoError, invalidParameter, notAuthorized } from '../errors.js';
import type { AppClient, AuthSession, OtpChallenge, PoolUser, UserPool } from '../state.js';
import { randomDigits } from '../state.js';
import type { AuthenticationMethod } from '../token-service.js';
import { requiredString, type StringRule } from '../validate.js';
import {
  deliver,
  looksLikeEmail,
  looksLikePhone,
  maskEmail,
  maskPhone,
  type OperationContext,
  sessionExpiry,
} from './context.js';
import { relyingPartyId, usablePasskeys, userVerificationOf, webAuthnEnabled } from './webauthn.js';

/** Sign-in codes are 8 digits and not configurable [R amplify-js#14428]. */
export const SIGN_IN_CODE_LENGTH = 8;
/** Sign-up confirmation codes are 6 digits [R]. */
export const CONFIRMATION_CODE_LENGTH = 6;

/** Validation rules of the members these operations share, as Cognito's API model states them. */
export const SECRET_HASH = { max: 128, pattern: /^[\w+=/]+$/ };
export const CODE = { max: 2048, pattern: /^\S+$/ };

export const isOtp = (challenge: string): challenge is OtpChallenge =>
  challenge === 'EMAIL_OTP' || challenge === 'SMS_OTP';

/**
 * One entry of AuthParameters (or ChallengeResponses): Cognito's "Missing required parameter" when
 * absent, the member rules otherwise, with the map's name in the message.
 */
export function parameter(
  map: Record<string, string>,
  mapName: string,
  name: string,
  rule: StringRule,
  required: boolean,
): string | undefined {
  const value = Object.hasOwn(map, name) ? map[name] : undefined;
  if (value === undefined) {
    if (required) throw invalidParameter(`Missing required parameter ${name}`);
    return undefined;
  }
  const field = `${mapName}.${name}`;
  return requiredString({ [field]: value }, field, rule);
}

/** Where a code goes. */
export interface Delivery {
  to: string;
  medium: 'EMAIL' | 'SMS';
  attribute: 'email' | 'phone_number';
}

export interface CodeDeliveryDetails {
  Destination: string;
  DeliveryMedium: 'EMAIL' | 'SMS';
  AttributeName: 'email' | 'phone_number';
}

export function deliveryDetails(delivery: Delivery): CodeDeliveryDetails {
  return {
    Destination: delivery.medium === 'EMAIL' ? maskEmail(delivery.to) : maskPhone(delivery.to),
    DeliveryMedium: delivery.medium,
    AttributeName: delivery.attribute,
  };
}

/**
 * Where a sign-up confirmation code goes. Cognito sends it to an auto-verified attribute and, when
 * both email and phone are auto-verified, verifies only the phone (documented in the CDK's
 * AutoVerifiedAttrs). A pool that auto-verifies neither would leave the user to an administrator in
 * Cognito; the emulator sends to the email, else the phone, so such pools stay usable locally [I].
 */
export function confirmationTarget(pool: UserPool, user: PoolUser): Delivery | undefined {
  const email = user.attributes.get('email');
  const phone = user.attributes.get('phone_number');
  const auto = pool.autoVerifiedAttributes;
  const byPhone =
    phone === undefined ? undefined : ({ to: phone, medium: 'SMS', attribute: 'phone_number' } as const);
  const byEmail =
    email === undefined ? undefined : ({ to: email, medium: 'EMAIL', attribute: 'email' } as const);
  if (auto.includes('phone_number') && byPhone) return byPhone;
  if (auto.includes('email') && byEmail) return byEmail;
  return byEmail ?? byPhone;
}

/** The masked destination an OTP challenge names. */
function otpDestination(user: PoolUser, challenge: OtpChallenge): Delivery | undefined {
  const to = user.attributes.get(challenge === 'EMAIL_OTP' ? 'email' : 'phone_number');
  if (to === undefined) return undefined;
  return challenge === 'EMAIL_OTP'
    ? { to, medium: 'EMAIL', attribute: 'email' }
    : { to, medium: 'SMS', attribute: 'phone_number' };
}

/**
 * A stable pseudo-random string per pool and name, so a simulated destination for an unknown user is
 * the same on every attempt, as a real user's would be.
 */
function pseudo(pool: UserPool, username: string): Buffer {
  return createHash('sha256').update(`${pool.id}\0${username.toLowerCase()}`).digest();
}

/**
 * A plausible masked destination for a user that does not exist (PreventUserExistenceErrors ENABLED):
 * the name itself masked when it is an address or a number of the right kind, else a made-up mask
 * of the same format [I].
 */
export function simulatedDestination(pool: UserPool, username: string, medium: 'EMAIL' | 'SMS'): string {
  const bytes = pseudo(pool, username);
  if (medium === 'EMAIL') {
    if (looksLikeEmail(username)) return maskEmail(username);
    const letter = String.fromCharCode(97 + ((bytes[0] ?? 0) % 26));
    return `${username.charAt(0)}***@${letter}***`;
  }
  if (looksLikePhone(username)) return maskPhone(username);
  const digits = [...bytes.subarray(1, 5)].map((b) => String(b % 10)).join('');
  return `+*******${digits}`;
}

export interface SignInFactors {
  /** AvailableChallenges as answered, in the pool's factor order. */
  available: string[];
  /** The OTP factors among them. */
  otp: OtpChallenge[];
  /** Factors the user would have but for MFA (the pool's or their own). */
  withheldForMfa: string[];
}

/**
 * The first factors a user may use: a factor must be in the pool's AllowedFirstAuthFactors and usable
 * by the user (EMAIL_OTP needs a verified email, SMS_OTP a phone number, PASSWORD a password). MFA
 * (required by the pool, or enabled for the user) takes EMAIL_OTP and SMS_OTP away (transcript's
 * restriction). WEB_AUTHN needs a passkey registered for the pool's current relying-party id; under
 * MFA it is offered only when the pool's WebAuthn FactorConfiguration is
 * MULTI_FACTOR_WITH_USER_VERIFICATION (a passkey then counts as MFA, and sign-in requires UV) [I].
 */
export function signInFactors(pool: UserPool, user: PoolUser): SignInFactors {
  const mfa = pool.mfaConfiguration === 'ON' || user.mfa.smsEnabled || user.mfa.softwareTokenEnabled;
  const available: string[] = [];
  const otp: OtpChallenge[] = [];
  const withheldForMfa: string[] = [];
  for (const factor of pool.allowedFirstAuthFactors) {
    if (factor === 'WEB_AUTHN') {
      if (!webAuthnEnabled(pool) || usablePasskeys(pool, user).length === 0) continue;
      const passkeyIsMfa = pool.webAuthn?.factorConfiguration === 'MULTI_FACTOR_WITH_USER_VERIFICATION';
      if (mfa && !passkeyIsMfa) withheldForMfa.push(factor);
      else available.push(factor);
      continue;
    }
    if (factor === 'PASSWORD' && user.hasPassword) available.push('PASSWORD', 'PASSWORD_SRP');
    const usable =
      (factor === 'EMAIL_OTP' &&
        user.attributes.has('email') &&
        user.attributes.get('email_verified') === 'true') ||
      (factor === 'SMS_OTP' && user.attributes.has('phone_number'));
    if (!usable) continue;
    if (mfa) withheldForMfa.push(factor);
    else {
      otp.push(factor);
      available.push(factor);
    }
  }
  return { available, otp, withheldForMfa };
}

export interface ChallengeAnswer {
  ChallengeName: OtpChallenge | 'SELECT_CHALLENGE' | 'WEB_AUTHN';
  Session: string;
  ChallengeParameters: Record<string, string>;
  AvailableChallenges: string[];
}

function newChallengeSession(
  ctx: OperationContext,
  pool: UserPool,
  client: AppClient,
  fields: Pick<
    Extract<AuthSession, { kind: 'CHALLENGE' }>,
    'username' | 'challenge' | 'availableChallenges' | 'fake'
  >,
  code?: string,
): Extract<AuthSession, { kind: 'CHALLENGE' }> {
  return {
    kind: 'CHALLENGE',
    id: ctx.state.newSessionId(),
    userPoolId: pool.id,
    clientId: client.clientId,
    ...fields,
    code,
    wrongCodes: 0,
    expiresAt: sessionExpiry(ctx, client),
  };
}

/**
 * Sends a new 8-digit code for `challenge` and answers with a new Session that expects it. The code
 * lives exactly as long as its Session [I]. Earlier challenge Sessions of the user are left alone:
 * each keeps its own code until it expires, completes or spends its wrong-code budget [I].
 */
export function issueOtp(
  ctx: OperationContext,
  pool: UserPool,
  client: AppClient,
  user: PoolUser,
  challenge: OtpChallenge,
  factors: SignInFactors,
): ChallengeAnswer {
  const delivery = otpDestination(user, challenge);
  if (!delivery) throw new CognitoError('InternalErrorException', `No destination for ${challenge}.`);
  const code = randomDigits(SIGN_IN_CODE_LENGTH);
  const session = newChallengeSession(
    ctx,
    pool,
    client,
    { username: user.username, challenge, availableChallenges: factors.otp, fake: false },
    code,
  );
  // Deliver first: over the email quota nothing is stored and the caller gets LimitExceededException.
  deliver(ctx, pool, { to: delivery.to, medium: delivery.medium, kind: 'SIGN_IN', code });
  ctx.state.sessions.set(session.id, session);
  return {
    ChallengeName: challenge,
    Session: session.id,
    ChallengeParameters: {
      CODE_DELIVERY_DELIVERY_MEDIUM: delivery.medium,
      CODE_DELIVERY_DESTINATION: deliveryDetails(delivery).Destination,
    },
    AvailableChallenges: factors.available,
  };
}

/** SELECT_CHALLENGE: the user picks a factor with RespondToAuthChallenge ANSWER. Nothing is sent yet. */
export function selectChallenge(
  ctx: OperationContext,
  pool: UserPool,
  client: AppClient,
  username: string,
  factors: SignInFactors,
  fake: boolean,
): ChallengeAnswer {
  const session = newChallengeSession(ctx, pool, client, {
    username,
    challenge: 'SELECT_CHALLENGE',
    availableChallenges: factors.otp,
    fake,
  });
  ctx.state.sessions.set(session.id, session);
  return {
    ChallengeName: 'SELECT_CHALLENGE',
    Session: session.id,
    ChallengeParameters: {},
    AvailableChallenges: factors.available,
  };
}

/**
 * The OTP challenge an unknown user would get (PreventUserExistenceErrors ENABLED): same shape as a
 * real one, a plausible masked destination, a Session that accepts no code, and nothing sent [C/I].
 * The factor is the preferred one when the pool allows it, else SMS_OTP for a phone-number name,
 * else EMAIL_OTP [I].
 */
export function simulatedChallenge(
  ctx: OperationContext,
  pool: UserPool,
  client: AppClient,
  username: string,
  preferred: string | undefined,
  answer?: OtpChallenge,
): ChallengeAnswer {
  const allowed = pool.allowedFirstAuthFactors.filter(
    (f): f is OtpChallenge => f === 'EMAIL_OTP' || f === 'SMS_OTP',
  );
  const choice =
    answer ??
    allowed.find((f) => f === preferred) ??
    (looksLikePhone(username) ? allowed.find((f) => f === 'SMS_OTP') : undefined) ??
    allowed.find((f) => f === 'EMAIL_OTP') ??
    allowed[0];
  const name = username.toLowerCase();
  if (!choice)
    return selectChallenge(ctx, pool, client, name, { available: [], otp: [], withheldForMfa: [] }, true);
  // A known user without a passkey who prefers WEB_AUTHN gets SELECT_CHALLENGE; so does an unknown one,
  // offered the code factor a real user with that name would have [I].
  if (answer === undefined && preferred === 'WEB_AUTHN') {
    return selectChallenge(
      ctx,
      pool,
      client,
      name,
      { available: [choice], otp: [choice], withheldForMfa: [] },
      true,
    );
  }
  const session = newChallengeSession(ctx, pool, client, {
    username: name,
    challenge: choice,
    availableChallenges: [choice],
    fake: true,
  });
  ctx.state.sessions.set(session.id, session);
  const medium = choice === 'EMAIL_OTP' ? 'EMAIL' : 'SMS';
  return {
    ChallengeName: choice,
    Session: session.id,
    ChallengeParameters: {
      CODE_DELIVERY_DELIVERY_MEDIUM: medium,
      CODE_DELIVERY_DESTINATION: simulatedDestination(pool, username, medium),
    },
    AvailableChallenges: [choice],
  };
}

/**
 * A WEB_AUTHN challenge: CREDENTIAL_REQUEST_OPTIONS is a PublicKeyCredentialRequestOptionsJSON as a
 * string, shaped like Cognito's documented sample: a 16-byte challenge, `timeout` the client's
 * AuthSessionValidity in milliseconds, the pool's relying-party id, every passkey of the user for it as
 * allowCredentials, and the pool's userVerification. The challenge is single-use and bound to the
 * new Session.
 */
export function issueWebAuthn(
  ctx: OperationContext,
  pool: UserPool,
  client: AppClient,
  user: PoolUser,
  factors: SignInFactors,
): ChallengeAnswer {
  const rpId = relyingPartyId(pool);
  if (rpId === undefined)
    throw new CognitoError('InternalErrorException', 'No relying party id for WEB_AUTHN.');
  const challenge = randomBytes(16).toString('base64url');
  const session = newChallengeSession(ctx, pool, client, {
    username: user.username,
    challenge: 'WEB_AUTHN',
    availableChallenges: factors.available,
    fake: false,
  });
  session.webAuthn = { challenge, relyingPartyId: rpId };
  ctx.state.sessions.set(session.id, session);
  const options = {
    challenge,
    timeout: client.authSessionValidity * 60_000,
    rpId,
    allowCredentials: usablePasskeys(pool, user).map((p) => ({
      type: 'public-key',
      id: p.credentialId,
      transports: [...p.transports],
    })),
    userVerification: userVerificationOf(pool),
  };
  return {
    ChallengeName: 'WEB_AUTHN',
    Session: session.id,
    ChallengeParameters: { CREDENTIAL_REQUEST_OPTIONS: JSON.stringify(options) },
    AvailableChallenges: factors.available,
  };
}

/**
 * Cognito's lockout answer. Its wording for password and MFA lockouts; for OTP codes AWS documents
 * none, so the same message is used [I].
 */
export const lockedOut = () => notAuthorized('Password attempts exceeded');

/** Refuses sign-in for a user who cannot sign in now: disabled, unconfirmed or locked out. */
export function assertCanSignIn(ctx: OperationContext, user: PoolUser): void {
  if (!user.enabled) throw notAuthorized('User is disabled.');
  if (user.status !== 'CONFIRMED')
    throw new CognitoError('UserNotConfirmedException', 'User is not confirmed.');
  if (user.lockedUntil > ctx.state.now()) throw lockedOut();
}

/**
 * Counts a wrong sign-in code against the user. From the `lockoutThreshold`-th consecutive failure on,
 * failure n locks sign-in for 2^(n - threshold) seconds, at most `lockoutMaxSeconds` [C for MFA codes
 * and passwords, I for OTP].
 */
export function recordWrongCode(ctx: OperationContext, pool: UserPool, user: PoolUser): void {
  const { lockoutThreshold, lockoutMaxSeconds } = pool.behaviour;
  user.failedSignIns += 1;
  const over = user.failedSignIns - lockoutThreshold;
  if (over >= 0) user.lockedUntil = ctx.state.now() + Math.min(2 ** over, lockoutMaxSeconds) * 1000;
}

/** Tokens for a completed sign-in; a success ends the user's run of failures. */
export function completeSignIn(
  ctx: OperationContext,
  pool: UserPool,
  client: AppClient,
  user: PoolUser,
  method?: AuthenticationMethod,
): object {
  user.failedSignIns = 0;
  user.lockedUntil = 0;
  return {
    ChallengeParameters: {},
    AuthenticationResult: ctx.tokens.issue({ pool, client, user, baseUrl: ctx.baseUrl, method }),
  };
}
