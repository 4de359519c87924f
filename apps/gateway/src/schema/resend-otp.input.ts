import 'reflect-metadata';
import { Field, ID, InputType } from 'type-graphql';

@InputType('ResendOtpInput')
export class ResendOtpInput {
  @Field(() => ID)
  handle!: string;
}
