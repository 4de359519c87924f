import 'reflect-metadata';
import { Field, ObjectType } from 'type-graphql';
import { AuthTokens } from './auth-tokens.type.js';
import { Challenge } from './challenge.type.js';
import { AuthNextStep } from './enums.js';

@ObjectType('AuthStep', { description: 'Every flow mutation answers with the next step.' })
export class AuthStep {
  @Field(() => AuthNextStep)
  nextStep!: AuthNextStep;

  /** Set unless nextStep is DONE. */
  @Field(() => Challenge, { nullable: true })
  challenge!: Challenge | null;

  /** Set when nextStep is DONE. */
  @Field(() => AuthTokens, { nullable: true })
  tokens!: AuthTokens | null;
}
