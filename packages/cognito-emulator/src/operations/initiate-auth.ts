import { CognitoError, invalidParameter, invalidSession, userNotFound } from '../errors.js';
import { userKey } from '../state.js';
import {
  CLIENT_ID,
  type Input,
  optionalEnum,
  optionalObject,
  optionalString,
  optionalStringMap,
  requiredString,
  SESSION,
  USERNAME,
} from '../validate.js';
import { allowsFlow, checkSecretHash, clientById, findUser, type OperationContext } from './context.js';
import {
  assertCanSignIn,
  completeSignIn,
  isOtp,
  issueOtp,
  issueWebAuthn,
  parameter,
  SECRET_HASH,
  selectChallenge,
  signInFactors,
  simulatedChallenge,
} from './passwordless.js';
import { refreshTokenAuth } from './token-operations.js';

/** AuthFlowType of the API model. */
const AUTH_FLOWS = [
  'USER_SRP_AUTH',
  'REFRESH_TOKEN_AUTH',
  'REFRESH_TOKEN',
  'CUSTOM_AUTH',
  'ADMIN_NO_SRP_AUTH',
  'USER_PASSWORD_AUTH',
  'ADMIN_USER_PASSWORD_AUTH',
  'USER_AUTH',
] as const;

/** The first-factor challenges USER_AUTH knows; only the OTP ones are emulated. */
const FIRST_FACTOR_CHALLENGES = ['PASSWORD', 'PASSWORD_SRP', 'EMAIL_OTP', 'SMS_OTP', 'WEB_AUTHN'];

/**
 * InitiateAuth. USER_AUTH (needs ALLOW_USER_AUTH and the ESSENTIALS tier or higher):
 * - with a Session from ConfirmSignUp (top-level `Session` or `AuthParameters.SESSION`, as the CLI
 *   of the transcript sends it): tokens at once, and the Session is spent;
 * - otherwise the PREFERRED_CHALLENGE when the user has it, or without a preference the only factor
 *   the user has, is issued at once (a new 8-digit code is sent); a preference the user does not have,
 *   or several factors and no preference, is answered SELECT_CHALLENGE [D].
 *   Calling it again is how a sign-in code is resent: new code, new Session.
 * Unknown users: UserNotFoundException under PreventUserExistenceErrors LEGACY; under ENABLED a
 * challenge of the same shape whose Session accepts no code, and nothing is sent.
 * MFA (required by the pool or enabled for the user) withholds EMAIL_OTP and SMS_OTP: per
 * `behaviour.mfaRestriction` an InvalidParameterException or SELECT_CHALLENGE without them [I].
 * REFRESH_TOKEN_AUTH and REFRESH_TOKEN go to the token service; the password and custom flows are not
 * emulated (InvalidParameterException).
 * @throws ResourceNotFoundException, InvalidParameterException, FeatureUnavailableInTierException,
 *   NotAuthorizedException, UserNotFoundException, UserNotConfirmedException, LimitExceededException
 */
