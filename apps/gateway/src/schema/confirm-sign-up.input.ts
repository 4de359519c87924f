import 'reflect-metadata';
import { Field, ID, InputType } from 'type-graphql';

@InputType('ConfirmSignUpInput')
export class ConfirmSignUpInput {
  @Field(() => ID)
  handle!: string;

  @Field(() => String)
  code!: string;
}
