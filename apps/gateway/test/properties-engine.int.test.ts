import { SoftwareAuthenticator } from '@otpgate/cognito-emulator/testing';
import { OTP_ERROR_CODES, type OtpEngine, OtpError, type RequestContext } from '@otpgate/cognito-otp';
import { createTestEngine, type TestEngine } from '@otpgate/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONTRACT, hostileString, notAString, runParameters, stringsOf } from './properties-support.js';

// The engine on its own (as other teams embed it, without the gateway's schema in front): whatever a
// caller passes, each call resolves with a well-formed step or rejects with an OtpError whose code is in
// docs/API.md section 2, whose message leaks nothing and repeats nothing of the input, and which is never
// INTERNAL_SERVER_ERROR for input alone (that code means "a bug": the engine failed to classify).

const LOOSE = { points: 1_000_000, durationSeconds: 1 };
const PASSKEY_ORIGIN = 'http://localhost:5173';
/** Assertions of the right shape and origin (for no registered passkey), so calls get past the checks. */
const stranger = new SoftwareAuthenticator();
const assertion = fc
  .uint8Array({ minLength: 16, maxLength: 16 })
  .map((bytes) =>
    stranger.assert(
      { challenge: Buffer.from(bytes).toString('base64url'), rpId: 'localhost' },
      PASSKEY_ORIGIN,
    ),
  );
let t: TestEngine;
/** A registered address and live values from its flow, which the generators can pick. */
const live = { email: '', signInHandle: '', signUpHandle: '', refreshToken: '' };

beforeAll(async () => {
  t = await createTestEngine({
    limits: {
      sendPerDestination: [LOOSE],
      sendPerIp: [LOOSE],
      sendPerProfile: [LOOSE],
      wrongCodesPerDestination: [LOOSE],
      wrongCodesPerIp: [LOOSE],
      requestsPerIp: [LOOSE],
    },
    pool: { webAuthn: { relyingPartyId: 'localhost' } },
    webAuthnOrigins: [PASSKEY_ORIGIN],
  });
  live.email = `live.${process.pid}@engine-props.example`;
  const up = await t.engine.signUp({ email: live.email }, t.ctx());
  if (up.nextStep !== 'CONFIRM_SIGN_UP') throw new Error('sign-up did not ask for a code');
  const done = await t.engine.confirmSignUp(
    { handle: up.challenge.handle, code: t.lastCode(live.email) },
    t.ctx(),
  );
  if (done.nextStep !== 'DONE') throw new Error('confirmation did not sign in');
  live.refreshToken = done.tokens.refreshToken ?? '';
  const start = await t.engine.startSignIn({ email: live.email }, t.ctx());
  if (start.nextStep === 'DONE') throw new Error('sign-in skipped the code');
  live.signInHandle = start.challenge.handle;
  const pending = await t.engine.signUp({ email: `pending.${process.pid}@engine-props.example` }, t.ctx());
  if (pending.nextStep === 'DONE') throw new Error('sign-up skipped the code');
  live.signUpHandle = pending.challenge.handle;
});

afterAll(async () => {
  await t?.[Symbol.asyncDispose]();
});

/** Anything a JavaScript caller can pass where a string is expected, `undefined` included. */
const anything = fc.oneof(
  { weight: 3, arbitrary: hostileString },
  { weight: 2, arbitrary: notAString },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const plausible = {
  email: fc.oneof(
    fc.emailAddress(),
    fc.constant('live').map(() => live.email),
  ),
  phoneNumber: fc.stringMatching(/^\+[1-9]\d{6,14}$/),
  locale: fc.constantFrom('en', 'de-DE'),
  handle: fc.oneof(
    fc.constant('sign-in').map(() => live.signInHandle),
    fc.constant('sign-up').map(() => live.signUpHandle),
    fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('base64url')),
  ),
  code: fc.oneof(
    fc.stringMatching(/^\d{6}$/),
    fc.stringMatching(/^\d{8}$/),
    fc.constant('live').map(() => t.emulator.messages(live.email)[0]?.code ?? '000000'),
  ),
  refreshToken: fc.oneof(
    fc.constant('live').map(() => live.refreshToken),
    fc.string({ maxLength: 40 }),
  ),
  accessToken: fc.string({ maxLength: 40 }),
  channel: fc.constantFrom('EMAIL', 'SMS', 'email', 'FAX'),
  global: fc.oneof(fc.boolean(), fc.constantFrom('yes', 1, null)),
  method: fc.constantFrom('EMAIL_CODE', 'SMS_CODE', 'PASSKEY', 'passkey'),
  credential: fc.oneof(
    { weight: 3, arbitrary: assertion },
    { weight: 1, arbitrary: fc.constantFrom({}, { id: 'AAAA', type: 'public-key', response: {} }, []) },
    { weight: 1, arbitrary: fc.object() },
  ),
  id: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), fc.string({ maxLength: 40 })),
};

