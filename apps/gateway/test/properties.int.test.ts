import { generateKeyPairSync, sign } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, type TestGateway } from '../src/testing.js';
import {
  CONFIRM_SIGN_UP,
  ME,
  REFRESH_TOKENS,
  RESEND_OTP,
  SIGN_OUT,
  SIGN_UP,
  START_SIGN_IN,
  STEP,
  type StepData,
  VERIFY_OTP,
} from './operations.js';
import {
  assertAlive,
  assertContractAnswer,
  hostilePiece,
  hostileString,
  notAString,
  postText,
  type RawResponse,
  rawRequest,
  runParameters,
  stringsOf,
} from './properties-support.js';

// Property-based tests over every input of the schema: each mutation's input object, as variables and
// inline in the document, mixing plausible and hostile values; `me` and a global signOut with hostile
// Authorization headers; and the limit refusals under the default limits. Whatever is sent, the answer
// keeps the contract (properties-support.ts, assertContractAnswer) and the process keeps serving.
//
// One gateway for the file. The `default` profile has limits raised out of reach, so a limit refusal
// never hides how an input is handled; the `default limits` tests run on a gateway of their own.

const LOOSE = { points: 1_000_000, durationSeconds: 60 };
const LOOSE_LIMITS = {
  // The shortest send window also sets how soon a handle may be resent: one second.
  sendPerDestination: [{ points: 1_000_000, durationSeconds: 1 }],
  sendPerIp: [LOOSE],
  sendPerProfile: [LOOSE],
  wrongCodesPerDestination: [LOOSE],
  wrongCodesPerIp: [LOOSE],
  requestsPerIp: [LOOSE],
};

let gw: TestGateway;
let seq = 0;
const address = (tag: string) => `${tag}.${process.pid}.${++seq}@props.example`;

/** Real values from a flow run in beforeAll, which the generators can pick ("live" values). */
const live = {
  email: '',
  signInHandle: '',
  signUpHandle: '',
  refreshToken: '',
  accessToken: '',
  sub: '',
  kid: '',
  issuer: '',
  clientId: '',
};

/** A value resolved when the request is built: the newest code the emulator sent to the live user. */
class LiveCode {
  toJSON() {
    return this.resolve();
  }
  resolve(): string {
    return gw.emulator.messages(live.email)[0]?.code ?? '00000000';
  }
}

async function step(query: string, input: Record<string, unknown>) {
  const response = await gw.graphql<Record<string, StepData>>(query, { input });
  expect(response.body.errors).toBeUndefined();
  return Object.values(response.body.data ?? {})[0] as StepData;
}

beforeAll(async () => {
  // `strict` here only names a second profile; the default limits are tested on a gateway of their
  // own below, because destination budgets are shared by every profile of a gateway.
  const shared = {
    sendPerDestination: LOOSE_LIMITS.sendPerDestination,
    wrongCodesPerDestination: LOOSE_LIMITS.wrongCodesPerDestination,
  };
  gw = await startTestGateway({
    profiles: { default: { limits: LOOSE_LIMITS }, strict: { limits: shared } },
  });
  const profile = gw.profiles.default;
  if (!profile) throw new Error('no default profile');
  live.clientId = profile.clientId;
  live.issuer = `${gw.emulator.url}/${profile.userPoolId}`;
  live.email = address('live');
  const up = await step(SIGN_UP, { email: live.email });
  const done = await step(CONFIRM_SIGN_UP, {
    handle: up.challenge?.handle,
    code: gw.lastCode(live.email),
  });
  live.accessToken = done.tokens?.accessToken ?? '';
  live.refreshToken = done.tokens?.refreshToken ?? '';
  const [header, payload] = live.accessToken.split('.');
  live.kid = JSON.parse(Buffer.from(header ?? '', 'base64url').toString()).kid;
  live.sub = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString()).sub;
  live.signInHandle = (await step(START_SIGN_IN, { email: live.email })).challenge?.handle ?? '';
  live.signUpHandle = (await step(SIGN_UP, { email: address('pending') })).challenge?.handle ?? '';
});

afterAll(async () => {
  await gw?.close();
});

// ---------------------------------------------------------------------------------------------------
// Generators of field values

const base64url = (bytes: number) =>
  fc
    .uint8Array({ minLength: bytes, maxLength: bytes })
    .map((array) => Buffer.from(array).toString('base64url'));

