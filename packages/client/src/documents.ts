/**
 * The operation documents the client sends, one per contract operation. Exported so a team on Apollo
 * Client, urql or plain fetch can send the very same documents. Each auth mutation is alone in its
 * document and unaliased: the gateway refuses anything else (docs/API.md section 2).
 */

/** Every field of AuthStep: a frontend needs all of them to render the next screen. */
const STEP_FIELDS = `nextStep
    challenge {
      handle
      codeLength
      expiresAt
      resendAvailableAt
      delivery { medium destination }
    }
    tokens { accessToken idToken refreshToken expiresIn tokenType }`;

const stepMutation = (name: string, field: string, input: string) =>
  `mutation ${name}($input: ${input}!) {
  ${field}(input: $input) {
    ${STEP_FIELDS}
  }
}`;

export const documents = {
  signUp: stepMutation('SignUp', 'signUp', 'SignUpInput'),
  confirmSignUp: stepMutation('ConfirmSignUp', 'confirmSignUp', 'ConfirmSignUpInput'),
  startSignIn: stepMutation('StartSignIn', 'startSignIn', 'StartSignInInput'),
  verifyOtp: stepMutation('VerifyOtp', 'verifyOtp', 'VerifyOtpInput'),
  resendOtp: stepMutation('ResendOtp', 'resendOtp', 'ResendOtpInput'),
  refreshTokens: stepMutation('RefreshTokens', 'refreshTokens', 'RefreshTokensInput'),
  signOut: `mutation SignOut($input: SignOutInput!) {
  signOut(input: $input)
}`,
  me: `query Me {
  me { sub email emailVerified phoneNumber }
}`,
} as const;

export type OperationName = keyof typeof documents;
