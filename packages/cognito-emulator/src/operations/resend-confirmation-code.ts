import { invalidParameter, userNotFound } from '../errors.js';
import { randomDigits } from '../state.js';
import {
  CLIENT_ID,
  type Input,
  optionalObject,
  optionalString,
  optionalStringMap,
  requiredString,
  USERNAME,
} from '../validate.js';
import {
  checkSecretHash,
  clientById,
  deliver,
  findUser,
  looksLikePhone,
  type OperationContext,
} from './context.js';
import {
  CONFIRMATION_CODE_LENGTH,
  confirmationTarget,
  deliveryDetails,
  SECRET_HASH,
  simulatedDestination,
} from './passwordless.js';

/**
 * ResendConfirmationCode: a new 6-digit code, valid 24 hours from now, replaces the pending one and
 * resets its wrong-attempt count. If the send fails (the email quota) the pending code stays as it was.
 * An unknown user is UserNotFoundException under PreventUserExistenceErrors LEGACY; under ENABLED the
 * answer is a simulated CodeDeliveryDetails and nothing is sent [C/R/I].
 * @throws ResourceNotFoundException, InvalidParameterException, NotAuthorizedException,
 *   UserNotFoundException, LimitExceededException
 */
export function resendConfirmationCode(input: Input, ctx: OperationContext): object {
  const clientId = requiredString(input, 'ClientId', CLIENT_ID);
  const username = requiredString(input, 'Username', USERNAME);
  const secretHash = optionalString(input, 'SecretHash', SECRET_HASH);
  optionalStringMap(input, 'ClientMetadata');
  optionalObject(input, 'AnalyticsMetadata');
  optionalObject(input, 'UserContextData');

  const { state } = ctx;
  const { pool, client } = clientById(state, clientId);
  checkSecretHash(client, username, secretHash);
  const user = findUser(pool, username);
  if (!user) {
    if (client.preventUserExistenceErrors !== 'ENABLED')
      throw userNotFound('Username/client id combination not found.');
    const phone = looksLikePhone(username);
    return {
      CodeDeliveryDetails: {
        Destination: simulatedDestination(pool, username, phone ? 'SMS' : 'EMAIL'),
        DeliveryMedium: phone ? 'SMS' : 'EMAIL',
        AttributeName: phone ? 'phone_number' : 'email',
      },
    };
  }
  if (user.status === 'CONFIRMED') throw invalidParameter('User is already confirmed.');
  const target = confirmationTarget(pool, user);
  if (!target) throw invalidParameter('Cannot resend codes. Auto verification not turned on.');

  const code = randomDigits(CONFIRMATION_CODE_LENGTH);
  deliver(ctx, pool, { to: target.to, medium: target.medium, kind: 'SIGN_UP', code });
  const now = state.now();
  user.confirmation = {
    code,
    expiresAt: now + pool.behaviour.confirmationCodeValiditySeconds * 1000,
    failedAttempts: 0,
  };
  user.lastModifiedAt = now;
  return { CodeDeliveryDetails: deliveryDetails(target) };
}
