import 'reflect-metadata';
import { Field, ID, InputType } from 'type-graphql';

@InputType('VerifyOtpInput')
export class VerifyOtpInput {
  @Field(() => ID)
  handle!: string;

  @Field(() => String)
  code!: string;
}
