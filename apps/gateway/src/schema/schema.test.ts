import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ApolloServer } from '@apollo/server';
import { buildSchema, GraphQLSchema, lexicographicSortSchema, parse, printSchema, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildGatewaySchema } from './index.js';
import { printGatewaySchema } from './print.js';

const appRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const repoRoot = resolve(appRoot, '../..');

/**
 * The SDL blocks of docs/API.md sections 1 and 1b (passkeys, which extends Query and Mutation), as one
 * document: the contract as the repository documents it.
 */
function contractSdl(): string {
  const apiMd = readFileSync(resolve(repoRoot, 'docs/API.md'), 'utf8');
  const block = /## 1\.[\s\S]*?```graphql\n([\s\S]*?)```/.exec(apiMd)?.[1];
  if (!block) throw new Error('no graphql block in section 1 of docs/API.md');
  const passkeys = /## 1b\.[\s\S]*?```graphql\n([\s\S]*?)```/.exec(apiMd)?.[1];
  if (!passkeys) throw new Error('no graphql block in section 1b of docs/API.md');
  return `${block}\n${passkeys}`;
}

const canonical = (schema: GraphQLSchema) => printSchema(lexicographicSortSchema(schema));

describe('schema', () => {
  it('matches the committed schema.graphql (run `pnpm --filter @otpgate/gateway schema:emit` after a change)', () => {
    const committed = readFileSync(resolve(appRoot, 'schema.graphql'), 'utf8');
    expect(printGatewaySchema()).toBe(committed);
  });

  it('is the SDL of docs/API.md section 1: types, fields, nullability, defaults, descriptions', () => {
    const committed = readFileSync(resolve(appRoot, 'schema.graphql'), 'utf8');
    expect(canonical(buildSchema(committed))).toBe(canonical(buildSchema(contractSdl())));
  });

  it('accepts every document of operations.graphql', () => {
    const document = parse(readFileSync(resolve(appRoot, 'operations.graphql'), 'utf8'));
    expect(validate(buildGatewaySchema(), document)).toEqual([]);
  });

  it('is built with the one graphql module Apollo Server uses', async () => {
    const schema = buildGatewaySchema();
    expect(schema).toBeInstanceOf(GraphQLSchema);
    // Apollo validates the schema with its own `graphql` import: a second copy fails here with
    // "Cannot use GraphQLSchema … from another module or realm".
    const server = new ApolloServer({ schema });
    await server.start();
    const result = await server.executeOperation({ query: '{ __typename }' });
    await server.stop();
    expect(result.body.kind === 'single' && result.body.singleResult.errors).toBeUndefined();
  });
});
