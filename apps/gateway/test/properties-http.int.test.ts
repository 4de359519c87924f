import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../src/testing.js';
import { CONFIRM_SIGN_UP, ME, SIGN_UP, START_SIGN_IN, type StepData, VERIFY_OTP } from './operations.js';
import {
  assertAlive,
  assertContractAnswer,
  hostilePiece,
  type RawRequest,
  rawRequest,
  runParameters,
  stringsOf,
} from './properties-support.js';

// Property-based tests over raw HTTP: bodies that are not JSON, not GraphQL, too big, too deep or too
// wide; odd content types, encodings, methods and paths; batches, GET mutations, many operations. The
// gateway answers each with a sane status and, when it answers JSON, with contract error codes; and it
// keeps serving: a whole flow still succeeds at the end.

const LOOSE = { points: 1_000_000, durationSeconds: 60 };
let gw: TestGateway;

beforeAll(async () => {
  gw = await startTestGateway({
    profiles: {
      default: {
        limits: {
          sendPerDestination: [LOOSE],
          sendPerIp: [LOOSE],
          sendPerProfile: [LOOSE],
          wrongCodesPerDestination: [LOOSE],
          wrongCodesPerIp: [LOOSE],
          requestsPerIp: [LOOSE],
        },
      },
    },
  });
});

afterAll(async () => {
  await gw?.close();
});

/** What a refusal may be answered with, on any of these requests. */
const STATUSES = [200, 204, 400, 403, 404, 405, 413, 415, 431];
const BODY_LIMIT = 64 * 1024;

async function check(request: RawRequest): Promise<void> {
  const answer = await rawRequest(gw.url, request);
  let parsed: unknown;
  const text = typeof request.body === 'string' ? request.body : '';
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  // What the client sent, as strings an error must not repeat (the raw text only while it is small
  // enough to search quickly; larger bodies are refused by size before anything reads them).
  const inputs = stringsOf(parsed, text.length <= 70_000 ? text : '', request.path ?? '');
  const path = request.path ?? '/graphql';
  const graphql = path.split('?')[0] === '/graphql';
  assertContractAnswer(answer, { statuses: STATUSES, inputs, graphql, head: request.method === 'HEAD' });
}

const json = (body: unknown, headers: Record<string, string> = {}): RawRequest => ({
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});

// ---------------------------------------------------------------------------------------------------
// Generators

/** Well-formed GraphQL bodies to start from (then truncated, wrapped, resent with other headers). */
const goodBody = fc.constantFrom(
  { query: ME },
  { query: START_SIGN_IN, variables: { input: { email: 'someone@http-props.example' } } },
  { query: VERIFY_OTP, variables: { input: { handle: 'h', code: '12345678' } }, operationName: 'VerifyOtp' },
  { query: '{ __typename }' },
);

const malformedJson = fc.oneof(
  // A good body cut anywhere.
  fc.tuple(goodBody, fc.nat()).map(([body, at]) => {
    const text = JSON.stringify(body);
    return text.slice(0, at % text.length);
  }),
  // Random text and bytes.
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  // JSON-ish mistakes.
  fc.constantFrom(
    "{'query': '{ me { sub } }'}",
    '{"query": "{ me { sub } }",}',
    '{"query": "{ me { sub } }"}}',
    '{"query": "\\u12"}',
    '{"query": "\\ud800"}',
    'NaN',
    '\ufeff{"query": "{ __typename }"}',
    '{"query": "{ __typename }"}\u0000',
    '{"__proto__": {"polluted": true}, "query": "{ __typename }"}',
    '{"constructor": {"prototype": {"polluted": true}}, "query": "{ __typename }"}',
    '{"query": "{ __typename }", "query": "mutation { signOut(input: {}) }"}',
    `{"query": "${'\\\\'.repeat(1000)}"}`,
  ),
);

/** Any JSON, and objects with the right keys holding the wrong things. */
const oddJson = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.record(
    {
      query: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string(), fc.constant(ME)),
      variables: fc.jsonValue({ maxDepth: 3 }),
      operationName: fc.jsonValue({ maxDepth: 1 }),
      extensions: fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.constant({ persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } }),
      ),
    },
    { requiredKeys: [] },
  ),
);

const contentType = fc.constantFrom(
  undefined,
  '',
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=UTF-8',
  'application/json;charset=latin1',
  'application/json; charset=utf-16',
  'application/json; charset="utf-8"; boundary=x',
  'application/json ; foo=bar',
  'APPLICATION/JSON',
  'application/jsonx',
  'application/graphql',
  'application/graphql-response+json',
  'application/ld+json',
  'text/plain',
  'text/plain; charset=utf-8',
  'text/json',
  'multipart/form-data; boundary=----x',
  'multipart/form-data',
  'application/x-www-form-urlencoded',
  'application/octet-stream',
  '*/*',
  'json',
  ';',
);

