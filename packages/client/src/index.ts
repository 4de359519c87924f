// The public surface of @otpgate/client: a typed client for the otpgate GraphQL contract (docs/API.md).

export { createOtpgateClient, type OtpgateClient, type OtpgateClientOptions } from './client.js';
export { documents, type OperationName } from './documents.js';
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
  type RefreshTokensInput,
  type ResendOtpInput,
  type SignOutInput,
  type SignUpInput,
  type StartSignInInput,
  type User,
  type VerifyOtpInput,
} from './types.js';
