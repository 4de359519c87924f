import 'reflect-metadata';
import { Field, ObjectType } from 'type-graphql';
import { DeliveryMedium } from './enums.js';

@ObjectType('CodeDelivery')
export class CodeDelivery {
  @Field(() => DeliveryMedium)
  medium!: DeliveryMedium;

  /** Masked, e.g. "y***@e***" or "+*******5678". */
  @Field(() => String)
  destination!: string;
}
