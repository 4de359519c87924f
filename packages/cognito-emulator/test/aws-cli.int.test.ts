// The reference transcript (docs/COGNITO.md: an AWS CLI session against real Cognito) replayed with the
// real AWS CLI: its commands as written plus --endpoint-url, and each answer checked against the
// answer real Cognito gave, member for member. The CLI is slow to start, so the test makes exactly the
// transcript's calls plus the two that create the pool and client.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Emulator, startEmulator } from '../src/emulator.js';

const run = promisify(execFile);
const AWS = process.env.AWS_CLI ?? 'aws';

// The transcript's answers, as printed there (values elided by the transcript's author with "...").
const TRANSCRIPT = {
  signUp: {
    UserConfirmed: false,
    CodeDeliveryDetails: { Destination: 'y***@e***', DeliveryMedium: 'EMAIL', AttributeName: 'email' },
    UserSub: 'd7f40a38...',
    Session: 'AYABeLIBKr5g...',
  },
  confirmSignUp: { Session: 'AYABeLIBKr5g...' },
  resendConfirmationCode: {
    CodeDeliveryDetails: { Destination: 'y***@e***', DeliveryMedium: 'EMAIL', AttributeName: 'email' },
  },
  initiateAuthWithSession: {
    ChallengeParameters: {},
    AuthenticationResult: {
      AccessToken: 'eyJraWQiO...',
      ExpiresIn: 3600,
      TokenType: 'Bearer',
      RefreshToken: 'eyJjdHkiO...',
      IdToken: 'eyJraWQiO...',
    },
  },
  initiateAuth: {
    ChallengeName: 'EMAIL_OTP',
    Session: 'AYABeLnHu7...',
    ChallengeParameters: { CODE_DELIVERY_DELIVERY_MEDIUM: 'EMAIL', CODE_DELIVERY_DESTINATION: 'y***@e***' },
    AvailableChallenges: ['EMAIL_OTP'],
  },
  respondToAuthChallenge: {
    ChallengeParameters: {},
    AuthenticationResult: {
      AccessToken: 'eyJraWQiOi...',
      ExpiresIn: 3600,
      TokenType: 'Bearer',
      RefreshToken: 'eyJjdHkiOi...',
      IdToken: 'eyJraWQiOi...',
    },
  },
} as const;

/** Member names and value kinds, recursively: what "the same shape as the transcript" means. */
function shape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(shape);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, entry]) => [key, shape(entry)]),
    );
  }
  return typeof value;
}

/** The transcript's values that are not elided (no "..."): those must match exactly. */
function exactValues(value: unknown): unknown {
  if (Array.isArray(value)) return value;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) {
      if (typeof entry === 'string' && entry.endsWith('...')) continue;
      out[key] = exactValues(entry);
    }
    return out;
  }
  return value;
}

function expectLikeTranscript(actual: Record<string, unknown>, expected: object): void {
  expect(shape(actual)).toEqual(shape(expected));
  expect(actual).toMatchObject(exactValues(expected) as Record<string, unknown>);
}

