import 'reflect-metadata';
import { Field, ID, ObjectType } from 'type-graphql';

@ObjectType('User')
export class User {
  @Field(() => ID)
  sub!: string;

  @Field(() => String, { nullable: true })
  email!: string | null;

  @Field(() => Boolean, { nullable: true })
  emailVerified!: boolean | null;

  @Field(() => String, { nullable: true })
  phoneNumber!: string | null;
}
