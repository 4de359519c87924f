/** The documents the integration tests send, as a frontend would. */

export const STEP = `nextStep
  challenge { handle codeLength expiresAt resendAvailableAt delivery { medium destination } }
  tokens { accessToken idToken refreshToken expiresIn tokenType }`;

export const SIGN_UP = `mutation SignUp($input: SignUpInput!) { signUp(input: $input) { ${STEP} } }`;
export const CONFIRM_SIGN_UP = `mutation ConfirmSignUp($input: ConfirmSignUpInput!) { confirmSignUp(input: $input) { ${STEP} } }`;
export const START_SIGN_IN = `mutation StartSignIn($input: StartSignInInput!) { startSignIn(input: $input) { ${STEP} } }`;
export const VERIFY_OTP = `mutation VerifyOtp($input: VerifyOtpInput!) { verifyOtp(input: $input) { ${STEP} } }`;
export const RESEND_OTP = `mutation ResendOtp($input: ResendOtpInput!) { resendOtp(input: $input) { ${STEP} } }`;
export const REFRESH_TOKENS = `mutation RefreshTokens($input: RefreshTokensInput!) { refreshTokens(input: $input) { ${STEP} } }`;
export const SIGN_OUT = 'mutation SignOut($input: SignOutInput!) { signOut(input: $input) }';
export const ME = 'query Me { me { sub email emailVerified phoneNumber } }';

export interface StepData {
  nextStep: string;
  challenge: {
    handle: string;
    codeLength: number;
    expiresAt: string;
    resendAvailableAt: string;
    delivery: { medium: string; destination: string };
  } | null;
  tokens: {
    accessToken: string;
    idToken: string;
    refreshToken: string | null;
    expiresIn: number;
    tokenType: string;
  } | null;
}

/** Limits loose enough for several flows on one address within seconds (the defaults allow 1 send / 30 s). */
export const TEST_LIMITS = {
  sendPerDestination: [{ points: 50, durationSeconds: 60 }],
  sendPerIp: [{ points: 500, durationSeconds: 60 }],
};
