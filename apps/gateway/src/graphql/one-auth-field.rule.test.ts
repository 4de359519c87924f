import { parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildGatewaySchema } from '../schema/index.js';
import { oneAuthFieldRule } from './one-auth-field.rule.js';

const schema = buildGatewaySchema();
const errorsOf = (document: string) => validate(schema, parse(document), [oneAuthFieldRule]);

describe('oneAuthFieldRule', () => {
  it('allows one auth mutation or one me, with __typename beside it', () => {
    expect(
      errorsOf('mutation { verifyOtp(input: { handle: "h", code: "1" }) { nextStep } __typename }'),
    ).toEqual([]);
    expect(errorsOf('query { me { sub } __typename }')).toEqual([]);
    expect(errorsOf('query { ...A } fragment A on Query { me { sub } }')).toEqual([]);
    // Guarded sets are per operation type: a query and a mutation of one document each hold theirs.
    expect(errorsOf('query Q { me { sub } } mutation M { signOut(input: {}) }')).toEqual([]);
  });

  it.each([
    [
      'two fields',
      'mutation { verifyOtp(input: { handle: "h", code: "1" }) { nextStep } resendOtp(input: { handle: "h" }) { nextStep } }',
    ],
    ['the same field twice', 'mutation { signOut(input: {}) signOut(input: {}) }'],
    ['an alias', 'mutation { a: verifyOtp(input: { handle: "h", code: "1" }) { nextStep } }'],
    [
      'an alias equal to the name',
      'mutation { verifyOtp: verifyOtp(input: { handle: "h", code: "1" }) { nextStep } }',
    ],
    [
      'fields hidden in fragments',
      'mutation { ...A ... on Mutation { verifyOtp(input: { handle: "h", code: "2" }) { nextStep } } } fragment A on Mutation { verifyOtp(input: { handle: "h", code: "1" }) { nextStep } }',
    ],
    ['a field under @skip', 'mutation { signOut(input: {}) signOut(input: {}) @skip(if: true) }'],
    ['me twice', 'query { me { sub } me { email } }'],
    ['an aliased me', 'query { a: me { sub } }'],
    ['five aliased me', `query { ${[1, 2, 3, 4, 5].map((i) => `m${i}: me { sub }`).join(' ')} }`],
    ['me aliased in a fragment', 'query { ...A } fragment A on Query { a: me { sub } }'],
    ['me in an inline fragment and beside it', 'query { me { sub } ... on Query { me { email } } }'],
    ['me under @include', 'query { me { sub } me @include(if: false) { email } }'],
  ])('refuses %s with BAD_USER_INPUT on `operation`', (_name, document) => {
    const errors = errorsOf(document);
    expect(errors).toHaveLength(1);
    expect(errors[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'operation' });
  });

  it('counts a fragment once however often it is spread: 2^24 spread paths validate at once', () => {
    // F0 spreads F1 twice, F1 spreads F2 twice…: walking every path took 20 s at n = 24, doubling with
    // each fragment (n stays small here so a regression fails instead of hanging the run).
    const chain = (leaf: string) =>
      `mutation { ...F0 } ${Array.from({ length: 24 }, (_, i) => `fragment F${i} on Mutation { ...F${i + 1} ...F${i + 1} }`).join(' ')} fragment F24 on Mutation { ${leaf} }`;
    const started = performance.now();
    expect(errorsOf(chain('__typename'))).toEqual([]);
    expect(errorsOf(chain('signOut(input: {})'))[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'operation',
    });
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it('survives fragment cycles (another rule reports them)', () => {
    expect(() =>
      errorsOf('mutation { ...A } fragment A on Mutation { ...B } fragment B on Mutation { ...A }'),
    ).not.toThrow();
  });
});
