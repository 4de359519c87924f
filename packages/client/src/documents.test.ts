import { readFileSync } from 'node:fs';
import { buildSchema, GraphQLEnumType, Kind, type OperationDefinitionNode, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { documents } from './documents.js';
import { AUTH_NEXT_STEPS } from './types.js';

// The gateway's committed schema: CI fails here when the client's hand-written documents or types drift
// from it (the gateway regenerates it with `schema:emit`).
const schema = buildSchema(
  readFileSync(new URL('../../../apps/gateway/schema.graphql', import.meta.url), 'utf8'),
);

describe('documents against apps/gateway/schema.graphql', () => {
  it.each(Object.entries(documents))('%s parses and validates', (_name, source) => {
    const document = parse(source);
    expect(validate(schema, document).map((error) => error.message)).toEqual([]);
  });

  it('one operation per document, each selecting one unaliased root field named after the method', () => {
    for (const [name, source] of Object.entries(documents)) {
      const [operation, ...rest] = parse(source).definitions as OperationDefinitionNode[];
      expect(rest).toEqual([]);
      expect(operation?.kind).toBe(Kind.OPERATION_DEFINITION);
      const selections = operation?.selectionSet.selections ?? [];
      expect(selections).toHaveLength(1);
      const field = selections[0];
      expect(field?.kind === Kind.FIELD && field.alias).toBeFalsy();
      expect(field?.kind === Kind.FIELD && field.name.value).toBe(name);
    }
  });

  it('covers every root field of the schema', () => {
    const roots = [
      ...Object.keys(schema.getMutationType()?.getFields() ?? {}),
      ...Object.keys(schema.getQueryType()?.getFields() ?? {}),
    ];
    expect(Object.keys(documents).sort()).toEqual(roots.sort());
  });

  it('AuthNextStep values are the schema enum', () => {
    const type = schema.getType('AuthNextStep');
    expect(type).toBeInstanceOf(GraphQLEnumType);
    const values = (type as GraphQLEnumType).getValues().map((value) => value.name);
    expect([...AUTH_NEXT_STEPS].sort()).toEqual(values.sort());
  });
});
