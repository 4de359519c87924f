import 'reflect-metadata';
import { Field, ID, ObjectType } from 'type-graphql';
import { DateTime } from './date-time.scalar.js';

@ObjectType('Passkey')
export class Passkey {
  /** The credential id (base64url). */
  @Field(() => ID)
  id!: string;

  /** Cognito's friendly name for it. */
  @Field(() => String)
  name!: string;

  @Field(() => DateTime)
  createdAt!: Date;

  /** platform | cross-platform, when the authenticator said. */
  @Field(() => String, { nullable: true })
  attachment!: string | null;
}
