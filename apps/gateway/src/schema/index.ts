import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchemaSync } from 'type-graphql';
import { AuthResolver } from './auth.resolver.js';
import { validateInputLengths } from './input-limits.js';
import { MeResolver } from './me.resolver.js';
import { PasskeyResolver } from './passkey.resolver.js';

/**
 * The gateway's schema, exactly docs/API.md section 1 (checked by schema.test.ts against the committed
 * schema.graphql and against docs/API.md itself).
 */
export function buildGatewaySchema(): GraphQLSchema {
  return buildSchemaSync({
    resolvers: [AuthResolver, MeResolver, PasskeyResolver],
    // Input length caps before any resolver runs; class-validator is not used.
    validate: false,
    validateFn: validateInputLengths,
  });
}