const contentEncoding = fc.constantFrom(
  undefined,
  'gzip',
  'deflate',
  'br',
  'identity',
  'gzip, gzip',
  'x-garbage',
);

const NESTED_DEPTH = fc.integer({ min: 100, max: 1500 });

/** Documents deep or wide enough to hurt a naive server. */
const bigDocument = fc.oneof(
  NESTED_DEPTH.map((depth) => `{ ${'me { '.repeat(depth)}sub${' }'.repeat(depth)} }`),
  NESTED_DEPTH.map(
    (depth) => `mutation { signOut(input: { refreshToken: ${'['.repeat(depth)}"x"${']'.repeat(depth)} }) }`,
  ),
  NESTED_DEPTH.map((depth) => `mutation { signOut(input: ${'{ a: '.repeat(depth)}1${' }'.repeat(depth)}) }`),
  fc.integer({ min: 1000, max: 10_000 }).map((width) => `{ me { ${'sub '.repeat(width)}} }`),
  fc
    .integer({ min: 1000, max: 5000 })
    .map((width) => `{ ${Array.from({ length: width }, (_, i) => `a${i}: __typename`).join(' ')} }`),
  fc
    .integer({ min: 500, max: 3000 })
    .map(
      (width) =>
        `{ ...F0 } ${Array.from({ length: width }, (_, i) => `fragment F${i} on Query { ...F${i + 1} }`).join(' ')} fragment F${width} on Query { __typename }`,
    ),
  // Fan-out: each fragment spreads the next twice, 2^n paths in a few hundred tokens.
  fc
    .tuple(fc.integer({ min: 10, max: 95 }), fc.constantFrom('mutation', 'query'), fc.boolean())
    .map(([depth, operation, auth]) => {
      const type = operation === 'mutation' ? 'Mutation' : 'Query';
      const leaf = auth && operation === 'mutation' ? 'signOut(input: {})' : '__typename';
      const chain = Array.from(
        { length: depth },
        (_, i) => `fragment F${i} on ${type} { ...F${i + 1} ...F${i + 1} }`,
      ).join(' ');
      return `${operation} { ...F0 } ${chain} fragment F${depth} on ${type} { ${leaf} }`;
    }),
  // A fragment cycle and a fragment spread into itself.
  fc.constant('{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }'),
  fc.constant('query { ...A } fragment A on Query { me { ...A } }'),
  fc
    .integer({ min: 2, max: 200 })
    .map((count) => Array.from({ length: count }, (_, i) => `query Q${i} { __typename }`).join(' ')),
  fc.integer({ min: 10, max: 500 }).map((count) => `{ ${'@skip(if: false) '.repeat(count)}__typename }`),
  fc.integer({ min: 10, max: 500 }).map((count) => `{ __typename${' @include(if: true)'.repeat(count)} }`),
);

/** A GraphQL name too long to be repeated back (the gateway names at most 64 characters). */
const longName = fc
  .tuple(fc.constantFrom('a', 'Zz', '_x9', 'signUp'), fc.integer({ min: 65, max: 5000 }))
  .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length));

/** Documents with a client-chosen long name in every place a name can stand. */
const longNameDocument = fc
  .tuple(
    longName,
    fc.constantFrom(
      (n: string) => `{ ${n} }`,
      (n: string) => `{ me { ${n} } }`,
      (n: string) => `{ me(${n}: 1) { sub } }`,
      (n: string) => `mutation { signOut(input: { ${n}: 1 }) }`,
      (n: string) => `mutation { signOut(${n}: {}) }`,
      (n: string) => `{ ...${n} }`,
      (n: string) => `query ($${n}: String) { __typename }`,
      (n: string) => `query { __typename(a: $${n}) }`,
      (n: string) => `query { __typename @${n} }`,
      (n: string) => `query ($a: ${n}) { __typename }`,
      (n: string) => `query { __typename } fragment F on ${n} { sub }`,
      (n: string) => `query ${n} { __typename } query ${n} { __typename }`,
      (n: string) => `mutation { startSignIn(input: { email: "a@b.example", channel: ${n} }) { nextStep } }`,
      (n: string) => `mutation { signUp(input: { email: ${n} }) { nextStep } }`,
    ),
  )
  .map(([name, build]) => build(name));

/** Variables nested deeply: JSON parsers and input coercion must not recurse into a crash. */
const deepVariables = fc
  .tuple(fc.integer({ min: 100, max: 20_000 }), fc.constantFrom('[', '{"a":'))
  .map(([depth, open]) => {
    const close = open === '[' ? ']' : '}';
    return `{"query":${JSON.stringify(SIGN_UP)},"variables":{"input":${open.repeat(depth)}1${close.repeat(depth)}}}`;
  });

