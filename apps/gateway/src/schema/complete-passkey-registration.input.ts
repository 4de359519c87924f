import 'reflect-metadata';
import { Field, InputType } from 'type-graphql';
import { JSONScalar } from './json.scalar.js';

@InputType('CompletePasskeyRegistrationInput')
export class CompletePasskeyRegistrationInput {
  /** The RegistrationResponseJSON from navigator.credentials.create. */
  @Field(() => JSONScalar)
  credential!: Record<string, unknown>;
}