/** A JWT-shaped string: three base64url segments of (possibly hostile) JSON. */
const jwtLike = fc
  .tuple(
    fc.record(
      {
        alg: fc.constantFrom('RS256', 'none', 'HS256', 'ES256', 'RS512', '', 'rs256'),
        kid: fc.oneof(
          fc.constant('live'),
          fc.string({ maxLength: 50 }),
          fc.constantFrom('../../jwks', '%00'),
        ),
        typ: fc.constantFrom('JWT', 'at+jwt'),
        crit: fc.constant(['b64']),
        b64: fc.constant(false),
        jku: fc.constant('http://127.0.0.1:1/jwks.json'),
      },
      { requiredKeys: ['alg'] },
    ),
    fc.record(
      {
        sub: fc.oneof(fc.uuid(), fc.integer(), fc.constant(null)),
        iss: fc.oneof(fc.constant('live'), fc.webUrl()),
        token_use: fc.constantFrom('access', 'id', 'refresh', ''),
        client_id: fc.oneof(fc.constant('live'), fc.string({ maxLength: 30 })),
        exp: fc.oneof(fc.integer(), fc.constant('soon'), fc.constant(9_999_999_999)),
        iat: fc.integer(),
      },
      { requiredKeys: [] },
    ),
    fc.oneof(base64url(256), fc.constant(''), base64url(3)),
  )
  .map(([header, payload, signature]) => {
    const resolved = {
      ...payload,
      ...(payload.iss === 'live' && { iss: live.issuer }),
      ...(payload.client_id === 'live' && { client_id: live.clientId }),
    };
    const head = { ...header, ...(header.kid === 'live' && { kid: live.kid }) };
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${part(head)}.${part(resolved)}.${signature}`;
  });

/** The live access token, altered: a changed character, truncated, extended, or segments swapped. */
const alteredAccessToken = fc
  .tuple(fc.nat(), fc.constantFrom('flip', 'cut', 'append', 'swap', 'same'), fc.string({ maxLength: 4 }))
  .map(([at, how, extra]) => {
    const token = live.accessToken;
    const index = at % Math.max(token.length, 1);
    switch (how) {
      case 'flip': {
        const char = token[index] === 'A' ? 'B' : 'A';
        return `${token.slice(0, index)}${char}${token.slice(index + 1)}`;
      }
      case 'cut':
        return token.slice(0, index);
      case 'append':
        return `${token}${extra}`;
      case 'swap': {
        const [header = '', payload = '', signature = ''] = token.split('.');
        return `${payload}.${header}.${signature}`;
      }
      default:
        return token;
    }
  });

/** A token signed with a key of ours that claims the pool's `kid`, issuer and app client. */
const { privateKey: foreignKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const forgedAccessToken = fc.constantFrom('access', 'id').map((tokenUse) => {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(gw.clock.now() / 1000);
  const signingInput = `${part({ alg: 'RS256', kid: live.kid })}.${part({
    sub: live.sub,
    iss: live.issuer,
    client_id: live.clientId,
    token_use: tokenUse,
    iat: now,
    exp: now + 3600,
  })}`;
  return `${signingInput}.${sign('sha256', Buffer.from(signingInput), foreignKey).toString('base64url')}`;
});

/** A field value: plausible (weighted), hostile text, or not a string at all. */
function fieldValue(plausible: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 5, arbitrary: plausible },
    { weight: 4, arbitrary: hostileString },
    { weight: 2, arbitrary: notAString },
  );
}

/** One input field: values a frontend would send, and near misses only a hostile or buggy one would. */
interface FieldSpec {
  plausible: fc.Arbitrary<unknown>;
  nearMiss?: fc.Arbitrary<unknown>;
  /** Non-null in the schema. */
  required?: boolean;
}

const email: FieldSpec = {
  plausible: fc.oneof(
    fc.emailAddress(),
    fc.constant('live').map(() => live.email),
    fc.constant('LIVE').map(() => live.email.toUpperCase()),
    fc.string({ minLength: 1, maxLength: 10 }).map((local) => `${encodeURIComponent(local)}@props.example`),
  ),
  nearMiss: fc.constantFrom(
    ' a@b.example ',
    'ü@bücher.example',
    'a@b',
    'a@@b.example',
    'a@b.example\u200b',
    '"q"@b.example',
  ),
};
const phoneNumber: FieldSpec = {
  plausible: fc.stringMatching(/^\+[1-9]\d{6,14}$/),
  nearMiss: fc.constantFrom(
    '+44 20 7946 0958',
    '(555) 123-4567',
    '+0123456789',
    '+１５５５０００００００',
    '+1555\u200b0000000',
  ),
};
const locale: FieldSpec = {
  plausible: fc.constantFrom('en', 'de-DE', 'zh-Hant-TW', 'x-klingon'),
  nearMiss: fc.constantFrom('en_US', 'EN-us', 'a'.repeat(35), 'a'.repeat(36)),
};
const handle: FieldSpec = {
  plausible: fc.oneof(
    base64url(32),
    fc.constant('sign-in').map(() => live.signInHandle),
    fc.constant('sign-up').map(() => live.signUpHandle),
  ),
  nearMiss: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/),
  required: true,
};
const code: FieldSpec = {
  plausible: fc.oneof(
    fc.stringMatching(/^\d{6}$/),
    fc.stringMatching(/^\d{8}$/),
    fc.constant(new LiveCode()),
  ),
  nearMiss: fc.constantFrom(' 12345678 ', '1234-5678', '１２３４５６７８', '0x1234', '1e7'),
  required: true,
};
const refreshToken: FieldSpec = {
  plausible: fc.oneof(
    fc.constant('live').map(() => live.refreshToken),
    jwtLike,
    base64url(1200),
  ),
  nearMiss: fc.constant('live-access').map(() => live.accessToken),
};
const channel: FieldSpec = {
  plausible: fc.constantFrom('EMAIL', 'SMS'),
  nearMiss: fc.constantFrom('email', 'Email', 'sms', 'EMAIL ', 'FAX', 'DONE', 'null'),
};
const global: FieldSpec = { plausible: fc.boolean(), nearMiss: fc.constantFrom('true', 0, 1) };

/** Unknown input fields: GraphQL names, near-misses of real ones, and keys no document could spell. */
const extraKey = fc.oneof(
  fc.constantFrom(
    'extra',
    'Email',
    'EMAIL',
    'phone_number',
    '__typename',
    'constructor',
    'toString',
    '__proto__',
  ),
  fc.stringMatching(/^[_A-Za-z][_0-9A-Za-z]{0,40}$/),
  fc
    .tuple(fc.stringMatching(/^[a-z]{1,8}$/), fc.integer({ min: 24, max: 2000 }))
    .map(([unit, length]) => unit.repeat(Math.ceil(length / unit.length)).slice(0, length)),
  hostilePiece,
);
const extras = fc.dictionary(extraKey, fc.oneof(hostileString, notAString), { maxKeys: 3 });

/**
 * An input object: either what a frontend sends (every required field, plausible values), so the
 * engine's own checks and flows are reached; or any subset of the fields, each plausible, a near miss,
 * hostile or not a string, maybe with unknown fields; or now and then not an object at all.
 */
function inputOf(fields: Record<string, FieldSpec>): fc.Arbitrary<unknown> {
  const names = Object.keys(fields);
  const required = names.filter((name) => fields[name]?.required);
  const pick = (use: (spec: FieldSpec) => fc.Arbitrary<unknown>) =>
    Object.fromEntries(names.map((name) => [name, use(fields[name] as FieldSpec)]));
  const plausible = fc.record(
    pick((spec) => spec.plausible),
    { requiredKeys: required },
  );
  const mixed = fc
    .tuple(
      fc.record(
        pick((spec) => fieldValue(spec.nearMiss ? fc.oneof(spec.plausible, spec.nearMiss) : spec.plausible)),
        { requiredKeys: [] },
      ),
      fc.option(extras, { freq: 3, nil: undefined }),
    )
    .map(([known, extra]) => ({ ...extra, ...known }));
  return fc.oneof(
    { weight: 4, arbitrary: plausible },
    { weight: 8, arbitrary: mixed },
    { weight: 1, arbitrary: notAString },
  );
}

// ---------------------------------------------------------------------------------------------------
// Documents

const NAME = /^[_A-Za-z][_0-9A-Za-z]*$/;

/**
 * A JavaScript value as a GraphQL literal. JSON.stringify writes every string escape GraphQL knows (a
 * lone surrogate as `\ud800`, which GraphQL refuses: a syntax error, also worth sending). A Name-like
 * string in an enum field is written bare, as an enum value.
 */
function literal(value: unknown, field?: string): string {
  if (value instanceof LiveCode) return JSON.stringify(value.resolve());
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') {
    return field === 'channel' && NAME.test(value) ? value : JSON.stringify(value);
  }
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map((item) => literal(item)).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>);
  return `{ ${entries.map(([key, item]) => `${key}: ${literal(item, key)}`).join(', ')} }`;
}

interface MutationSpec {
  /** The document with `$input`, as a frontend sends it. */
  document: string;
  selection: string;
  fields: Record<string, FieldSpec>;
}

const MUTATIONS: Record<string, MutationSpec> = {
  signUp: { document: SIGN_UP, selection: `{ ${STEP} }`, fields: { email, phoneNumber, locale } },
  confirmSignUp: { document: CONFIRM_SIGN_UP, selection: `{ ${STEP} }`, fields: { handle, code } },
  startSignIn: { document: START_SIGN_IN, selection: `{ ${STEP} }`, fields: { email, phoneNumber, channel } },
  verifyOtp: { document: VERIFY_OTP, selection: `{ ${STEP} }`, fields: { handle, code } },
  resendOtp: { document: RESEND_OTP, selection: `{ ${STEP} }`, fields: { handle } },
  refreshTokens: { document: REFRESH_TOKENS, selection: `{ ${STEP} }`, fields: { refreshToken } },
  signOut: { document: SIGN_OUT, selection: '', fields: { refreshToken, global } },
};

/** Where a BAD_USER_INPUT may point besides the input's own fields and the unknown keys sent. */
const REQUEST_FIELDS = ['input', 'body', 'query', 'operation', 'variables', 'request'];

/** Sends one mutation; also returns the document, whose names a BAD_USER_INPUT may point at. */
async function sendMutation(
  name: string,
  spec: MutationSpec,
  input: unknown,
  transport: 'variables' | 'inline',
): Promise<{ answer: RawResponse; document: string }> {
  if (transport === 'variables') {
    // LiveCode has toJSON: it is resolved while the body is written.
    const answer = await postText(gw.url, JSON.stringify({ query: spec.document, variables: { input } }));
    return { answer, document: spec.document };
  }
  const document = `mutation { ${name}(input: ${literal(input)}) ${spec.selection} }`;
  return { answer: await postText(gw.url, JSON.stringify({ query: document })), document };
}

// ---------------------------------------------------------------------------------------------------

const RUNS = 150;

describe('every input of the schema keeps the contract', () => {
  it.each(Object.keys(MUTATIONS))(
    '%s: variables and inline, plausible and hostile',
    async (name) => {
      const spec = MUTATIONS[name] as MutationSpec;
      const codes = new Map<string, number>();
      await fc.assert(
        fc.asyncProperty(
          inputOf(spec.fields),
          fc.constantFrom('variables' as const, 'inline' as const),
          async (input, transport) => {
            const { answer, document } = await sendMutation(name, spec, input, transport);
            const errors = assertContractAnswer(answer, {
              statuses: [200, 400, 413],
              inputs: stringsOf(input),
            });
            for (const error of errors) {
              codes.set(error.extensions.code, (codes.get(error.extensions.code) ?? 0) + 1);
              if (error.extensions.code !== 'BAD_USER_INPUT') continue;
              const allowed = [
                ...Object.keys(spec.fields),
                ...(typeof input === 'object' && input !== null ? Object.keys(input) : []),
                ...REQUEST_FIELDS,
                // Inline, a key is whatever name the parser read (`" A"` is written ` A`, read `A`).
                ...(transport === 'inline' ? (document.match(/[_A-Za-z][_0-9A-Za-z]*/g) ?? []) : []),
              ];
              expect(allowed, `field of ${answer.text.slice(0, 300)}`).toContain(error.extensions.field);
            }
            if (errors.length === 0) {
              expect(answer.status).toBe(200);
              const data = JSON.parse(answer.text).data;
              expect(data?.[name], answer.text.slice(0, 300)).not.toBeNull();
              codes.set('OK', (codes.get('OK') ?? 0) + 1);
            }
          },
        ),
        runParameters(RUNS),
      );
      // Both kinds of input were sent: ones refused by validation, and ones the engine answered.
      expect(codes.has('BAD_USER_INPUT')).toBe(true);
      expect([...codes.keys()].some((outcome) => outcome !== 'BAD_USER_INPUT')).toBe(true);
      await assertAlive(gw.url);
    },
    120_000,
  );
});

describe('hostile Authorization headers', () => {
  /** Latin-1 text without control characters but tab: what an HTTP client can put in a header at all. */
  const headerText = fc.string({
    unit: fc
      .integer({ min: 0x09, max: 0xff })
      .filter((code) => code !== 0x7f && (code >= 0x20 || code === 0x09))
      .map((code) => String.fromCharCode(code)),
    maxLength: 200,
  });
  const authorization = fc.oneof(
    fc.constantFrom(
      '',
      'Bearer',
      'Bearer ',
      'bearer x',
      'BEARER x',
      'Basic dXNlcjpwYXNz',
      'Bearer a.b.c',
      'Bearer  x',
      'Bearer x y',
      'Negotiate x',
    ),
    headerText,
    headerText.map((text) => `Bearer ${text}`),
    jwtLike.map((token) => `Bearer ${token}`),
    alteredAccessToken.map((token) => `Bearer ${token}`),
    forgedAccessToken.map((token) => `Bearer ${token}`),
    fc.constant('live-refresh').map(() => `Bearer ${live.refreshToken}`),
    fc.integer({ min: 8_000, max: 12_000 }).map((length) => `Bearer ${'a'.repeat(length)}`),
    fc.constant('huge').map(() => `Bearer ${'a.'.repeat(10_000)}`),
  );

  it('me and a global signOut answer UNAUTHENTICATED (or the live user), never anything else', async () => {
    await fc.assert(
      fc.asyncProperty(
        authorization,
        fc.constantFrom('me', 'signOut'),
        fc.constantFrom('default', 'strict'),
        async (header, operation, profile) => {
          // Node's HTTP parser drops whitespace around header values; compare with what arrives.
          const sent = header.replace(/^[\t ]+|[\t ]+$/g, '');
          const body =
            operation === 'me'
              ? { query: ME }
              : { query: SIGN_OUT, variables: { input: { refreshToken: 'not-a-token', global: true } } };
          // node:http, not fetch: fetch refuses some Latin-1 header values a raw client can still send.
          const answer = await rawRequest(gw.url, {
            body: JSON.stringify(body),
            headers: {
              'content-type': 'application/json',
              'apollographql-client-name': profile,
              ...(header !== '' && { authorization: header }),
            },
          });
          // Node's parser refuses headers over 16 KiB (431, answered by protocol-errors.ts).
          const errors = assertContractAnswer(answer, { statuses: [200, 431], inputs: stringsOf(sent) });
          if (answer.status === 431) return;
          for (const error of errors) {
            expect(['UNAUTHENTICATED'], answer.text.slice(0, 300)).toContain(error.extensions.code);
          }
          const data = JSON.parse(answer.text).data;
          if (operation === 'me' && data?.me) {
            // Only the live token can sign anyone in, only as its own user, only on its own profile.
            expect(data.me.sub).toBe(live.sub);
            expect(profile).toBe('default');
          }
          if (operation === 'me' && sent === '') expect(data).toEqual({ me: null });
        },
      ),
      runParameters(RUNS),
    );
    await assertAlive(gw.url);
  }, 120_000);
});

describe('default limits', () => {
  // A gateway whose only profile keeps the engine's default limits.
  let strictGw: TestGateway;
  beforeAll(async () => {
    strictGw = await startTestGateway({ profiles: { strict: {} } });
  });
  afterAll(async () => {
    await strictGw?.close();
  });

  it('limit refusals say when to retry and which limit refused', async () => {
    const addresses = Array.from({ length: 3 }, () => address('strict'));
    let handles: string[] = [];
    const seen = new Set<string>();
    const send = async (query: string, input: unknown) => {
      const answer = await postText(strictGw.url, JSON.stringify({ query, variables: { input } }), {
        'apollographql-client-name': 'strict',
      });
      const errors = assertContractAnswer(answer, { statuses: [200, 400] });
      for (const error of errors) seen.add(error.extensions.code);
      const data = JSON.parse(answer.text).data as Record<string, StepData | null> | null;
      const challenge = data && Object.values(data)[0]?.challenge;
      if (challenge) handles = [...handles.slice(-4), challenge.handle];
    };
    const action = fc.oneof(
      fc.nat({ max: 2 }).map((index) => () => send(START_SIGN_IN, { email: addresses[index] })),
      fc.nat({ max: 2 }).map((index) => () => send(SIGN_UP, { email: addresses[index] })),
      fc
        .nat()
        .map(
          (index) => () => send(RESEND_OTP, { handle: handles[index % Math.max(handles.length, 1)] ?? 'x' }),
        ),
      fc.tuple(fc.nat(), fc.stringMatching(/^\d{8}$/)).map(
        ([index, guess]) =>
          () =>
            send(VERIFY_OTP, { handle: handles[index % Math.max(handles.length, 1)] ?? 'x', code: guess }),
      ),
      // Time passes too, so windows open and close.
      fc.integer({ min: 1, max: 40 }).map((seconds) => async () => strictGw.clock.advance(seconds * 1000)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(action, { minLength: 3, maxLength: 12 }), async (actions) => {
        for (const run of actions) await run();
      }),
      runParameters(40),
    );
    // The default sendPerDestination (1 per 30 s) is reached at once: the property did see refusals.
    expect(seen).toContain('RATE_LIMITED');
    await assertAlive(strictGw.url);
  }, 120_000);

  it('retryAfterSeconds is honest: waiting it out lets the send through', async () => {
    // At most one refusal per limit layer a send passes (three per destination, IP, profile, requests,
    // the handle's resend wait): a retryAfterSeconds that is too short would refuse forever.
    const MAX_REFUSALS_IN_A_ROW = 7;
    const kinds = fc.constantFrom('startSignIn', 'signUp', 'resendOtp');
    const scopes = new Set<unknown>();
    await fc.assert(
      fc.asyncProperty(
        fc.array(kinds, { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 20 }),
        async (sends, gapSeconds) => {
          const email = address('honest');
          let handle: string | undefined;
          for (const kind of sends) {
            for (let refusals = 0; ; refusals += 1) {
              const [query, input] =
                kind === 'resendOtp' && handle !== undefined
                  ? [RESEND_OTP, { handle }]
                  : [kind === 'signUp' ? SIGN_UP : START_SIGN_IN, { email }];
              const answer = await postText(strictGw.url, JSON.stringify({ query, variables: { input } }), {
                'apollographql-client-name': 'strict',
              });
              const [error] = assertContractAnswer(answer, { statuses: [200] });
              if (!error) {
                const data = JSON.parse(answer.text).data as Record<string, StepData>;
                handle = Object.values(data)[0]?.challenge?.handle ?? handle;
                break;
              }
              const { code, retryAfterSeconds } = error.extensions;
              // A handle outlived by the waits, or a second signUp for the address: not limits.
              if (code === 'SESSION_EXPIRED' || code === 'CODE_EXPIRED' || code === 'USER_EXISTS') {
                handle = undefined;
                break;
              }
              expect(code, answer.text).toBe('RATE_LIMITED');
              scopes.add(error.extensions.scope);
              expect(refusals, `still refused after waiting: ${answer.text}`).toBeLessThan(
                MAX_REFUSALS_IN_A_ROW,
              );
              strictGw.clock.advance((retryAfterSeconds as number) * 1000);
            }
            strictGw.clock.advance(gapSeconds * 1000);
          }
        },
      ),
      runParameters(30),
    );
    // Waits were needed: the per-destination windows at least.
    expect(scopes).toContain('destination');
    await assertAlive(strictGw.url);
  }, 120_000);
});

describe('afterwards', () => {
  it('the gateway still serves a whole flow', async () => {
    const email = address('after');
    const up = await step(SIGN_UP, { email });
    const done = await step(CONFIRM_SIGN_UP, { handle: up.challenge?.handle, code: gw.lastCode(email) });
    expect(done.nextStep).toBe('DONE');
    const start = await step(START_SIGN_IN, { email });
    const signedIn = await step(VERIFY_OTP, { handle: start.challenge?.handle, code: gw.lastCode(email) });
    expect(signedIn.nextStep).toBe('DONE');
    const me = await gw.graphql<{ me: { email: string } }>(ME, undefined, {
      headers: { authorization: `Bearer ${signedIn.tokens?.accessToken}` },
    });
    expect(me.body.data?.me.email).toBe(email);
  });
});