// ---------------------------------------------------------------------------------------------------

const RUNS = 150;

describe('raw HTTP bodies keep the contract', () => {
  it('malformed, truncated and non-GraphQL JSON', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          malformedJson,
          oddJson.map((value) => JSON.stringify(value)),
        ),
        async (body) => check({ body, headers: { 'content-type': 'application/json' } }),
      ),
      runParameters(RUNS * 2),
    );
    await assertAlive(gw.url);
  }, 120_000);

  it('any content type and content encoding', async () => {
    await fc.assert(
      fc.asyncProperty(
        contentType,
        contentEncoding,
        fc.oneof(
          goodBody.map((body) => JSON.stringify(body)),
          malformedJson,
        ),
        fc.boolean(),
        fc.boolean(),
        async (type, encoding, text, gzip, preflight) => {
          const headers: Record<string, string> = {};
          if (type !== undefined) headers['content-type'] = type;
          if (encoding !== undefined) headers['content-encoding'] = encoding;
          if (preflight) headers['apollo-require-preflight'] = 'true';
          // A declared encoding over plain bytes, or real gzip (which the gateway does not decode).
          await check({ body: gzip ? gzipSync(text) : text, headers });
        },
      ),
      runParameters(RUNS * 2),
    );
    await assertAlive(gw.url);
  }, 120_000);

  it('bodies over the limit, with and without Content-Length', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: BODY_LIMIT - 1024, max: 2 * 1024 * 1024 }),
        fc.boolean(),
        fc.constantFrom('application/json', 'text/plain', 'multipart/form-data; boundary=x'),
        async (size, chunked, type) => {
          const body = JSON.stringify({ query: ME, variables: { pad: 'x'.repeat(size) } });
          await check({
            body,
            headers: {
              'content-type': type,
              ...(chunked
                ? { 'transfer-encoding': 'chunked' }
                : { 'content-length': Buffer.byteLength(body) }),
            },
          });
        },
      ),
      runParameters(40),
    );
    await assertAlive(gw.url);
  }, 120_000);

  it('deep and wide documents, deep variables', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          bigDocument.map((query) => JSON.stringify({ query })),
          deepVariables,
          NESTED_DEPTH.map(
            (depth) =>
              `{"query":${JSON.stringify(ME)},"extensions":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`,
          ),
        ),
        async (body) => check({ body, headers: { 'content-type': 'application/json' } }),
      ),
      runParameters(RUNS),
    );
    await assertAlive(gw.url);
  }, 120_000);

  it('long names anywhere in a document are not repeated back', async () => {
    await fc.assert(
      fc.asyncProperty(longNameDocument, fc.option(longName), async (query, operationName) =>
        check(json({ query, ...(operationName !== null && { operationName }) })),
      ),
      runParameters(RUNS),
    );
    await assertAlive(gw.url);
  }, 120_000);

  it('operations and their names, batches, GET', async () => {
    const operationName = fc.oneof(
      fc.constantFrom(undefined, 'A', 'B', 'Missing', '', null, 42, ['A'], { a: 1 }),
      hostilePiece,
    );
    const document = fc.constantFrom(
      'query A { __typename } query B { me { sub } }',
      'query A { __typename } mutation B { signOut(input: {}) }',
      `query A { __typename } ${SIGN_UP.replace('SignUp', 'B')}`,
      'query A { __typename } query A { me { sub } }',
      '{ __typename } { me { sub } }',
      'subscription S { me { sub } }',
      'mutation { __typename }',
      '{ __schema { types { name } } }',
      '{ __type(name: "SignUpInput") { name } }',
    );
    const request: fc.Arbitrary<RawRequest> = fc.oneof(
      fc
        .tuple(document, operationName)
        .map(([query, name]) => json({ query, ...(name !== undefined && { operationName: name }) })),
      // Batches of any size, of good and odd members.
      fc.array(fc.oneof(goodBody, oddJson), { maxLength: 5 }).map((batch) => json(batch)),
      // GET with queries, mutations and broken parameters.
      fc
        .tuple(
          fc.oneof(document, fc.constantFrom(ME, SIGN_UP, 'mutation { signOut(input: {}) }')),
          fc.option(fc.oneof(fc.constant('{"input":{}}'), fc.string({ maxLength: 20 }))),
          fc.option(fc.string({ maxLength: 10 })),
          fc.boolean(),
        )
        .map(([query, variables, name, preflight]): RawRequest => {
          const params = new URLSearchParams({ query });
          if (variables !== null) params.set('variables', variables);
          if (name !== null) params.set('operationName', name);
          return {
            method: 'GET',
            path: `/graphql?${params}`,
            headers: preflight ? { 'apollo-require-preflight': '1' } : {},
          };
        }),
    );
    await fc.assert(
      fc.asyncProperty(request, async (sent) => check(sent)),
      runParameters(RUNS),
    );
    await assertAlive(gw.url);
  }, 120_000);

  it('methods, paths, profiles and origins', async () => {
    const method = fc.constantFrom(
      'GET',
      'POST',
      'PUT',
      'PATCH',
      'DELETE',
      'OPTIONS',
      'HEAD',
      'PROPFIND',
      'TRACE',
      'SEARCH',
      'FOO',
    );
    const path = fc.oneof(
      fc.constantFrom(
        '/graphql',
        '/graphql/',
        '/graphql?',
        '/graphql?%',
        '/graphql?query=%E0%A4%A',
        '/graphql%ZZ',
        '/%',
        '//graphql',
        '/GRAPHQL',
        '/graphql;x=1',
        '/graphql/..',
        '/healthz?x=%',
        '/metrics',
        '/readyz',
        '*',
      ),
      fc.string({ maxLength: 20 }).map((tail) => `/graphql?${encodeURIComponent(tail)}`),
    );
    const headers = fc.record(
      {
        'apollographql-client-name': fc.constantFrom('default', 'nope', '__proto__', 'constructor', ''),
        origin: fc.constantFrom('null', 'https://evil.example', 'http://localhost:3000', ''),
        'access-control-request-method': fc.constantFrom('POST', 'DELETE'),
        'content-type': fc.constantFrom('application/json', 'text/plain'),
        'x-forwarded-for': fc.constantFrom('1.2.3.4', 'garbage', '::1, 2001:db8::1'),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(method, path, headers, fc.option(goodBody), async (verb, target, extra, body) => {
        const withBody = body !== null && verb !== 'GET' && verb !== 'HEAD' && verb !== 'TRACE';
        await check({
          method: verb,
          path: target,
          headers: extra as Record<string, string>,
          ...(withBody && { body: JSON.stringify(body) }),
        });
      }),
      runParameters(RUNS),
    );
    await assertAlive(gw.url);
  }, 120_000);

  it('many hostile requests at once', async () => {
    const any = fc.oneof(
      malformedJson.map((body) => ({ body, headers: { 'content-type': 'application/json' } }) as RawRequest),
      bigDocument.map((query) => json({ query })),
      fc.array(goodBody, { maxLength: 3 }).map((batch) => json(batch)),
      goodBody.map((body) => json(body)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(any, { minLength: 10, maxLength: 30 }), async (batch) => {
        await Promise.all(batch.map((sent) => check(sent)));
      }),
      runParameters(15),
    );
    await assertAlive(gw.url);
  }, 120_000);
});

