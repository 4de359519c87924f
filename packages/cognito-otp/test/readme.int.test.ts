// The README's first snippet, run as a reader runs it (its own Node process, the file as written),
// against a real Cognito emulator and a real redis-server: the code it asks for is typed on its stdin.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestEngine, ManualClock, startRedis } from '@otpgate/testing';
import { readmeSnippet, runSnippet } from '@otpgate/vitest-config/readme';
import { describe, expect, it } from 'vitest';

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EMAIL = 'yuki@example.com';

describe('README', () => {
  it('signs a user in with the first snippet: startSignIn, the code typed in, verifyOtp', async () => {
    await using redis = await startRedis();
    // The snippet's region is eu-west-1; the emulator runs on the real clock, like the snippet's engine.
    await using t = await createTestEngine({
      clock: new ManualClock(Date.now()),
      emulator: { region: 'eu-west-1' },
    });
    // The snippet signs in an existing user: sign one up first (through the engine, like an app would).
    const signUp = await t.engine.signUp({ email: EMAIL }, t.ctx());
    if (signUp.nextStep !== 'CONFIRM_SIGN_UP') throw new Error(`signUp answered ${signUp.nextStep}`);
    const confirmed = await t.engine.confirmSignUp(
      { handle: signUp.challenge.handle, code: t.lastCode(EMAIL) },
      t.ctx(),
    );
    expect(confirmed.nextStep).toBe('DONE');
    t.emulator.clearMessages();

    const result = await runSnippet(readmeSnippet(resolve(PACKAGE_DIR, 'README.md')), {
      cwd: PACKAGE_DIR,
      env: {
        COGNITO_ENDPOINT: t.emulator.url,
        REDIS_URL: redis.url,
        USER_POOL_ID: t.profile.userPoolId,
        CLIENT_ID: t.profile.clientId,
        OTPGATE_HMAC_SECRET: 'readme-test-secret-readme-test-secret',
        // No AWS credentials at all: the README says the engine needs none (its calls are unsigned).
      },
      prompts: [{ when: /Code: $/, answer: () => t.lastCode(EMAIL) }],
    });

    expect(result.stderr).toBe('');
    expect(result.stdout).toContain('A 8-digit code went to y***@e***');
    expect(result.stdout).toContain('Signed in; the access token lasts 3600 s');
    expect(result.exitCode).toBe(0);
    expect(t.emulator.messages(EMAIL).map((message) => message.kind)).toEqual(['SIGN_IN']);
  });
});
