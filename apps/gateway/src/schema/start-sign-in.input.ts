import 'reflect-metadata';
import { Field, InputType } from 'type-graphql';
import { OtpChannel, SignInMethod } from './enums.js';

/** Exactly one of `email` and `phoneNumber` (the engine answers BAD_USER_INPUT otherwise). */
@InputType('StartSignInInput')
export class StartSignInInput {
  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true })
  phoneNumber?: string | null;

  @Field(() => OtpChannel, { nullable: true, defaultValue: OtpChannel.EMAIL })
  channel?: OtpChannel | null;

  /** PASSKEY for a WebAuthn challenge; default: the channel's code. */
  @Field(() => SignInMethod, { nullable: true })
  method?: SignInMethod | null;
}
