import { describe, expect, test } from 'vitest';
import { OtpError } from '../errors.js';
import { CognitoSignal, type CognitoStep, cognitoErrorName, translateCognitoError } from './translate.js';

/** What the SDK throws for a Cognito error answer: a ServiceException with name and $fault. */
function cognito(name: string, message = 'Cognito says no.', fault: 'client' | 'server' = 'client') {
  return Object.assign(new Error(message), { name, $fault: fault, $metadata: { httpStatusCode: 400 } });
}

function code(error: unknown, step: CognitoStep = 'InitiateAuth'): string {
  const out = translateCognitoError(error, step);
  return out instanceof OtpError ? out.code : `signal:${out.kind}`;
}

describe('the Cognito exception table', () => {
  test.each([
    ['CodeMismatchException', 'RespondToAuthChallenge', 'CODE_MISMATCH'],
    ['CodeMismatchException', 'ConfirmSignUp', 'CODE_MISMATCH'],
    ['ExpiredCodeException', 'ConfirmSignUp', 'CODE_EXPIRED'],
    ['UsernameExistsException', 'SignUp', 'USER_EXISTS'],
    ['AliasExistsException', 'SignUp', 'USER_EXISTS'],
    ['TooManyFailedAttemptsException', 'ConfirmSignUp', 'TOO_MANY_ATTEMPTS'],
    ['CodeDeliveryFailureException', 'SignUp', 'DELIVERY_FAILED'],
    ['InvalidSmsRoleAccessPolicyException', 'InitiateAuth', 'DELIVERY_FAILED'],
    ['InvalidSmsRoleTrustRelationshipException', 'InitiateAuth', 'DELIVERY_FAILED'],
    ['InvalidEmailRoleAccessPolicyException', 'SignUp', 'DELIVERY_FAILED'],
    ['TooManyRequestsException', 'InitiateAuth', 'UPSTREAM_UNAVAILABLE'],
    ['InternalErrorException', 'SignUp', 'UPSTREAM_UNAVAILABLE'],
    ['InternalServerException', 'SignUp', 'UPSTREAM_UNAVAILABLE'],
    ['UnsupportedTokenTypeException', 'RevokeToken', 'UNAUTHENTICATED'],
    ['RefreshTokenReuseException', 'GetTokensFromRefreshToken', 'UNAUTHENTICATED'],
    ['ResourceNotFoundException', 'InitiateAuth', 'INTERNAL_SERVER_ERROR'],
    ['FeatureUnavailableInTierException', 'InitiateAuth', 'INTERNAL_SERVER_ERROR'],
    ['UnexpectedLambdaException', 'SignUp', 'INTERNAL_SERVER_ERROR'],
    ['SomethingNewException', 'SignUp', 'INTERNAL_SERVER_ERROR'],
  ] as const)('%s in %s -> %s', (name, step, expected) => {
    expect(code(cognito(name), step)).toBe(expected);
  });

  test.each([
    ['WebAuthnOriginNotAllowedException', 'CompleteWebAuthnRegistration', 'BAD_USER_INPUT'],
    ['WebAuthnRelyingPartyMismatchException', 'CompleteWebAuthnRegistration', 'BAD_USER_INPUT'],
    ['WebAuthnCredentialNotSupportedException', 'CompleteWebAuthnRegistration', 'BAD_USER_INPUT'],
    ['WebAuthnChallengeNotFoundException', 'CompleteWebAuthnRegistration', 'SESSION_EXPIRED'],
    ['WebAuthnClientMismatchException', 'CompleteWebAuthnRegistration', 'SESSION_EXPIRED'],
    ['WebAuthnNotEnabledException', 'StartWebAuthnRegistration', 'INTERNAL_SERVER_ERROR'],
    ['WebAuthnConfigurationMissingException', 'StartWebAuthnRegistration', 'INTERNAL_SERVER_ERROR'],
    ['InvalidParameterException', 'CompleteWebAuthnRegistration', 'BAD_USER_INPUT'],
    ['InvalidParameterException', 'RespondToPasskey', 'BAD_USER_INPUT'],
    ['InvalidParameterException', 'DeleteWebAuthnCredential', 'BAD_USER_INPUT'],
    ['InvalidParameterException', 'ListWebAuthnCredentials', 'UNAUTHENTICATED'],
    ['NotAuthorizedException', 'ListWebAuthnCredentials', 'UNAUTHENTICATED'],
    ['NotAuthorizedException', 'StartWebAuthnRegistration', 'UNAUTHENTICATED'],
    ['UserNotFoundException', 'DeleteWebAuthnCredential', 'UNAUTHENTICATED'],
    ['ResourceNotFoundException', 'DeleteWebAuthnCredential', 'signal:NOT_FOUND'],
    ['LimitExceededException', 'StartWebAuthnRegistration', 'BAD_USER_INPUT'],
  ] as const)('passkeys: %s in %s -> %s', (name, step, expected) => {
    expect(code(cognito(name), step)).toBe(expected);
  });

  test.each([
    ['Incorrect passkey: the credential is not registered for this user.', 'CODE_MISMATCH'],
    ['Incorrect passkey: the credential answers another challenge.', 'CODE_MISMATCH'],
    ['Incorrect passkey: the origin is not allowed for the relying party.', 'BAD_USER_INPUT'],
    ['Incorrect passkey: the credential is for another relying party.', 'BAD_USER_INPUT'],
    ['Invalid session for the user, session is expired.', 'SESSION_EXPIRED'],
    ['Password attempts exceeded', 'CODE_MISMATCH'],
  ] as const)('a refused passkey assertion "%s" -> %s', (message, expected) => {
    expect(code(cognito('NotAuthorizedException', message), 'RespondToPasskey')).toBe(expected);
  });

  test('passkey BAD_USER_INPUT names the credential, the id or the passkey limit, whatever the message says', () => {
    const field = (name: string, step: CognitoStep, inputField: string) =>
      (translateCognitoError(cognito(name, 'Invalid username or email'), step, inputField) as OtpError).field;
    expect(field('InvalidParameterException', 'CompleteWebAuthnRegistration', 'credential')).toBe(
      'credential',
    );
    expect(field('InvalidParameterException', 'DeleteWebAuthnCredential', 'id')).toBe('id');
    expect(field('LimitExceededException', 'StartWebAuthnRegistration', 'passkeys')).toBe('passkeys');
  });

  test('LimitExceededException: a sending quota is DELIVERY_FAILED, anything else UPSTREAM_UNAVAILABLE', () => {
    const quota = cognito(
      'LimitExceededException',
      'Exceeded daily email limit for the operation or the account.',
    );
    expect(code(quota, 'SignUp')).toBe('DELIVERY_FAILED');
    const other = translateCognitoError(
      cognito('LimitExceededException', 'Attempt limit exceeded.'),
      'SignUp',
    );
    expect(other).toMatchObject({ code: 'UPSTREAM_UNAVAILABLE', retryAfterSeconds: 60 });
  });

  test('refusals by Cognito carry retryAfterSeconds', () => {
    expect(translateCognitoError(cognito('TooManyRequestsException'), 'InitiateAuth')).toMatchObject({
      code: 'UPSTREAM_UNAVAILABLE',
      retryAfterSeconds: 1,
    });
    expect(translateCognitoError(cognito('TooManyFailedAttemptsException'), 'ConfirmSignUp')).toMatchObject({
      code: 'TOO_MANY_ATTEMPTS',
      retryAfterSeconds: 60,
    });
  });

  test('NotAuthorizedException means something different in each step', () => {
    const expired = cognito('NotAuthorizedException', 'Invalid session for the user, session is expired.');
    expect(code(expired, 'RespondToAuthChallenge')).toBe('CODE_EXPIRED');
    expect(code(expired, 'AutoSignIn')).toBe('signal:SESSION_REJECTED');
    expect(code(expired, 'ConfirmSignUp')).toBe('signal:SESSION_REJECTED');
    const lockout = cognito('NotAuthorizedException', 'Password attempts exceeded');
    // Cognito's lockout must not tell a real account from an unknown one (see notAuthorized).
    expect(code(lockout, 'RespondToAuthChallenge')).toBe('CODE_MISMATCH');
    expect(code(lockout, 'InitiateAuth')).toBe('signal:LOCKED_OUT');
    expect(code(cognito('NotAuthorizedException', 'User is disabled.'), 'InitiateAuth')).toBe(
      'signal:UNKNOWN_USER',
    );
    const confirmed = cognito(
      'NotAuthorizedException',
      'User cannot be confirmed. Current status is CONFIRMED',
    );
    expect(code(confirmed, 'ConfirmSignUp')).toBe('SESSION_EXPIRED');
    const revoked = cognito('NotAuthorizedException', 'Refresh Token has been revoked');
    expect(code(revoked, 'GetTokensFromRefreshToken')).toBe('UNAUTHENTICATED');
    expect(code(revoked, 'RevokeToken')).toBe('UNAUTHENTICATED');
    expect(code(cognito('NotAuthorizedException', 'Access Token has expired'), 'GlobalSignOut')).toBe(
      'UNAUTHENTICATED',
    );
    expect(code(cognito('NotAuthorizedException', 'SignUp is not permitted'), 'SignUp')).toBe(
      'INTERNAL_SERVER_ERROR',
    );
  });

  test('a NotAuthorizedException about the app client is our misconfiguration in every step', () => {
    const steps: CognitoStep[] = [
      'SignUp',
      'InitiateAuth',
      'RespondToAuthChallenge',
      'GetTokensFromRefreshToken',
    ];
    for (const step of steps) {
      expect(
        code(cognito('NotAuthorizedException', 'Unable to verify secret hash for client abc'), step),
      ).toBe('INTERNAL_SERVER_ERROR');
    }
  });

  test('unknown, unconfirmed users: a signal when signing in, else per step', () => {
    expect(code(cognito('UserNotFoundException'), 'InitiateAuth')).toBe('signal:UNKNOWN_USER');
    expect(code(cognito('UserNotConfirmedException'), 'InitiateAuth')).toBe('signal:USER_NOT_CONFIRMED');
    expect(code(cognito('UserNotConfirmedException'), 'RespondToAuthChallenge')).toBe('SESSION_EXPIRED');
    expect(code(cognito('UserNotFoundException'), 'ConfirmSignUp')).toBe('SESSION_EXPIRED');
    expect(code(cognito('UserNotFoundException'), 'ResendConfirmationCode')).toBe('SESSION_EXPIRED');
    expect(code(cognito('UserNotFoundException'), 'GlobalSignOut')).toBe('UNAUTHENTICATED');
    expect(translateCognitoError(cognito('UserNotFoundException'), 'InitiateAuth')).toBeInstanceOf(
      CognitoSignal,
    );
  });

  test('InvalidParameterException about the user input is BAD_USER_INPUT with the field', () => {
    const phone = translateCognitoError(
      cognito('InvalidParameterException', 'Invalid phone number format.'),
      'SignUp',
    );
    expect(phone).toMatchObject({ code: 'BAD_USER_INPUT', field: 'phoneNumber' });
    const email = translateCognitoError(
      cognito('InvalidParameterException', 'Invalid email address format.'),
      'SignUp',
    );
    expect(email).toMatchObject({ code: 'BAD_USER_INPUT', field: 'email' });
    const config = cognito('InvalidParameterException', 'USER_AUTH flow not enabled for this client');
    expect(code(config, 'InitiateAuth')).toBe('INTERNAL_SERVER_ERROR');
    expect(
      code(cognito('InvalidParameterException', 'User is already confirmed.'), 'ResendConfirmationCode'),
    ).toBe('SESSION_EXPIRED');
  });

  test('failures below the protocol are UPSTREAM_UNAVAILABLE', () => {
    const abort = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    expect(code(abort)).toBe('UPSTREAM_UNAVAILABLE');
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    expect(code(timeout)).toBe('UPSTREAM_UNAVAILABLE');
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' });
    expect(code(refused)).toBe('UPSTREAM_UNAVAILABLE');
    const badGateway = Object.assign(new Error('Unexpected token <'), { $metadata: { httpStatusCode: 502 } });
    expect(code(badGateway)).toBe('UPSTREAM_UNAVAILABLE');
    expect(code(cognito('BrandNewServerFault', 'boom', 'server'))).toBe('UPSTREAM_UNAVAILABLE');
  });

  test('anything else is INTERNAL_SERVER_ERROR, with the original as cause', () => {
    const bug = new TypeError('x is undefined');
    const out = translateCognitoError(bug, 'SignUp');
    expect(out).toMatchObject({ code: 'INTERNAL_SERVER_ERROR', cause: bug });
    expect(code('a string')).toBe('INTERNAL_SERVER_ERROR');
    expect(code(undefined)).toBe('INTERNAL_SERVER_ERROR');
  });

  test('messages never carry the Cognito name or message', () => {
    const out = translateCognitoError(
      cognito('UsernameExistsException', 'An account with the given email already exists: yuki@example.com'),
      'SignUp',
    ) as OtpError;
    expect(out.message).not.toMatch(/Exception|yuki|@/);
  });

  test('cognitoErrorName knows service errors only', () => {
    expect(cognitoErrorName(cognito('CodeMismatchException'))).toBe('CodeMismatchException');
    expect(cognitoErrorName(new Error('plain'))).toBeUndefined();
  });
});