describe('refusals below GraphQL, one by one (regressions the properties found)', () => {
  it.each<[string, RawRequest, number, string]>([
    ['an unknown method (Node parser error)', { method: 'FOO' }, 400, 'request'],
    [
      'a path with a malformed escape (router error, path not quoted)',
      { method: 'GET', path: '/graphql%ZZ' },
      400,
      'request',
    ],
    ['headers over 16 KiB', { method: 'GET', headers: { 'x-pad': 'p'.repeat(20_000) } }, 431, 'headers'],
    [
      'a preflight with an empty JSON body (the CORS route has our error handler)',
      { method: 'OPTIONS', headers: { 'content-type': 'application/json' }, body: '' },
      400,
      'body',
    ],
    [
      'a subscription (the schema has none)',
      json({ query: 'subscription S { me { sub } }' }),
      400,
      'operation',
    ],
  ])('%s', async (_name, request, status, field) => {
    const answer = await rawRequest(gw.url, request);
    expect(answer.status).toBe(status);
    expect(JSON.parse(answer.text)).toEqual({
      errors: [
        {
          message: expect.any(String),
          ...(field === 'operation' && { locations: expect.any(Array) }),
          extensions: { code: 'BAD_USER_INPUT', field },
        },
      ],
    });
    expect(answer.text).not.toContain('ZZ');
  });
});

describe('afterwards', () => {
  it('the gateway still serves a whole flow', async () => {
    const email = `after.${process.pid}@http-props.example`;
    const send = async (query: string, input: Record<string, unknown>) => {
      const response = await gw.graphql<Record<string, StepData>>(query, { input });
      expect(response.body.errors).toBeUndefined();
      return Object.values(response.body.data ?? {})[0] as StepData;
    };
    const up = await send(SIGN_UP, { email });
    const done = await send(CONFIRM_SIGN_UP, { handle: up.challenge?.handle, code: gw.lastCode(email) });
    expect(done.nextStep).toBe('DONE');
    const me = await gw.graphql<{ me: { email: string } }>(ME, undefined, {
      headers: { authorization: `Bearer ${done.tokens?.accessToken}` },
    });
    expect(me.body.data?.me.email).toBe(email);
  });
});
