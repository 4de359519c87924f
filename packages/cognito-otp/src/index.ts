// The public surface of @otpgate/cognito-otp. Test helpers: @otpgate/testing.

export { type CognitoClientOptions, createCognitoClient } from './cognito/client.js';
export { createOtpEngine, type OtpEngine } from './engine.js';
export {
  isOtpError,
  type LimitScope,
  OTP_ERROR_CODES,
  OtpConfigError,
  OtpError,
  type OtpErrorCode,
  type OtpErrorDetails,
} from './errors.js';
export {
  DEFAULT_LIMITS,
  type LimitRule,
  type LimitsConfig,
  MAX_WRONG_CODES_PER_HANDLE,
  validateLimits,
} from './limits/limits.js';
export {
  type OtpEngineOptions,
  type OtpLogEntry,
  type OtpLogger,
  PROFILE_NAME,
  PROFILE_OPTION_KEYS,
  type ProfileOptions,
  type ValidatedProfileOptions,
  validateProfileOptions,
} from './options.js';
export { createMemoryStore, type MemoryStoreOptions } from './store/memory-store.js';
export {
  createRedisStore,
  FAIL_FAST_CLUSTER_OPTIONS,
  FAIL_FAST_REDIS_OPTIONS,
  type RedisStoreOptions,
} from './store/redis-store.js';
export type { OtpStore } from './store/types.js';
export type {
  AuthNextStep,
  AuthStep,
  AuthTokens,
  Challenge,
  CodeDelivery,
  CompletePasskeyRegistrationInput,
  ConfirmSignUpInput,
  DeletePasskeyInput,
  DeliveryMedium,
  GetUserInput,
  JsonObject,
  OtpChannel,
  Passkey,
  PasskeyTokenInput,
  RefreshTokensInput,
  RequestContext,
  ResendOtpInput,
  SignInMethod,
  SignOutInput,
  SignUpInput,
  StartSignInInput,
  User,
  VerifyOtpInput,
  VerifyPasskeyInput,
} from './types.js';
