import 'reflect-metadata';
import { Field, InputType } from 'type-graphql';
import { OtpChannel } from './enums.js';

/** Exactly one of `email` and `phoneNumber` (the engine answers BAD_USER_INPUT otherwise). */
@InputType('StartSignInInput')
export class StartSignInInput {
  @Field(() => String, { nullable: true })
  email?: string | null;

  @Field(() => String, { nullable: true })
  phoneNumber?: string | null;

  @Field(() => OtpChannel, { nullable: true, defaultValue: OtpChannel.EMAIL })
  channel?: OtpChannel | null;
}
