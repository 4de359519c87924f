import 'reflect-metadata';
import { Field, InputType } from 'type-graphql';

@InputType('SignUpInput')
export class SignUpInput {
  @Field(() => String)
  email!: string;

  /** E.164. */
  @Field(() => String, { nullable: true })
  phoneNumber?: string | null;

  /** BCP-47, passed to Cognito as ClientMetadata for message templates. */
  @Field(() => String, { nullable: true })
  locale?: string | null;
}
