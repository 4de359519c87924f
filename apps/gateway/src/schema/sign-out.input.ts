import 'reflect-metadata';
import { Field, InputType } from 'type-graphql';

@InputType('SignOutInput')
export class SignOutInput {
  /** May come from the profile's cookie instead. */
  @Field(() => String, { nullable: true })
  refreshToken?: string | null;

  /** Also GlobalSignOut: needs the access token in `Authorization: Bearer`. */
  @Field(() => Boolean, { nullable: true, defaultValue: false })
  global?: boolean | null;
}