function inputOf(fields: Array<keyof typeof plausible>): fc.Arbitrary<unknown> {
  const record = fc.record(
    Object.fromEntries(
      fields.map((name) => [name, fc.oneof({ weight: 3, arbitrary: plausible[name] }, anything)]),
    ),
    { requiredKeys: [] },
  );
  return fc.oneof(
    { weight: 8, arbitrary: record },
    // Not an object at all, or an object with a null prototype or a poisoned key.
    { weight: 1, arbitrary: anything },
    {
      weight: 1,
      arbitrary: record.map((value) => Object.assign(Object.create(null) as object, value)),
    },
    {
      weight: 1,
      // JSON.parse makes `__proto__` an own key, as a body parser without protection would.
      arbitrary: record.map((value) =>
        Object.assign(
          JSON.parse('{"__proto__": {"email": "x@y.example", "handle": "h", "code": "1"}}'),
          value,
        ),
      ),
    },
  );
}

const FLOWS: Record<keyof OtpEngine, Array<keyof typeof plausible>> = {
  signUp: ['email', 'phoneNumber', 'locale'],
  confirmSignUp: ['handle', 'code'],
  startSignIn: ['email', 'phoneNumber', 'channel', 'method'],
  verifyOtp: ['handle', 'code'],
  resendOtp: ['handle'],
  refreshTokens: ['refreshToken'],
  signOut: ['refreshToken', 'accessToken', 'global'],
  getUser: ['accessToken'],
  verifyPasskey: ['handle', 'credential'],
  startPasskeyRegistration: ['accessToken'],
  completePasskeyRegistration: ['accessToken', 'credential'],
  listPasskeys: ['accessToken'],
  deletePasskey: ['accessToken', 'id'],
};

/** Request contexts: mostly the test profile from a plausible IP, sometimes anything at all. */
const context: fc.Arbitrary<RequestContext> = fc.oneof(
  { weight: 6, arbitrary: fc.constant(null).map(() => t.ctx()) },
  {
    weight: 2,
    arbitrary: fc.record({
      clientProfile: fc.oneof(
        fc.constant('default'),
        fc.constantFrom('nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty', ''),
        anything,
      ),
      clientIp: fc.oneof(
        fc.ipV4(),
        fc.ipV6(),
        fc.constantFrom('::ffff:1.2.3.4', '[::1]', 'fe80::1%eth0', '999.1.1.1', 'unknown', ''),
        anything,
      ),
      userAgent: anything,
    }) as fc.Arbitrary<RequestContext>,
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      undefined,
      null,
      {},
      'default',
    ) as fc.Arbitrary<unknown> as fc.Arbitrary<RequestContext>,
  },
);

function assertStep(value: unknown): void {
  if (typeof value === 'boolean') return;
  const step = value as {
    nextStep?: string;
    challenge?: Record<string, unknown>;
    tokens?: Record<string, unknown>;
  };
  expect([
    'CONFIRM_SIGN_UP',
    'CONFIRM_SIGN_IN_WITH_EMAIL_CODE',
    'CONFIRM_SIGN_IN_WITH_SMS_CODE',
    'CONFIRM_SIGN_IN_WITH_PASSKEY',
    'DONE',
  ]).toContain(step.nextStep);
  if (step.nextStep === 'DONE') expect(typeof step.tokens?.accessToken).toBe('string');
  else {
    expect(typeof step.challenge?.handle).toBe('string');
    expect(step.challenge?.expiresAt).toBeInstanceOf(Date);
  }
}

function assertOtpError(error: unknown, sent: unknown): void {
  expect(error, String(error)).toBeInstanceOf(OtpError);
  const failure = error as OtpError;
  expect(OTP_ERROR_CODES).toContain(failure.code);
  expect(CONTRACT.has(failure.code), failure.code).toBe(true);
  expect(failure.code, `${failure.message} (cause: ${String(failure.cause)})`).not.toBe(
    'INTERNAL_SERVER_ERROR',
  );
  expect(failure.message).not.toMatch(/Exception\b|\bat .*:\d+:\d+|TypeError|Cannot read/);
  for (const input of stringsOf(sent)) {
    for (let start = 0; start + 24 <= failure.message.length; start += 1) {
      expect(input.includes(failure.message.slice(start, start + 24)), failure.message).toBe(false);
    }
  }
  if (failure.code === 'BAD_USER_INPUT') expect(typeof failure.field).toBe('string');
  if (failure.code === 'RATE_LIMITED' || failure.code === 'TOO_MANY_ATTEMPTS') {
    expect(Number.isInteger(failure.retryAfterSeconds)).toBe(true);
  }
}

describe('engine calls keep the contract, whatever the caller passes', () => {
  it.each(Object.keys(FLOWS) as Array<keyof OtpEngine>)(
    '%s',
    async (flow) => {
      const outcomes = new Set<string>();
      await fc.assert(
        fc.asyncProperty(inputOf(FLOWS[flow]), context, async (input, ctx) => {
          const call = t.engine[flow] as (input: unknown, ctx: RequestContext) => Promise<unknown>;
          let result: unknown;
          try {
            result = await call(input, ctx);
          } catch (error) {
            assertOtpError(error, [input, ctx]);
            outcomes.add((error as OtpError).code);
            return;
          }
          assertStep(result);
          outcomes.add('OK');
        }),
        runParameters(120),
      );
      // Calls got past the input checks too, not only refusals of malformed input.
      expect(
        [...outcomes].some((outcome) => outcome !== 'BAD_USER_INPUT' && outcome !== 'FORBIDDEN'),
        [...outcomes].join(),
      ).toBe(true);
    },
    120_000,
  );
});
