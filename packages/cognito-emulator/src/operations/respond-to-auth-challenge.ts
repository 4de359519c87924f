import { CognitoError, invalidParameter, invalidSession, notAuthorized } from '../errors.js';
import { type AppClient, type AuthSession, type PoolUser, type UserPool, userKey } from '../state.js';
import {
  CLIENT_ID,
  type Input,
  optionalEnum,
  optionalObject,
  optionalStringMap,
  requiredString,
  SESSION,
  USERNAME,
} from '../validate.js';
import { assertionCredentialId, verifyAssertion, WebAuthnError } from '../webauthn/verify.js';
import { checkSecretHash, clientById, codesEqual, findUser, type OperationContext } from './context.js';
import {
  assertCanSignIn,
  CODE,
  completeSignIn,
  isOtp,
  issueOtp,
  issueWebAuthn,
  parameter,
  recordWrongCode,
  SECRET_HASH,
  signInFactors,
  simulatedChallenge,
} from './passwordless.js';
import { usablePasskeys, userVerificationOf } from './webauthn.js';

/** ChallengeNameType of the API model. */
const CHALLENGE_NAMES = [
  'SMS_MFA',
  'EMAIL_OTP',
  'SOFTWARE_TOKEN_MFA',
  'SELECT_MFA_TYPE',
  'MFA_SETUP',
  'PASSWORD_VERIFIER',
  'CUSTOM_CHALLENGE',
  'SELECT_CHALLENGE',
  'DEVICE_SRP_AUTH',
  'DEVICE_PASSWORD_VERIFIER',
  'ADMIN_NO_SRP_AUTH',
  'NEW_PASSWORD_REQUIRED',
  'SMS_OTP',
  'PASSWORD',
  'WEB_AUTHN',
  'PASSWORD_SRP',
] as const;

type ChallengeSession = Extract<AuthSession, { kind: 'CHALLENGE' }>;

/**
 * RespondToAuthChallenge for the USER_AUTH challenges.
 * - EMAIL_OTP / SMS_OTP with EMAIL_OTP_CODE / SMS_OTP_CODE: the right code answers tokens and spends
 *   the Session. A wrong code is CodeMismatchException "Invalid code received for user"; the Session
 *   stays usable for `behaviour.wrongCodesPerSession` wrong codes in all (or for none more when
 *   `behaviour.newSessionAfterWrongCode`), then it is dead [I]. Wrong codes also count against the
 *   user: see `recordWrongCode` for the lockout.
 * - SELECT_CHALLENGE with ANSWER EMAIL_OTP or SMS_OTP: that code is sent, and the answer is the OTP
 *   challenge with a new Session. ANSWER WEB_AUTHN answers a WEB_AUTHN challenge with a new Session.
 * - WEB_AUTHN with CREDENTIAL (an AuthenticationResponseJSON as a string): see `answerWebAuthn`. A
 *   WEB_AUTHN Session also takes SELECT_CHALLENGE, to switch to another factor.
 * A Session of an unknown user (PreventUserExistenceErrors ENABLED) takes every code as wrong.
 * An unknown, expired, spent or foreign Session, or a USERNAME that is not the Session's user, is
 * NotAuthorizedException "Invalid session for the user, session is expired.".
 * @throws ResourceNotFoundException, InvalidParameterException, NotAuthorizedException,
 *   CodeMismatchException, UserNotConfirmedException, LimitExceededException
 */
