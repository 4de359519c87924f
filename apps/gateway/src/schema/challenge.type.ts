import 'reflect-metadata';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { CodeDelivery } from './code-delivery.type.js';
import { DateTime } from './date-time.scalar.js';

@ObjectType('Challenge')
export class Challenge {
  /** Opaque; the only thing the client keeps between steps. */
  @Field(() => ID)
  handle!: string;

  @Field(() => CodeDelivery)
  delivery!: CodeDelivery;

  /** 6 for CONFIRM_SIGN_UP, 8 for sign-in codes. */
  @Field(() => Int)
  codeLength!: number;

  /** After this the handle is gone: start again. */
  @Field(() => DateTime)
  expiresAt!: Date;

  /** resendOtp before this answers RATE_LIMITED. */
  @Field(() => DateTime)
  resendAvailableAt!: Date;
}
