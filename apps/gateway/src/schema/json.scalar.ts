import { GraphQLScalarType } from 'graphql';
import { GraphQLJSON } from 'graphql-scalars';

/**
 * graphql-scalars' JSON (any JSON value; here WebAuthn's options and responses in their W3C JSON
 * forms) without its description, so the printed schema is the contract's bare `scalar JSON`.
 */
export const JSONScalar = new GraphQLScalarType({
  ...GraphQLJSON.toConfig(),
  description: undefined,
  specifiedByURL: undefined,
});
