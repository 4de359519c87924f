import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { expect } from 'vitest';

/**
 * Shared pieces of the property-based tests (`properties*.int.test.ts`): run parameters, the contract
 * as docs/API.md states it, a raw HTTP client, and the one check every answer must pass.
 */

// ---------------------------------------------------------------------------------------------------
// Run parameters

/**
 * A fixed seed by default, so CI runs the same cases every time and a failure reproduces; FC_SEED picks
 * another (fast-check prints the seed and path of a failure). FC_RUNS_FACTOR scales every numRuns, for a
 * long local soak (`FC_RUNS_FACTOR=20`).
 */
const SEED = process.env.FC_SEED === undefined ? 20_260_101 : Number(process.env.FC_SEED);
const RUNS_FACTOR = Number(process.env.FC_RUNS_FACTOR ?? 1) || 1;

export function runParameters<T>(numRuns: number): fc.Parameters<T> {
  return {
    seed: SEED,
    numRuns: Math.max(1, Math.round(numRuns * RUNS_FACTOR)),
    // Counterexamples hold 20 kB strings and 1000-deep documents: print them folded, or a failure
    // report buries its own cause.
    asyncReporter: async (details) => {
      if (!details.failed) return;
      const report = (fc.defaultReportMessage(details) ?? '').replace(
        /(.{1,4}?)\1{20,}/gs,
        (run, unit: string) => `${unit}…(×${run.length / unit.length})`,
      );
      const cause =
        details.errorInstance instanceof Error
          ? details.errorInstance.message
          : String(details.errorInstance);
      throw new Error(`${report.slice(0, 6000)}\n\nCause: ${cause.slice(0, 2000)}`);
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// The contract: docs/API.md section 2, read from the document itself rather than from the code under test.

const appRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(appRoot, '../..');

/** Each `extensions.code` of docs/API.md section 2 with the extra `extensions` keys it may carry. */
function contractCodes(): ReadonlyMap<string, ReadonlySet<string>> {
  const apiMd = readFileSync(resolve(repoRoot, 'docs/API.md'), 'utf8');
  const section = /## 2\.[\s\S]*?(?=\n## 3\.)/.exec(apiMd)?.[0];
  if (!section) throw new Error('no section 2 in docs/API.md');
  const codes = new Map<string, Set<string>>();
  for (const line of section.split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim());
    const code = /^`([A-Z_]+)`$/.exec(cells[1] ?? '')?.[1];
    if (!code || code === 'code') continue;
    const extras = [...(cells[3] ?? '').matchAll(/`(\w+)`/g)].map((match) => match[1] as string);
    codes.set(code, new Set(extras));
  }
  if (codes.size < 10) throw new Error(`docs/API.md section 2 parsed to only ${codes.size} codes`);
  return codes;
}

export const CONTRACT = contractCodes();

// ---------------------------------------------------------------------------------------------------
// Raw HTTP

export interface RawRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/**
 * One request with node:http, which (unlike fetch) sends any method token, any Content-Type and
 * Content-Encoding, and no body-derived headers of its own beyond Content-Length. A server that
 * answers early (413 on Content-Length) may reset the socket while the body is still being written:
 * the answer received wins over that write error.
 */
export function rawRequest(baseUrl: string, options: RawRequest): Promise<RawResponse> {
  // Host and port only: the path goes out verbatim ('//graphql' and '*' are paths here, not URLs).
  const url = new URL(baseUrl);
  const headers = { ...options.headers };
  const framed = Object.keys(headers).some((name) => /^(content-length|transfer-encoding)$/i.test(name));
  // node:http frames a GET/DELETE/OPTIONS body with nothing: the server would read it as a second request.
  if (options.body !== undefined && !framed) headers['content-length'] = Buffer.byteLength(options.body);
  return new Promise((resolvePromise, reject) => {
    let settled = false;
    const request = httpRequest(
      {
        hostname: url.hostname,
        port: url.port,
        // Paths are sent as given (no URL normalisation), so malformed escapes reach the server.
        path: options.path ?? '/graphql',
        method: options.method ?? 'POST',
        headers,
        agent: false,
        timeout: 15_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          settled = true;
          resolvePromise({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          });
        });
        response.on('error', (error) => {
          if (!settled) reject(error);
        });
      },
    );
    request.on('timeout', () => request.destroy(new Error('no answer within 15 s')));
    request.on('error', (error) => {
      // EPIPE/ECONNRESET after the answer arrived: the server refused the rest of the body.
      if (!settled) reject(error);
    });
    if (options.body !== undefined) request.write(options.body);
    request.end();
  });
}

