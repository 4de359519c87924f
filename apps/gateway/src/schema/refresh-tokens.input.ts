import 'reflect-metadata';
import { Field, InputType } from 'type-graphql';

@InputType('RefreshTokensInput')
export class RefreshTokensInput {
  /** May come from the profile's cookie instead. */
  @Field(() => String, { nullable: true })
  refreshToken?: string | null;
}
