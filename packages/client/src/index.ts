// The public surface of @otpgate/client: a typed client for the otpgate GraphQL contract (docs/API.md).

export { createOtpgateClient, type OtpgateClient, type OtpgateClientOptions } from './client.js';
export { documents, type OperationName, ROOT_FIELDS } from './documents.js';
export {
  type ContractErrorCode,
  isOtpgateError,
  type LimitScope,
  OTPGATE_ERROR_CODES,
  OtpgateError,
  type OtpgateErrorCode,
  type OtpgateErrorDetails,
} from './errors.js';
export { createMemoryTokenStore, type TokenStore } from './token-store.js';
export type { FetchLike, TransportOptions } from './transport.js';
export {
  AUTH_NEXT_STEPS,
  type AuthNextStep,
  type AuthStep,
  type AuthTokens,
  type Challenge,
  type CodeDelivery,
  type CodeStep,
  type ConfirmSignUpInput,
  type DeliveryMedium,
  type OtpChannel,
  type Passkey,
  type PasskeyChallenge,
  type PasskeySignInStep,
  type RefreshTokensInput,
  type ResendOtpInput,
  type SignInMethod,
  type SignOutInput,
  type SignUpInput,
  type StartPasskeySignInInput,
  type StartSignInInput,
  type User,
  type VerifyOtpInput,
  type VerifyPasskeyInput,
} from './types.js';
export {
  type AuthenticationResponseJSON,
  base64urlToBuffer,
  bufferToBase64url,
  type CredentialCreationOptionsJSON,
  type CredentialDescriptorJSON,
  type CredentialRequestOptionsJSON,
  type CredentialsContainerLike,
  createPasskey,
  getPasskey,
  isPasskeyError,
  PASSKEY_ERROR_CODES,
  type PasskeyCeremonyOptions,
  PasskeyError,
  type PasskeyErrorCode,
  passkeysSupported,
  type RegistrationResponseJSON,
} from './webauthn.js';
