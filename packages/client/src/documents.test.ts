import { readFileSync } from 'node:fs';
import {
  buildSchema,
  extendSchema,
  GraphQLEnumType,
  Kind,
  type OperationDefinitionNode,
  parse,
  validate,
} from 'graphql';
import { describe, expect, it } from 'vitest';
import { documents, ROOT_FIELDS } from './documents.js';
import { AUTH_NEXT_STEPS } from './types.js';

// The gateway's committed schema: CI fails here when the client's hand-written documents or types drift
// from it (the gateway regenerates it with `schema:emit`).
const committed = buildSchema(
  readFileSync(new URL('../../../apps/gateway/schema.graphql', import.meta.url), 'utf8'),
);

// The passkey additions of the contract (docs: API section 1b), for as long as the committed schema
// lacks them: the client is built ahead of the gateway. Once the gateway serves `verifyPasskey`, the
// committed schema alone is checked and this extension is unused.
const PASSKEY_CONTRACT = `
scalar JSON
extend enum AuthNextStep { CONFIRM_SIGN_IN_WITH_PASSKEY }
enum SignInMethod { EMAIL_CODE SMS_CODE PASSKEY }
extend type Challenge { credentialRequestOptions: JSON }
type Passkey { id: ID! name: String! createdAt: DateTime! attachment: String }
extend input StartSignInInput { method: SignInMethod }
input VerifyPasskeyInput { handle: ID! credential: JSON! }
input CompletePasskeyRegistrationInput { credential: JSON! }
extend type Query { passkeys: [Passkey!]! }
extend type Mutation {
  verifyPasskey(input: VerifyPasskeyInput!): AuthStep!
  startPasskeyRegistration: JSON!
  completePasskeyRegistration(input: CompletePasskeyRegistrationInput!): Passkey!
  deletePasskey(id: ID!): Boolean!
}`;
const schema = committed.getMutationType()?.getFields().verifyPasskey
  ? committed
  : extendSchema(committed, parse(PASSKEY_CONTRACT));

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
      expect(field?.kind === Kind.FIELD && field.name.value).toBe(
        ROOT_FIELDS[name as keyof typeof documents] ?? name,
      );
    }
  });

  it('covers every root field of the schema', () => {
    const roots = [
      ...Object.keys(schema.getMutationType()?.getFields() ?? {}),
      ...Object.keys(schema.getQueryType()?.getFields() ?? {}),
    ];
    const fields = Object.keys(documents).map((name) => ROOT_FIELDS[name as keyof typeof documents] ?? name);
    expect([...new Set(fields)].sort()).toEqual(roots.sort());
  });

  it('AuthNextStep values are the schema enum', () => {
    const type = schema.getType('AuthNextStep');
    expect(type).toBeInstanceOf(GraphQLEnumType);
    const values = (type as GraphQLEnumType).getValues().map((value) => value.name);
    expect([...AUTH_NEXT_STEPS].sort()).toEqual(values.sort());
  });
});