/** POST a JSON text to /graphql with fetch (what a browser or app does). */
export async function postText(
  baseUrl: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<RawResponse> {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return {
    status: response.status,
    headers: Object.fromEntries(response.headers),
    text: await response.text(),
  };
}

// ---------------------------------------------------------------------------------------------------
// The check

export interface AnswerRules {
  /** Statuses this kind of request may get. */
  statuses: readonly number[];
  /**
   * Strings the client sent: no error may repeat any 24-character stretch of them. Short inputs (an
   * enum value, a field name a client mistyped) may legitimately be named.
   */
  inputs?: readonly string[];
  /**
   * INTERNAL_SERVER_ERROR is a contract code, but for input alone it means a bug (an input the gateway
   * failed to classify). Allowed only where a test says so.
   */
  allowInternal?: boolean;
  /** A HEAD request: there is no body to check. */
  head?: boolean;
  /** False for paths other than /graphql (health): only the status and error shape apply. @default true */
  graphql?: boolean;
}

const ECHO_WINDOW = 24;
/** Leaks: stack frames, internal paths, JavaScript error names, Cognito/AWS exception names, schema hints. */
const LEAKS: ReadonlyArray<[string, RegExp]> = [
  ['a stack frame', /\bat .*:\d+:\d+|\n\s+at\s/],
  ['an internal path', /node_modules|\/src\/|\.[cm]?[jt]s:\d+/],
  ['a JavaScript error', /\b(?:TypeError|RangeError|ReferenceError|SyntaxError)\b|Cannot read propert/],
  ['a Cognito exception name', /Exception\b/],
  ['a schema hint', /Did you mean/],
  ['an internal error code', /\bFST_|\bERR_[A-Z_]+|GRAPHQL_PARSE_FAILED|GRAPHQL_VALIDATION_FAILED/],
];

/** What the gateway may name back: a GraphQL name of at most 64 characters (MAX_ECHOED_NAME). */
const SHORT_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,63}$/;

function collectStrings(value: unknown, out: Set<string>, depth = 0): Set<string> {
  if (depth > 50) return out;
  if (typeof value === 'string') out.add(value);
  else if (Array.isArray(value)) for (const item of value) collectStrings(item, out, depth + 1);
  else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      // A short name may be pointed at (`field: "Email"` for a misspelt field); a long one must not.
      if (!SHORT_NAME.test(key)) out.add(key);
      collectStrings(item, out, depth + 1);
    }
  }
  return out;
}

/** Every string of a value, and its object keys but short names: what an error must not echo. */
export function stringsOf(...values: unknown[]): string[] {
  const out = new Set<string>();
  for (const value of values) collectStrings(value, out);
  return [...out].filter((text) => text.length >= ECHO_WINDOW);
}

function assertNoEcho(text: string, inputs: readonly string[], where: string): void {
  if (text.length < ECHO_WINDOW) return;
  for (const input of inputs) {
    for (let start = 0; start + ECHO_WINDOW <= text.length; start += 1) {
      const stretch = text.slice(start, start + ECHO_WINDOW);
      if (input.includes(stretch)) {
        expect.fail(`${where} echoes the input: ${JSON.stringify(stretch)} in ${JSON.stringify(text)}`);
      }
    }
  }
}

export interface ContractError {
  message: string;
  extensions: Record<string, unknown> & { code: string };
}

/**
 * The contract every answer keeps, whatever was sent: a status of the allowed set (never 5xx); a
 * JSON error body in the GraphQL shape, each error with a code of docs/API.md section 2 and only that
 * code's extra keys; BAD_USER_INPUT naming its field; limit refusals saying when to retry; no message
 * that leaks internals or echoes the input. Returns the errors for further checks.
 */
