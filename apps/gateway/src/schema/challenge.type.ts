import 'reflect-metadata';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { CodeDelivery } from './code-delivery.type.js';
import { DateTime } from './date-time.scalar.js';
import { JSONScalar } from './json.scalar.js';

@ObjectType('Challenge')
export class Challenge {
  /** Opaque; the only thing the client keeps between steps. */
  @Field(() => ID)
  handle!: string;

  /** Where the code went; null for a passkey sign-in. */
  @Field(() => CodeDelivery, { nullable: true })
  delivery!: CodeDelivery | null;

  /** PublicKeyCredentialRequestOptionsJSON for CONFIRM_SIGN_IN_WITH_PASSKEY. */
  @Field(() => JSONScalar, { nullable: true })
  credentialRequestOptions?: Record<string, unknown> | null;

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
