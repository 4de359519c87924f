import { registerEnumType } from 'type-graphql';

// `as const` objects, not TypeScript enums: the values are the engine's string unions, so
// engine results pass through without conversion.

export const DeliveryMedium = { EMAIL: 'EMAIL', SMS: 'SMS' } as const;
export type DeliveryMedium = (typeof DeliveryMedium)[keyof typeof DeliveryMedium];
registerEnumType(DeliveryMedium, { name: 'DeliveryMedium' });

export const OtpChannel = { EMAIL: 'EMAIL', SMS: 'SMS' } as const;
export type OtpChannel = (typeof OtpChannel)[keyof typeof OtpChannel];
registerEnumType(OtpChannel, { name: 'OtpChannel' });

export const SignInMethod = { EMAIL_CODE: 'EMAIL_CODE', SMS_CODE: 'SMS_CODE', PASSKEY: 'PASSKEY' } as const;
export type SignInMethod = (typeof SignInMethod)[keyof typeof SignInMethod];
registerEnumType(SignInMethod, { name: 'SignInMethod' });

export const AuthNextStep = {
  CONFIRM_SIGN_UP: 'CONFIRM_SIGN_UP',
  CONFIRM_SIGN_IN_WITH_EMAIL_CODE: 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE',
  CONFIRM_SIGN_IN_WITH_SMS_CODE: 'CONFIRM_SIGN_IN_WITH_SMS_CODE',
  CONFIRM_SIGN_IN_WITH_PASSKEY: 'CONFIRM_SIGN_IN_WITH_PASSKEY',
  DONE: 'DONE',
} as const;
export type AuthNextStep = (typeof AuthNextStep)[keyof typeof AuthNextStep];
registerEnumType(AuthNextStep, {
  name: 'AuthNextStep',
  description:
    'What the client must do next. Names follow the vocabulary frontends already know from Amplify.',
});
