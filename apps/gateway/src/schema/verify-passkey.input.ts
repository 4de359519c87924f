import 'reflect-metadata';
import { Field, ID, InputType } from 'type-graphql';
import { JSONScalar } from './json.scalar.js';

@InputType('VerifyPasskeyInput')
export class VerifyPasskeyInput {
  @Field(() => ID)
  handle!: string;

  /** The AuthenticationResponseJSON from navigator.credentials.get. */
  @Field(() => JSONScalar)
  credential!: Record<string, unknown>;
}
