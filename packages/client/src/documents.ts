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

const stepMutation = (name: string, field: string, input: string, fields = STEP_FIELDS) =>
  `mutation ${name}($input: ${input}!) {
  ${field}(input: $input) {
    ${fields}
  }
}`;

/**
 * The passkey steps also select `credentialRequestOptions`. The code flows do not, so they keep working
 * against a gateway without passkeys.
 */
const PASSKEY_STEP_FIELDS = STEP_FIELDS.replace('codeLength', 'codeLength\n      credentialRequestOptions');

const PASSKEY_FIELDS = 'id name createdAt attachment';

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
  /** `startSignIn` with `method: PASSKEY`. */
  startPasskeySignIn: stepMutation(
    'StartPasskeySignIn',
    'startSignIn',
    'StartSignInInput',
    PASSKEY_STEP_FIELDS,
  ),
  verifyPasskey: stepMutation('VerifyPasskey', 'verifyPasskey', 'VerifyPasskeyInput', PASSKEY_STEP_FIELDS),
  startPasskeyRegistration: `mutation StartPasskeyRegistration {
  startPasskeyRegistration
}`,
  completePasskeyRegistration: `mutation CompletePasskeyRegistration($input: CompletePasskeyRegistrationInput!) {
  completePasskeyRegistration(input: $input) { ${PASSKEY_FIELDS} }
}`,
  passkeys: `query Passkeys {
  passkeys { ${PASSKEY_FIELDS} }
}`,
  deletePasskey: `mutation DeletePasskey($id: ID!) {
  deletePasskey(id: $id)
}`,
} as const;

/** Documents whose root field is not named after the document: `startPasskeySignIn` is `startSignIn`. */
export const ROOT_FIELDS: Partial<Record<keyof typeof documents, string>> = {
  startPasskeySignIn: 'startSignIn',
};

export type OperationName = keyof typeof documents;
