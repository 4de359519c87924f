// The README's first snippet, run as a reader runs it (its own Node process, the file as written) against
// pools of a real emulator: one set up as otpgate needs, one whose app client leaks user existence.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Emulator, startEmulator } from '@otpgate/cognito-emulator';
import { readmeSnippet, runSnippet } from '@otpgate/vitest-config/readme';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SNIPPET = readmeSnippet(resolve(PACKAGE_DIR, 'README.md'));

let emulator: Emulator;
beforeAll(async () => {
  // The snippet's region.
  emulator = await startEmulator({ port: 0, region: 'eu-west-1' });
});
afterAll(async () => {
  await emulator.close();
});

async function runAgainst(pool: { userPoolId: string; clientId: string }) {
  return runSnippet(SNIPPET, {
    cwd: PACKAGE_DIR,
    env: {
      COGNITO_ENDPOINT: emulator.url,
      USER_POOL_ID: pool.userPoolId,
      CLIENT_ID: pool.clientId,
      // DescribeUserPool is signed: the SDK's default chain finds these, as it finds real ones on AWS.
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    },
  });
}

describe('README', () => {
  it('passes a pool set up for passwordless sign-in (warnings allowed) and exits 0', async () => {
    const pool = await emulator.createPasswordlessPool();
    const result = await runAgainst(pool);

    expect(result.stderr).toBe('');
    expect(result.stdout).toContain(`User pool ${pool.userPoolId} (eu-west-1), used by web`);
    expect(result.stdout).toMatch(/PASS {2}pool\.first-factors +Sign-in choices include EMAIL_OTP/);
    expect(result.stdout).toMatch(/PASS {2}client\.user-auth +Authentication flows include ALLOW_USER_AUTH/);
    // The emulator's pool uses Cognito's default email sender and a 3-minute session: two warnings.
    expect(result.stdout).toMatch(/WARN {2}pool\.email-sender/);
    expect(result.stdout).toMatch(/WARN {2}client\.auth-session-validity/);
    expect(result.stdout).toMatch(/^0 failures, 2 warnings, \d+ passed\.$/m);
    expect(result.exitCode).toBe(0);
  });

  it('fails an app client with PreventUserExistenceErrors LEGACY, names the fix, and exits 1', async () => {
    const pool = await emulator.createPasswordlessPool({ preventUserExistenceErrors: 'LEGACY' });
    const result = await runAgainst(pool);

    expect(result.stderr).toBe('');
    expect(result.stdout).toMatch(
      /FAIL {2}client\.user-existence-errors +PreventUserExistenceErrors is LEGACY/,
    );
    expect(result.stdout).toMatch(
      /aws cognito-idp update-user-pool-client .*"PreventUserExistenceErrors":"ENABLED"/,
    );
    expect(result.stdout).toMatch(/^1 failure, 2 warnings, \d+ passed\.$/m);
    expect(result.exitCode).toBe(1);
  });
});
