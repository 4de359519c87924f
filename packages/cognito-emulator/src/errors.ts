/**
 * A Cognito service error as the JSON 1.1 protocol carries it: `{"__type": name, "message": ...}`.
 * The SDK reads the exception name from `__type`, so the HTTP status matters little; we still use
 * the statuses Cognito uses (see docs/COGNITO.md, "Wire protocol").
 */
export class CognitoError extends Error {
  readonly type: string;
  readonly status: number;

  constructor(type: string, message: string, status?: number) {
    super(message);
    this.name = type;
    this.type = type;
    this.status = status ?? statusFor(type);
  }
}

function statusFor(type: string): number {
  switch (type) {
    case 'TooManyRequestsException':
      return 429;
    case 'InternalErrorException':
      return 500;
    case 'UnauthorizedException':
      return 401;
    default:
      return 400;
  }
}

export const invalidParameter = (message: string) => new CognitoError('InvalidParameterException', message);
export const notAuthorized = (message: string) => new CognitoError('NotAuthorizedException', message);
export const resourceNotFound = (message: string) => new CognitoError('ResourceNotFoundException', message);
export const userNotFound = (message = 'User does not exist.') =>
  new CognitoError('UserNotFoundException', message);

/** Cognito's wording for an expired, reused or unknown Session. */
export const invalidSession = () => notAuthorized('Invalid session for the user, session is expired.');
