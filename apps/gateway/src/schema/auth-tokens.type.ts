import 'reflect-metadata';
import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType('AuthTokens')
export class AuthTokens {
  @Field(() => String)
  accessToken!: string;

  @Field(() => String)
  idToken!: string;

  /** Null when the client profile keeps it in an httpOnly cookie, or when Cognito did not rotate it. */
  @Field(() => String, { nullable: true })
  refreshToken!: string | null;

  /** Seconds. */
  @Field(() => Int)
  expiresIn!: number;

  /** Always "Bearer". */
  @Field(() => String)
  tokenType!: string;
}