export function assertContractAnswer(answer: RawResponse, rules: AnswerRules): ContractError[] {
  const context = `HTTP ${answer.status}: ${answer.text.slice(0, 500)}`;
  expect(answer.status, context).toBeLessThan(500);
  expect(rules.statuses, context).toContain(answer.status);

  // HEAD answers carry the headers of a GET and no body.
  if (rules.head) return [];
  const contentType = String(answer.headers['content-type'] ?? '');
  // /healthz, /readyz: their own formats, only never Fastify's error shape (checked below).
  if (rules.graphql === false && !/json/.test(contentType)) return [];
  if (!/json/.test(contentType) || answer.text === '') {
    // HEAD, preflights and 404s answer without a GraphQL body; nothing else may.
    expect([204, 404, 405, 431], `a non-JSON answer: ${context}`).toContain(answer.status);
    return [];
  }
  const body = JSON.parse(answer.text) as Record<string, unknown>;
  // Fastify's own error shape ({ statusCode, code: 'FST_…', error, message }) must never leave.
  expect(Object.keys(body), context).not.toContain('statusCode');
  expect(Object.keys(body), context).not.toContain('code');
  if (answer.status === 404 || rules.graphql === false) return [];
  if (answer.status !== 200 || body.errors !== undefined) {
    expect(Array.isArray(body.errors), `errors is a list: ${context}`).toBe(true);
    expect((body.errors as unknown[]).length, context).toBeGreaterThan(0);
  }
  if (answer.status === 200 && body.errors === undefined) {
    expect(body.data, context).toBeDefined();
  }
  const errors = (body.errors ?? []) as ContractError[];
  const inputs = rules.inputs ?? [];
  for (const error of errors) {
    expect(
      Object.keys(error).every((key) => ['message', 'locations', 'path', 'extensions'].includes(key)),
      context,
    ).toBe(true);
    expect(typeof error.message, context).toBe('string');
    const code = error.extensions?.code;
    expect(CONTRACT.has(code), `code ${String(code)} is in docs/API.md section 2: ${context}`).toBe(true);
    if (!rules.allowInternal)
      expect(code, `an input-only failure is classified: ${context}`).not.toBe('INTERNAL_SERVER_ERROR');
    const extras = CONTRACT.get(code) ?? new Set();
    for (const key of Object.keys(error.extensions)) {
      if (key !== 'code')
        expect(extras.has(key), `extensions.${key} allowed for ${code}: ${context}`).toBe(true);
    }
    for (const [what, pattern] of LEAKS) {
      expect(pattern.test(error.message), `the message leaks ${what}: ${context}`).toBe(false);
    }
    // Room for Apollo's CSRF explanation (340 characters); anything longer is quoting something.
    expect(error.message.length, context).toBeLessThanOrEqual(400);
    assertNoEcho(error.message, inputs, 'the message');
    const field = error.extensions.field;
    if (code === 'BAD_USER_INPUT') {
      expect(typeof field, `BAD_USER_INPUT names its field: ${context}`).toBe('string');
      expect((field as string).length, context).toBeGreaterThan(0);
    }
    if (typeof field === 'string') {
      expect(field.length, `a field name, not a quote: ${context}`).toBeLessThanOrEqual(64);
      assertNoEcho(field, inputs, 'extensions.field');
    }
    if (code === 'RATE_LIMITED' || code === 'TOO_MANY_ATTEMPTS' || code === 'UPSTREAM_UNAVAILABLE') {
      const retry = error.extensions.retryAfterSeconds;
      expect(Number.isInteger(retry) && (retry as number) >= 1, `retryAfterSeconds: ${context}`).toBe(true);
    }
    if (code === 'RATE_LIMITED') {
      expect(['destination', 'ip', 'profile', 'handle', 'request'], context).toContain(
        error.extensions.scope,
      );
    }
    if (code === 'CODE_MISMATCH') {
      const left = error.extensions.attemptsRemaining;
      expect(Number.isInteger(left) && (left as number) >= 0, context).toBe(true);
    }
  }
  return errors;
}

/** The gateway still serves: liveness answers. */
export async function assertAlive(baseUrl: string): Promise<void> {
  const health = await fetch(`${baseUrl}/healthz`);
  expect(health.status).toBe(200);
}

// ---------------------------------------------------------------------------------------------------
// Hostile strings

const SPECIALS = [
  '\u202e', // right-to-left override
  '\u200f', // right-to-left mark
  '\u200b', // zero-width space
  '\u200d', // zero-width joiner
  '\ufeff', // byte order mark
  '\u2028', // line separator (raw in JSON, a line break elsewhere)
  '\ud800', // lone high surrogate: JSON.stringify sends it as the escape \ud800
  '\udfff', // lone low surrogate
  '\u0000',
  '\u0007',
  '\u001b[31m', // ANSI escape
  '\r\n',
  '\t',
  '\u007f',
  '😀',
  '👩‍👩‍👧',
  'مرحبا',
  'ｆｕｌｌｗｉｄｔｈ',
  '１２３４５６７８',
  'İ', // lower-cases to two code points
  'ß',
  'e\u0301', // combining accent
  '%00',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a Log4Shell-style probe, meant literally.
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '"}',
  '\\',
  '__proto__',
  'constructor',
  '{{7*7}}',
] as const;

/** A short piece of hostile text: specials, any Unicode (lone surrogates included), control characters. */
export const hostilePiece: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...SPECIALS),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({
    unit: fc.integer({ min: 0, max: 0x1f }).map((code) => String.fromCharCode(code)),
    maxLength: 4,
  }),
  fc.string({
    unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
    maxLength: 3,
  }),
);

/** Hostile text: empty, short, mixed, or huge (up to ~20 kB, built by repetition so it stays cheap). */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 4, arbitrary: hostilePiece },
  { weight: 3, arbitrary: fc.array(hostilePiece, { maxLength: 6 }).map((parts) => parts.join('')) },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.oneof(hostilePiece, fc.constant('x')), fc.integer({ min: 300, max: 20_000 }))
      .map(([piece, length]) =>
        (piece === '' ? 'x' : piece).repeat(Math.ceil(length / Math.max(piece.length, 1))).slice(0, length),
      ),
  },
);

/** What may stand where a string is expected: numbers, booleans, objects, lists, null. */
export const notAString: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, -0, 2 ** 31, 2 ** 53, -(2 ** 63), 1e308, 5e-324),
  fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer()), { maxLength: 3 }),
  fc.dictionary(
    fc.constantFrom('a', 'email', 'value', '__proto__', 'constructor'),
    fc.string({ maxLength: 4 }),
    {
      maxKeys: 2,
    },
  ),
  fc.letrec((tie) => ({
    // A small nest of lists and objects.
    node: fc.oneof(
      { depthSize: 'small' },
      fc.integer(),
      fc.array(tie('node'), { maxLength: 2 }),
      fc.record({ x: tie('node') }),
    ),
  })).node,
);
