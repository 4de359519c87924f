import { CognitoError, invalidSession, notAuthorized, userNotFound } from '../errors.js';
import { userKey } from '../state.js';
import {
  CLIENT_ID,
  type Input,
  optionalBoolean,
  optionalObject,
  optionalString,
  optionalStringMap,
  requiredString,
  SESSION,
  USERNAME,
} from '../validate.js';
import {
  allowsFlow,
  checkSecretHash,
  clientById,
  codesEqual,
  findUser,
  type OperationContext,
  sessionExpiry,
} from './context.js';
import { CODE, confirmationTarget, SECRET_HASH } from './passwordless.js';

const codeMismatch = () =>
  new CognitoError('CodeMismatchException', 'Invalid verification code provided, please try again.');

/**
 * ConfirmSignUp: checks the 6-digit code and confirms the user, marking the attribute the code went
 * to as verified. For clients with ALLOW_USER_AUTH the answer carries a Session that completes
 * InitiateAuth USER_AUTH once, without a code, within the client's AuthSessionValidity (automatic
 * sign-in). SignUp's Session may be passed and is then checked and spent; without one the answer
 * still carries a Session (transcript).
 * An unknown user is UserNotFoundException under PreventUserExistenceErrors LEGACY and
 * CodeMismatchException under ENABLED, so the answer says nothing about who exists [I].
 * After `behaviour.confirmationAttempts` wrong codes every attempt is TooManyFailedAttemptsException
 * until ResendConfirmationCode sends a new code.
 * @throws ResourceNotFoundException, InvalidParameterException, NotAuthorizedException,
 *   UserNotFoundException, CodeMismatchException, ExpiredCodeException, TooManyFailedAttemptsException
 */
export function confirmSignUp(input: Input, ctx: OperationContext): object {
  const clientId = requiredString(input, 'ClientId', CLIENT_ID);
  const username = requiredString(input, 'Username', USERNAME);
  const code = requiredString(input, 'ConfirmationCode', CODE);
  const secretHash = optionalString(input, 'SecretHash', SECRET_HASH);
  const sessionId = optionalString(input, 'Session', SESSION);
  optionalBoolean(input, 'ForceAliasCreation');
  optionalStringMap(input, 'ClientMetadata');
  optionalObject(input, 'AnalyticsMetadata');
  optionalObject(input, 'UserContextData');

  const { state } = ctx;
  const { pool, client } = clientById(state, clientId);
  checkSecretHash(client, username, secretHash);
  const user = findUser(pool, username);
  if (!user) {
    if (client.preventUserExistenceErrors === 'ENABLED') throw codeMismatch();
    throw userNotFound('Username/client id combination not found.');
  }
  const now = state.now();
  if (sessionId !== undefined) {
    const session = state.sessions.get(sessionId);
    const valid =
      session?.kind === 'SIGN_UP' &&
      session.userPoolId === pool.id &&
      session.clientId === client.clientId &&
      session.expiresAt > now &&
      userKey(pool, session.username) === userKey(pool, user.username);
    if (!valid) throw invalidSession();
  }
  if (user.status === 'CONFIRMED') {
    throw notAuthorized(`User cannot be confirmed. Current status is ${user.status}`);
  }
  const pending = user.confirmation;
  if (!pending) throw codeMismatch();
  if (pending.failedAttempts >= pool.behaviour.confirmationAttempts) {
    throw new CognitoError(
      'TooManyFailedAttemptsException',
      'Too many failed attempts to confirm the user. Request a new code with ResendConfirmationCode.',
    );
  }
  if (pending.expiresAt <= now) {
    throw new CognitoError('ExpiredCodeException', 'Invalid code provided, please request a code again.');
  }
  if (!codesEqual(pending.code, code)) {
    pending.failedAttempts += 1;
    throw codeMismatch();
  }

  const verified = confirmationTarget(pool, user);
  user.status = 'CONFIRMED';
  user.confirmation = undefined;
  if (verified) user.attributes.set(`${verified.attribute}_verified`, 'true');
  user.lastModifiedAt = now;
  if (sessionId !== undefined) state.sessions.delete(sessionId);

  if (!allowsFlow(client, 'ALLOW_USER_AUTH')) return {};
  // The automatic sign-in window: SignUp's, or a fresh one (`autoSignInWindowFrom`). A window that has
  // already passed still yields a Session, as an expired blob would: USER_AUTH then refuses it.
  const expiresAt =
    pool.behaviour.autoSignInWindowFrom === 'sign-up' && user.autoSignInUntil !== undefined
      ? user.autoSignInUntil
      : sessionExpiry(ctx, client);
  const session = state.newSessionId();
  if (expiresAt > now) {
    state.sessions.set(session, {
      kind: 'CONFIRMED',
      id: session,
      userPoolId: pool.id,
      clientId: client.clientId,
      username: user.username,
      expiresAt,
    });
  }
  return { Session: session };
}