export function respondToAuthChallenge(input: Input, ctx: OperationContext): object | Promise<object> {
  const clientId = requiredString(input, 'ClientId', CLIENT_ID);
  requiredString(input, 'ChallengeName');
  const challengeName = optionalEnum(input, 'ChallengeName', CHALLENGE_NAMES) as string;
  // Optional in the API model (the first challenge of some flows has none); every USER_AUTH one has.
  const sessionId = requiredString(input, 'Session', SESSION);
  const responses = optionalStringMap(input, 'ChallengeResponses') ?? {};
  optionalStringMap(input, 'ClientMetadata');
  optionalObject(input, 'AnalyticsMetadata');
  optionalObject(input, 'UserContextData');

  const { state } = ctx;
  const { pool, client } = clientById(state, clientId);
  const username = parameter(responses, 'ChallengeResponses', 'USERNAME', USERNAME, true) as string;
  checkSecretHash(
    client,
    username,
    parameter(responses, 'ChallengeResponses', 'SECRET_HASH', SECRET_HASH, false),
  );

  const session = state.sessions.get(sessionId);
  if (
    session?.kind !== 'CHALLENGE' ||
    session.userPoolId !== pool.id ||
    session.clientId !== client.clientId ||
    session.expiresAt <= state.now()
  ) {
    throw invalidSession();
  }
  const user = session.fake ? undefined : pool.users.get(userKey(pool, session.username));
  const sameUser = session.fake
    ? username.toLowerCase() === session.username
    : user !== undefined && findUser(pool, username) === user;
  if (!sameUser) throw invalidSession();
  // A WEB_AUTHN Session also takes SELECT_CHALLENGE: another factor, or the one-step
  // {ANSWER: WEB_AUTHN, CREDENTIAL} form of the API reference.
  const switching = challengeName === 'SELECT_CHALLENGE' && session.challenge === 'WEB_AUTHN';
  if (challengeName !== session.challenge && !switching) {
    throw invalidParameter(
      `ChallengeName ${challengeName} does not match the challenge of this Session (${session.challenge}).`,
    );
  }
  if (user) assertCanSignIn(ctx, user);

  if (session.challenge === 'WEB_AUTHN' && user) {
    const oneStep = switching && responses.ANSWER === 'WEB_AUTHN' && responses.CREDENTIAL !== undefined;
    if (!switching || oneStep) return answerWebAuthn(ctx, { pool, client }, session, user, responses);
  }
  if (session.challenge === 'SELECT_CHALLENGE' || switching) {
    return answerSelectChallenge(ctx, { pool, client }, session, user, responses);
  }

  const codeField = session.challenge === 'EMAIL_OTP' ? 'EMAIL_OTP_CODE' : 'SMS_OTP_CODE';
  const code = parameter(responses, 'ChallengeResponses', codeField, CODE, true) as string;
  const right = user !== undefined && session.code !== undefined && codesEqual(session.code, code);
  if (!right || !user) {
    session.wrongCodes += 1;
    if (user) recordWrongCode(ctx, pool, user);
    const { newSessionAfterWrongCode, wrongCodesPerSession } = pool.behaviour;
    if (newSessionAfterWrongCode || session.wrongCodes >= wrongCodesPerSession)
      state.sessions.delete(session.id);
    throw new CognitoError('CodeMismatchException', 'Invalid code received for user');
  }
  state.sessions.delete(session.id);
  return completeSignIn(ctx, pool, client, user);
}

function answerSelectChallenge(
  ctx: OperationContext,
  { pool, client }: { pool: UserPool; client: AppClient },
  session: ChallengeSession,
  user: PoolUser | undefined,
  responses: Record<string, string>,
): object {
  const answer = parameter(responses, 'ChallengeResponses', 'ANSWER', { max: 64 }, true) as string;
  if (!user) {
    if (!isOtp(answer) || !offers(pool, answer)) throw notAvailable(answer);
    const simulated = simulatedChallenge(ctx, pool, client, session.username, undefined, answer);
    ctx.state.sessions.delete(session.id);
    return simulated;
  }
  // Factors as they are now: an attribute or MFA change since InitiateAuth counts.
  const factors = signInFactors(pool, user);
  if (!factors.available.includes(answer)) throw notAvailable(answer);
  if (answer === 'WEB_AUTHN') {
    const issued = issueWebAuthn(ctx, pool, client, user, factors);
    ctx.state.sessions.delete(session.id);
    return issued;
  }
  if (!isOtp(answer))
    throw invalidParameter(`${answer} sign-in is not emulated: only EMAIL_OTP and SMS_OTP are.`);
  const issued = issueOtp(ctx, pool, client, user, answer, factors);
  ctx.state.sessions.delete(session.id);
  return issued;
}

