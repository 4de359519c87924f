import {
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
} from '@aws-sdk/client-cognito-identity-provider';

/** What the engine sends too: the end user's IP, for Cognito's threat protection. */
const USER_CONTEXT = { IpAddress: '127.0.0.1' };

/** InitiateAuth as the engine's startSignIn makes it: USER_AUTH, EMAIL_OTP preferred. */
export function emailOtpStart(clientId: string, email: string): InitiateAuthCommand {
  return new InitiateAuthCommand({
    AuthFlow: 'USER_AUTH',
    ClientId: clientId,
    AuthParameters: { USERNAME: email, PREFERRED_CHALLENGE: 'EMAIL_OTP' },
    UserContextData: USER_CONTEXT,
  });
}

/** RespondToAuthChallenge as the engine's verifyOtp makes it. */
export function emailOtpAnswer(
  clientId: string,
  session: string,
  email: string,
  code: string,
): RespondToAuthChallengeCommand {
  return new RespondToAuthChallengeCommand({
    ClientId: clientId,
    ChallengeName: 'EMAIL_OTP',
    Session: session,
    ChallengeResponses: { USERNAME: email, EMAIL_OTP_CODE: code },
    UserContextData: USER_CONTEXT,
  });
}
