import { GraphQLScalarType } from 'graphql';
import { GraphQLDateTime } from 'graphql-scalars';

/**
 * graphql-scalars' DateTime (ISO-8601 in UTC: `2026-01-01T10:00:00.000Z`) without its description, so
 * the printed schema is exactly docs/API.md's bare `scalar DateTime`.
 */
export const DateTime = new GraphQLScalarType({ ...GraphQLDateTime.toConfig(), description: undefined });