const offers = (pool: UserPool, factor: string) =>
  (pool.allowedFirstAuthFactors as string[]).includes(factor);

const notAvailable = (answer: string) =>
  invalidParameter(`ANSWER ${answer} is not one of the available challenges for this user.`);

/** The CREDENTIAL string: an AuthenticationResponseJSON, which is small; 64 KiB bounds it generously. */
const CREDENTIAL = { max: 65_536 };

/**
 * Answers a WEB_AUTHN challenge. CREDENTIAL must be JSON (else InvalidParameterException "Credential
 * data is not valid", and the Session stays). Any failed check (unknown or deleted credential, other
 * challenge, origin, relying party, signature, user verification when the pool requires it, a sign
 * counter that did not move forward) is NotAuthorizedException: the Session is spent and the failure
 * counts towards the user's lockout like a wrong code [I]. Success answers tokens whose `amr` is
 * `hwk` for a roaming authenticator, else `swk`, with `acr` urn:cognito:loa:3 [D], and stores the new
 * sign counter.
 */
async function answerWebAuthn(
  ctx: OperationContext,
  { pool, client }: { pool: UserPool; client: AppClient },
  session: ChallengeSession,
  user: PoolUser,
  responses: Record<string, string>,
): Promise<object> {
  const raw = parameter(responses, 'ChallengeResponses', 'CREDENTIAL', CREDENTIAL, true) as string;
  let credential: unknown;
  let credentialId: string;
  try {
    credential = JSON.parse(raw);
    credentialId = assertionCredentialId(credential);
  } catch {
    throw invalidParameter('Credential data is not valid.');
  }
  const challenge = session.webAuthn;
  const fail = (message: string): never => {
    ctx.state.sessions.delete(session.id);
    recordWrongCode(ctx, pool, user);
    throw notAuthorized(message);
  };
  const passkey = usablePasskeys(pool, user).find((p) => p.credentialId === credentialId);
  if (!challenge || !passkey)
    return fail('Incorrect passkey: the credential is not registered for this user.');
  let verified: Awaited<ReturnType<typeof verifyAssertion>>;
  try {
    verified = await verifyAssertion(credential, passkey, {
      challenge: challenge.challenge,
      relyingPartyId: challenge.relyingPartyId,
      userVerification:
        pool.webAuthn?.factorConfiguration === 'MULTI_FACTOR_WITH_USER_VERIFICATION' &&
        (pool.mfaConfiguration !== 'OFF' || user.mfa.smsEnabled || user.mfa.softwareTokenEnabled)
          ? 'required'
          : userVerificationOf(pool),
      extraOrigins: pool.behaviour.webAuthnExtraOrigins,
    });
  } catch (error) {
    if (!(error instanceof WebAuthnError)) throw error;
    if (error.failure === 'malformed') throw invalidParameter(error.message);
    return fail(SIGN_IN_FAILURES[error.failure] ?? 'Incorrect passkey: the assertion does not verify.');
  }
  passkey.counter = verified.newCounter;
  ctx.state.sessions.delete(session.id);
  const attachment = passkey.attachment ?? verified.attachment;
  return completeSignIn(ctx, pool, client, user, {
    amr: [attachment === 'cross-platform' ? 'hwk' : 'swk'],
    acr: 'urn:cognito:loa:3',
  });
}

/** NotAuthorizedException messages of failed passkey sign-ins, by the check that failed. */
const SIGN_IN_FAILURES: Partial<Record<WebAuthnError['failure'], string>> = {
  challenge: 'Incorrect passkey: the credential answers another challenge.',
  origin: 'Incorrect passkey: the origin is not allowed for the relying party.',
  'relying-party': 'Incorrect passkey: the credential is for another relying party.',
  'user-verification': 'Incorrect passkey: user verification is required.',
  counter: 'Incorrect passkey: the sign counter did not increase.',
};