describe('the reference transcript, replayed with the AWS CLI', () => {
  let emulator: Emulator;
  let env: NodeJS.ProcessEnv;

  async function aws(...args: string[]): Promise<Record<string, unknown>> {
    try {
      const { stdout } = await run(AWS, ['cognito-idp', ...args, '--endpoint-url', emulator.url], {
        env,
        timeout: 30_000,
      });
      return JSON.parse(stdout) as Record<string, unknown>;
    } catch (error) {
      const { stderr, message } = error as { stderr?: string; message: string };
      throw new Error(`aws cognito-idp ${args[0]} failed: ${stderr || message}`);
    }
  }

  async function latestCode(to: string, kind: 'SIGN_UP' | 'SIGN_IN'): Promise<string> {
    const messages = (await (
      await fetch(`${emulator.url}/_dev/messages?to=${encodeURIComponent(to)}`)
    ).json()) as Array<{
      kind: string;
      code: string;
    }>;
    const code = messages.find((m) => m.kind === kind)?.code;
    if (!code) throw new Error(`no ${kind} code was sent to ${to}`);
    return code;
  }

  /** Deliberately a failure, not a skip: this test is the proof that the CLI works against us. */
  async function requireAwsCli(): Promise<void> {
    try {
      await run(AWS, ['--version'], { env, timeout: 30_000 });
    } catch (error) {
      throw new Error(
        `The AWS CLI ("${AWS}") could not be run (${(error as Error).message}). Install it (pip install awscli) ` +
          'or point AWS_CLI at it; this test fails rather than skips without it.',
      );
    }
  }

  beforeAll(async () => {
    const { AWS_PROFILE: _profile, AWS_SESSION_TOKEN: _token, ...inherited } = process.env;
    env = {
      ...inherited,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_DEFAULT_OUTPUT: 'json',
      AWS_PAGER: '',
      // Keep the developer's own AWS configuration out of the test.
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    emulator = await startEmulator();
  });
  afterAll(async () => {
    await emulator?.close();
  });

  it('sign-up, resend, confirm, automatic sign-in with SESSION, then EMAIL_OTP sign-in', {
    timeout: 90_000,
  }, async () => {
    await requireAwsCli();
    // The transcript's pool, set up in the console there: ESSENTIALS, EMAIL_OTP as a choice-based
    // first factor, an app client with ALLOW_USER_AUTH and the default 3-minute session. This CLI
    // knows UserPoolTier, SignInPolicy and AuthSessionValidity, so no workaround is needed.
    const pool = await aws(
      'create-user-pool',
      '--pool-name',
      'transcript',
      '--user-pool-tier',
      'ESSENTIALS',
      '--policies',
      'SignInPolicy={AllowedFirstAuthFactors=[PASSWORD,EMAIL_OTP]}',
      '--username-attributes',
      'email',
      '--auto-verified-attributes',
      'email',
      '--username-configuration',
      'CaseSensitive=false',
    );
    const userPool = pool.UserPool as { Id: string; UserPoolTier: string; Policies: unknown };
    expect(userPool.UserPoolTier).toBe('ESSENTIALS');
    expect(userPool.Policies).toEqual({
      SignInPolicy: { AllowedFirstAuthFactors: ['PASSWORD', 'EMAIL_OTP'] },
    });
    const client = await aws(
      'create-user-pool-client',
      '--user-pool-id',
      userPool.Id,
      '--client-name',
      'transcript-app',
      '--no-generate-secret',
      '--explicit-auth-flows',
      'ALLOW_USER_AUTH',
      'ALLOW_REFRESH_TOKEN_AUTH',
      '--auth-session-validity',
      '3',
      '--prevent-user-existence-errors',
      'ENABLED',
    );
    const clientId = (client.UserPoolClient as { ClientId: string }).ClientId;
    const email = 'yuki@example.com';

    // (1) sign-up
    const signUp = await aws(
      'sign-up',
      '--client-id',
      clientId,
      '--username',
      email,
      '--user-attributes',
      `Name=email,Value=${email}`,
    );
    expectLikeTranscript(signUp, TRANSCRIPT.signUp);
    expect(signUp.Session).toMatch(/^AYAB/);

    // (2-補足) resend-confirmation-code: the code from sign-up is replaced.
    const firstCode = await latestCode(email, 'SIGN_UP');
    const resent = await aws('resend-confirmation-code', '--client-id', clientId, '--username', email);
    expectLikeTranscript(resent, TRANSCRIPT.resendConfirmationCode);
    const code = await latestCode(email, 'SIGN_UP');
    expect(code).toMatch(/^\d{6}$/);
    expect(firstCode).toMatch(/^\d{6}$/);

    // (2) confirm-sign-up, passing no Session, as the transcript does.
    const confirmed = await aws(
      'confirm-sign-up',
      '--client-id',
      clientId,
      '--username',
      email,
      '--confirmation-code',
      code,
    );
    expectLikeTranscript(confirmed, TRANSCRIPT.confirmSignUp);

    // (3) automatic sign-in: the Session inside --auth-parameters, as the transcript writes it.
    const autoSignIn = await aws(
      'initiate-auth',
      '--auth-flow',
      'USER_AUTH',
      '--client-id',
      clientId,
      '--auth-parameters',
      `USERNAME=${email},SESSION=${String(confirmed.Session)}`,
    );
    expectLikeTranscript(autoSignIn, TRANSCRIPT.initiateAuthWithSession);

    // (4) a later sign-in: EMAIL_OTP is the only factor this user has, so it is issued at once.
    const started = await aws(
      'initiate-auth',
      '--auth-flow',
      'USER_AUTH',
      '--client-id',
      clientId,
      '--auth-parameters',
      `USERNAME=${email}`,
    );
    expectLikeTranscript(started, TRANSCRIPT.initiateAuth);
    const otp = await latestCode(email, 'SIGN_IN');
    expect(otp).toMatch(/^\d{8}$/);

    // (5) respond-to-auth-challenge
    const signedIn = await aws(
      'respond-to-auth-challenge',
      '--client-id',
      clientId,
      '--challenge-name',
      'EMAIL_OTP',
      '--session',
      String(started.Session),
      '--challenge-responses',
      `USERNAME=${email},EMAIL_OTP_CODE=${otp}`,
    );
    expectLikeTranscript(signedIn, TRANSCRIPT.respondToAuthChallenge);
  });
});