export function initiateAuth(input: Input, ctx: OperationContext): object | Promise<object> {
  requiredString(input, 'AuthFlow');
  const flow = optionalEnum(input, 'AuthFlow', AUTH_FLOWS);
  if (flow === 'REFRESH_TOKEN_AUTH' || flow === 'REFRESH_TOKEN') return refreshTokenAuth(input, ctx);

  const clientId = requiredString(input, 'ClientId', CLIENT_ID);
  const parameters = optionalStringMap(input, 'AuthParameters') ?? {};
  const topLevelSession = optionalString(input, 'Session', SESSION);
  optionalStringMap(input, 'ClientMetadata');
  optionalObject(input, 'AnalyticsMetadata');
  optionalObject(input, 'UserContextData');

  const { state } = ctx;
  const { pool, client } = clientById(state, clientId);
  if (flow !== 'USER_AUTH') {
    throw invalidParameter(
      `AuthFlow ${flow} is not emulated: the emulator implements USER_AUTH (EMAIL_OTP, SMS_OTP) and REFRESH_TOKEN_AUTH.`,
    );
  }
  if (!allowsFlow(client, 'ALLOW_USER_AUTH'))
    throw invalidParameter('USER_AUTH flow not enabled for this client');
  if (pool.featurePlan === 'LITE') {
    throw new CognitoError(
      'FeatureUnavailableInTierException',
      'USER_AUTH (choice-based sign-in) requires the ESSENTIALS or PLUS feature plan.',
    );
  }

  const username = parameter(parameters, 'AuthParameters', 'USERNAME', USERNAME, true) as string;
  const secretHash = parameter(parameters, 'AuthParameters', 'SECRET_HASH', SECRET_HASH, false);
  const sessionParameter = parameter(parameters, 'AuthParameters', 'SESSION', SESSION, false);
  const preferred = parameter(parameters, 'AuthParameters', 'PREFERRED_CHALLENGE', { max: 64 }, false);
  if (preferred !== undefined && !FIRST_FACTOR_CHALLENGES.includes(preferred)) {
    throw invalidParameter(
      `PREFERRED_CHALLENGE must be one of ${FIRST_FACTOR_CHALLENGES.join(', ')}; got ${preferred}.`,
    );
  }
  checkSecretHash(client, username, secretHash);

  // Automatic sign-in after ConfirmSignUp.
  const sessionId = topLevelSession ?? sessionParameter;
  if (sessionId !== undefined) {
    const session = state.sessions.get(sessionId);
    const user = findUser(pool, username);
    const valid =
      session?.kind === 'CONFIRMED' &&
      session.userPoolId === pool.id &&
      session.clientId === client.clientId &&
      session.expiresAt > state.now() &&
      user !== undefined &&
      userKey(pool, session.username) === userKey(pool, user.username);
    if (!valid || !user) throw invalidSession();
    state.sessions.delete(sessionId);
    assertCanSignIn(ctx, user);
    return completeSignIn(ctx, pool, client, user);
  }

  const user = findUser(pool, username);
  if (!user) {
    if (client.preventUserExistenceErrors === 'ENABLED') {
      return simulatedChallenge(ctx, pool, client, username, preferred);
    }
    throw userNotFound();
  }
  assertCanSignIn(ctx, user);
  const factors = signInFactors(pool, user);
  const passkeyForMfa = factors.available.includes('WEB_AUTHN');
  if (factors.withheldForMfa.length > 0 && !passkeyForMfa && pool.behaviour.mfaRestriction === 'error') {
    throw invalidParameter(
      pool.mfaConfiguration === 'ON'
        ? 'Passwordless sign-in (EMAIL_OTP, SMS_OTP) is not available: the user pool requires MFA.'
        : 'Passwordless sign-in (EMAIL_OTP, SMS_OTP) is not available to a user with MFA enabled.',
    );
  }
  if (preferred !== undefined && factors.available.includes(preferred)) {
    if (preferred === 'WEB_AUTHN') return issueWebAuthn(ctx, pool, client, user, factors);
    if (!isOtp(preferred)) {
      throw invalidParameter(`${preferred} sign-in is not emulated: only EMAIL_OTP and SMS_OTP are.`);
    }
    return issueOtp(ctx, pool, client, user, preferred, factors);
  }
  // "If the preferred challenge isn't available, Amazon Cognito responds with SELECT_CHALLENGE" [D],
  // whatever was preferred: an email-only user asked for SMS_OTP is not sent an email code.
  if (preferred !== undefined) return selectChallenge(ctx, pool, client, user.username, factors, false);
  const [only] = factors.otp;
  if (factors.available.length === 1 && only) return issueOtp(ctx, pool, client, user, only, factors);
  return selectChallenge(ctx, pool, client, user.username, factors, false);
}
