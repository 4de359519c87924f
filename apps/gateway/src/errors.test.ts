import { OTP_ERROR_CODES, OtpError } from '@otpgate/cognito-otp';
import { GraphQLError, parse, specifiedRules, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { classifyError, ERROR_TABLE, formatError } from './errors.js';
import { noSubscriptionsRule } from './graphql/no-subscriptions.rule.js';
import { oneAuthFieldRule } from './graphql/one-auth-field.rule.js';
import { recordInputFieldNames } from './graphql/validation-fields.js';
import { buildGatewaySchema } from './schema/index.js';

const schema = buildGatewaySchema();

describe('ERROR_TABLE', () => {
  it('maps every engine code to the same contract code', () => {
    expect(Object.keys(ERROR_TABLE).sort()).toEqual([...OTP_ERROR_CODES].sort());
    for (const code of OTP_ERROR_CODES) expect(ERROR_TABLE[code].code).toBe(code);
  });

  it('passes exactly the extras docs/API.md lists for each code', () => {
    const all = { field: 'email', attemptsRemaining: 2, retryAfterSeconds: 30, scope: 'ip' as const };
    const extensionsOf = (code: (typeof OTP_ERROR_CODES)[number]) =>
      classifyError(new OtpError(code, 'message', all)).extensions;
    expect(extensionsOf('BAD_USER_INPUT')).toEqual({ code: 'BAD_USER_INPUT', field: 'email' });
    expect(extensionsOf('CODE_MISMATCH')).toEqual({ code: 'CODE_MISMATCH', attemptsRemaining: 2 });
    expect(extensionsOf('TOO_MANY_ATTEMPTS')).toEqual({ code: 'TOO_MANY_ATTEMPTS', retryAfterSeconds: 30 });
    expect(extensionsOf('RATE_LIMITED')).toEqual({
      code: 'RATE_LIMITED',
      retryAfterSeconds: 30,
      scope: 'ip',
    });
    expect(extensionsOf('UPSTREAM_UNAVAILABLE')).toEqual({
      code: 'UPSTREAM_UNAVAILABLE',
      retryAfterSeconds: 30,
    });
    for (const code of [
      'CODE_EXPIRED',
      'SESSION_EXPIRED',
      'USER_EXISTS',
      'DELIVERY_FAILED',
      'UNAUTHENTICATED',
    ] as const) {
      expect(extensionsOf(code)).toEqual({ code });
    }
  });

  it('keeps the engine message, but masks INTERNAL_SERVER_ERROR', () => {
    expect(classifyError(new OtpError('CODE_EXPIRED', 'The code has expired.')).message).toBe(
      'The code has expired.',
    );
    const internal = classifyError(new OtpError('INTERNAL_SERVER_ERROR', 'NotAuthorizedException at line 3'));
    expect(internal).toMatchObject({ message: 'Internal server error.', unexpected: true });
  });
});

describe('formatError', () => {
  it('masks anything that is not ours, with no stack or internal message', () => {
    const cause = new Error('ResourceNotFoundException: User pool us-east-1_abc does not exist');
    const wrapped = new GraphQLError(cause.message, { originalError: cause, path: ['signUp'] });
    const formatted = formatError(
      {
        message: cause.message,
        path: ['signUp'],
        extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['x'] },
      },
      wrapped,
    );
    expect(formatted).toEqual({
      message: 'Internal server error.',
      path: ['signUp'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
  });

  it('answers parse errors as BAD_USER_INPUT on `query`, without quoting the document', () => {
    const error = new GraphQLError('Syntax Error: Unexpected Name "secret123".');
    expect(classifyError(error, 'GRAPHQL_PARSE_FAILED')).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT', field: 'query' },
    });
    expect(classifyError(error, 'GRAPHQL_PARSE_FAILED').message).not.toContain('secret123');
  });

  it.each([
    [
      'Variable "$input" got invalid value 5 at "input.email"; String cannot represent a non string value: 5',
      'email',
    ],
    [
      'Variable "$input" got invalid value {}; Field "handle" of required type "ID!" was not provided.',
      'handle',
    ],
    ['Variable "$input" got invalid value { a: 1 }; Field "a" is not defined by type "VerifyOtpInput".', 'a'],
    ['Variable "$input" of required type "SignUpInput!" was not provided.', 'input'],
    ['Variable "$input" got invalid value "x"; Expected type "SignUpInput" to be an object.', 'input'],
  ])('names the field of a variable coercion error: %s', (message, field) => {
    const classified = classifyError(new GraphQLError(message), 'BAD_USER_INPUT');
    expect(classified.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
    expect(classified.message).toBe(`Invalid value for "${field}".`);
  });
});

describe('validation errors', () => {
  const rules = [...specifiedRules, recordInputFieldNames, oneAuthFieldRule];
  const classify = (document: string) =>
    validate(schema, parse(document), rules).map((error) =>
      classifyError(error, 'GRAPHQL_VALIDATION_FAILED'),
    );

  it.each([
    ['mutation { verifyOtp(input: { handle: "h", code: 12345678 }) { nextStep } }', 'code'],
    ['mutation { verifyOtp(input: { handle: "h" }) { nextStep } }', 'code'],
    ['mutation { verifyOtp(input: { handle: ["h"], code: "1" }) { nextStep } }', 'handle'],
    ['mutation { signUp(input: { email: true }) { nextStep } }', 'email'],
    ['mutation { signUp(input: { email: "a@b.example", phone: "1" }) { nextStep } }', 'phone'],
    ['mutation { startSignIn(input: { email: "a@b.example", channel: FAX }) { nextStep } }', 'channel'],
    ['mutation { startSignIn(input: { channel: "SMS" }) { nextStep } }', 'channel'],
    ['mutation { signOut(input: { global: "yes" }) }', 'global'],
    ['mutation { resendOtp(input: 5) { nextStep } }', 'input'],
    ['mutation { resendOtp { nextStep } }', 'input'],
    ['mutation { signUp(input: { email: "a@b.example" }) }', 'signUp'],
    ['mutation { signUp(input: { email: "a@b.example" }) { nextStp } }', 'nextStp'],
    ['mutation { signUp(input: { email: "a@b.example" }, extra: 1) { nextStep } }', 'extra'],
  ])('%s -> BAD_USER_INPUT on %s', (document, field) => {
    const [first] = classify(document);
    expect(first?.extensions).toEqual({ code: 'BAD_USER_INPUT', field });
  });

  it('never quotes the offending value or suggests schema names', () => {
    const messages = classify(
      'mutation { verifyOtp(input: { handle: "h", code: 87654321 }) { nextStep } } query { mee }',
    ).map((c) => c.message);
    expect(messages.join(' ')).not.toMatch(/87654321|Did you mean/);
  });

  it('names a client-chosen name of up to 64 characters, and never repeats a longer one', () => {
    const short = 'x'.repeat(64);
    const long = 'y'.repeat(65);
    expect(classify(`mutation { signOut(input: { ${short}: 1 }) }`)[0]?.extensions).toEqual({
      code: 'BAD_USER_INPUT',
      field: short,
    });
    for (const document of [
      `mutation { signOut(input: { ${long}: 1 }) }`,
      `{ ${long} }`,
      `{ ...${long} }`,
      `query { __typename @${long} }`,
      `query ($a: ${long}) { __typename }`,
    ]) {
      const [first] = classify(document);
      expect(first?.extensions.code).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(first)).not.toContain(long);
    }
    const variable = new GraphQLError(
      `Variable "$input" got invalid value { ${long}: 1 }; Field "${long}" is not defined by type "SignOutInput".`,
      { extensions: { code: 'BAD_USER_INPUT' } },
    );
    expect(classifyError(variable).extensions).toEqual({ code: 'BAD_USER_INPUT', field: 'input' });
  });

  it('refuses subscriptions (the schema has none) as BAD_USER_INPUT, not at execution', () => {
    const errors = validate(schema, parse('subscription S { me { sub } }'), [noSubscriptionsRule]);
    expect(errors.map((error) => classifyError(error, 'GRAPHQL_VALIDATION_FAILED').extensions)).toEqual([
      { code: 'BAD_USER_INPUT', field: 'operation' },
    ]);
  });
});
