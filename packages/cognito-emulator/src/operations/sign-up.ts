import { CognitoError, invalidParameter, notAuthorized } from '../errors.js';
import type { PoolUser, UserPool } from '../state.js';
import { randomDigits, userKey } from '../state.js';
import {
  CLIENT_ID,
  type Input,
  optionalAttributeList,
  optionalObject,
  optionalString,
  optionalStringMap,
  requiredString,
  USERNAME,
} from '../validate.js';
import {
  allowsFlow,
  checkSecretHash,
  clientById,
  deliver,
  findUser,
  findUserByAlias,
  indexUser,
  looksLikeEmail,
  looksLikePhone,
  type OperationContext,
  sameAlias,
  sessionExpiry,
  usernameAttributeOf,
} from './context.js';
import {
  CONFIRMATION_CODE_LENGTH,
  confirmationTarget,
  deliveryDetails,
  SECRET_HASH,
} from './passwordless.js';

const PASSWORD = { max: 256, pattern: /^\S+$/ };

/** The standard attributes of every Cognito user pool; anything else must be `custom:`. */
const STANDARD_ATTRIBUTES = new Set([
  'address',
  'birthdate',
  'email',
  'family_name',
  'gender',
  'given_name',
  'locale',
  'middle_name',
  'name',
  'nickname',
  'phone_number',
  'picture',
  'preferred_username',
  'profile',
  'updated_at',
  'website',
  'zoneinfo',
]);
/** Set by Cognito only: an app client may not write them. */
const READ_ONLY_ATTRIBUTES = new Set(['sub', 'email_verified', 'phone_number_verified']);

function usernameShouldBe(pool: UserPool): string {
  const email = pool.usernameAttributes.includes('email');
  const phone = pool.usernameAttributes.includes('phone_number');
  if (email && phone) return 'Username should be either an email or a phone number.';
  return email ? 'Username should be an email.' : 'Username should be a phone number.';
}

function userAttributes(input: Input): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const { name, value } of optionalAttributeList(input, 'UserAttributes') ?? []) {
    if (READ_ONLY_ATTRIBUTES.has(name))
      throw notAuthorized('A client attempted to write unauthorized attribute');
    if (!STANDARD_ATTRIBUTES.has(name) && !name.startsWith('custom:')) {
      throw invalidParameter(
        `Attributes did not conform to the schema: ${name}: Attribute does not exist in the schema.`,
      );
    }
    attributes.set(name, value);
  }
  const email = attributes.get('email');
  if (email !== undefined && !looksLikeEmail(email)) throw invalidParameter('Invalid email address format.');
  const phone = attributes.get('phone_number');
  if (phone !== undefined && !looksLikePhone(phone)) throw invalidParameter('Invalid phone number format.');
  return attributes;
}

/**
 * SignUp: creates an UNCONFIRMED user and sends a 6-digit confirmation code valid 24 hours.
 * Without a Password only when the pool's sign-in policy has EMAIL_OTP or SMS_OTP. In pools with
 * UsernameAttributes the Username must be an email (or phone number), which becomes that attribute,
 * and the stored username is the sub. The answer carries a Session (for ConfirmSignUp, then
 * automatic sign-in) only when the client allows USER_AUTH [R aws-sdk-js-v3#6724].
 * Over the daily email quota the user is still created and LimitExceededException is answered.
 * @throws ResourceNotFoundException, InvalidParameterException, NotAuthorizedException,
 *   UsernameExistsException, LimitExceededException
 */
export function signUp(input: Input, ctx: OperationContext): object {
  const clientId = requiredString(input, 'ClientId', CLIENT_ID);
  const username = requiredString(input, 'Username', USERNAME);
  const password = optionalString(input, 'Password', PASSWORD);
  const secretHash = optionalString(input, 'SecretHash', SECRET_HASH);
  const attributes = userAttributes(input);
  optionalAttributeList(input, 'ValidationData');
  optionalStringMap(input, 'ClientMetadata');
  optionalObject(input, 'AnalyticsMetadata');
  optionalObject(input, 'UserContextData');

  const { state } = ctx;
  const { pool, client } = clientById(state, clientId);
  checkSecretHash(client, username, secretHash);
  if (
    password === undefined &&
    !pool.allowedFirstAuthFactors.some((f) => f === 'EMAIL_OTP' || f === 'SMS_OTP')
  ) {
    throw invalidParameter(
      'Password is required: the user pool sign-in policy (AllowedFirstAuthFactors) has no EMAIL_OTP or SMS_OTP.',
    );
  }

  const sub = state.newSub();
  let storedUsername = username;
  if (pool.usernameAttributes.length > 0) {
    const attribute = usernameAttributeOf(pool, username);
    if (!attribute) throw invalidParameter(usernameShouldBe(pool));
    const given = attributes.get(attribute);
    if (given !== undefined && !sameAlias(pool, attribute, given, username)) {
      throw invalidParameter(`The ${attribute} attribute must be the same as the username.`);
    }
    attributes.set(attribute, given ?? username);
    // Both username attributes sign a user in, so each must name one account only [I: Cognito checks
    // a second account's phone at verification (AliasExistsException); refusing it here is simpler].
    for (const name of pool.usernameAttributes) {
      const value = attributes.get(name);
      if (value !== undefined && findUserByAlias(pool, name, value)) {
        throw new CognitoError(
          'UsernameExistsException',
          `An account with the given ${name} already exists.`,
        );
      }
    }
    storedUsername = sub;
  } else if (findUser(pool, username)) {
    throw new CognitoError('UsernameExistsException', 'User already exists');
  }

  const now = state.now();
  const stored = new Map<string, string>([['sub', sub], ...attributes]);
  if (attributes.has('email')) stored.set('email_verified', 'false');
  if (attributes.has('phone_number')) stored.set('phone_number_verified', 'false');
  const user: PoolUser = {
    username: storedUsername,
    sub,
    attributes: stored,
    status: 'UNCONFIRMED',
    enabled: true,
    createdAt: now,
    lastModifiedAt: now,
    mfa: { smsEnabled: false, softwareTokenEnabled: false },
    failedSignIns: 0,
    lockedUntil: 0,
    signedOutBefore: 0,
    hasPassword: password !== undefined,
  };
  const target = confirmationTarget(pool, user);
  const code = randomDigits(CONFIRMATION_CODE_LENGTH);
  if (target) {
    user.confirmation = {
      code,
      expiresAt: now + pool.behaviour.confirmationCodeValiditySeconds * 1000,
      failedAttempts: 0,
    };
  }
  pool.users.set(userKey(pool, user.username), user);
  indexUser(pool, user);

  // After the user exists: over the email quota Cognito keeps the user and refuses only the send.
  if (target) deliver(ctx, pool, { to: target.to, medium: target.medium, kind: 'SIGN_UP', code });

  let session: string | undefined;
  user.autoSignInUntil = sessionExpiry(ctx, client);
  if (allowsFlow(client, 'ALLOW_USER_AUTH')) {
    session = state.newSessionId();
    state.sessions.set(session, {
      kind: 'SIGN_UP',
      id: session,
      userPoolId: pool.id,
      clientId: client.clientId,
      username: user.username,
      expiresAt: user.autoSignInUntil,
    });
  }
  return {
    UserConfirmed: false,
    CodeDeliveryDetails: target ? deliveryDetails(target) : undefined,
    UserSub: sub,
    Session: session,
  };
}
