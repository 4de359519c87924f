import { execFile } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { type Emulator, startEmulator } from '@otpgate/cognito-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../src/main.js';
import { createPool, sdkFor } from './helpers.js';

const run = promisify(execFile);
const pkg = join(dirname(fileURLToPath(import.meta.url)), '..');
// Inside the package so the built CLI resolves its dependencies; never the real dist.
const scratch = join(pkg, 'node_modules/.cache/doctor-cli-test');

let emulator: Emulator;
let sdk: CognitoIdentityProviderClient;
let good: { userPoolId: string; clientId: string };
let bad: { userPoolId: string; clientId: string };
let configPath: string;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  sdk = sdkFor(emulator);
  good = await createPool(sdk);
  bad = await createPool(sdk, {}, { PreventUserExistenceErrors: 'LEGACY' });
  mkdirSync(scratch, { recursive: true });
  configPath = join(scratch, 'profiles.json');
  writeFileSync(
    configPath,
    JSON.stringify({
      profiles: {
        web: { ...good, allowedOrigins: ['https://shop.example'], authSessionValiditySeconds: 300 },
        kiosk: { ...bad, tokenDelivery: 'cookie', authSessionValiditySeconds: 300 },
      },
    }),
  );
});
afterAll(async () => {
  sdk.destroy();
  await emulator.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** main() with captured output. */
async function doctor(argv: string[], env: Record<string, string | undefined> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, env, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

describe('otpgate-doctor', () => {
  it('exits 0 when nothing fails, reading the single profile from COGNITO_* like the gateway', async () => {
    const { code, stdout } = await doctor([], {
      COGNITO_USER_POOL_ID: good.userPoolId,
      COGNITO_CLIENT_ID: good.clientId,
      COGNITO_ENDPOINT: emulator.url,
    });
    // The default profile has the engine's 180 s handles against a 5-minute session: a warning only.
    expect(stdout).toMatch(/^Profile default: /m);
    expect(stdout).toMatch(/\n0 failures, 1 warning, 13 passed\.\n/);
    expect(code).toBe(0);
  });

  it('exits 1 when a check fails, reading the profiles file from --config (over OTPGATE_CONFIG)', async () => {
    const { code, stdout } = await doctor(['--config', configPath, '--endpoint', emulator.url], {
      OTPGATE_CONFIG: '/nowhere.json',
    });
    expect(stdout).toMatch(/used by web\n[\s\S]*used by kiosk\n/);
    expect(stdout).toMatch(/FAIL {2}client\.user-existence-errors/);
    expect(stdout).toMatch(/\n1 failure, 0 warnings, 27 passed\.\n/);
    expect(code).toBe(1);
  });

  it('prints the report as JSON with --json', async () => {
    const { code, stdout } = await doctor(['--json'], {
      OTPGATE_CONFIG: configPath,
      COGNITO_ENDPOINT: emulator.url,
    });
    expect(JSON.parse(stdout)).toMatchObject({ ok: false, counts: { fail: 1, warn: 0, pass: 27 } });
    expect(code).toBe(1);
  });

  it('reads webAuthnOrigins from the profiles file and checks the pool’s passkey settings', async () => {
    const path = join(scratch, 'passkeys.json');
    writeFileSync(
      path,
      JSON.stringify({ profiles: { web: { ...good, webAuthnOrigins: ['https://shop.example'] } } }),
    );
    const { code, stdout } = await doctor(['--config', path, '--endpoint', emulator.url]);
    expect(stdout).toMatch(/FAIL {2}pool\.passkey-factor/);
    expect(stdout).toMatch(/FAIL {2}pool\.passkey-relying-party/);
    expect(stdout).toContain('set-user-pool-mfa-config');
    expect(code).toBe(1);
  });

  it('exits 2 with the usage for no profiles, a bad file or an unknown flag', async () => {
    const none = await doctor([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no profiles: pass --config .*\n\nusage: otpgate-doctor/);
    expect((await doctor(['--config', join(scratch, 'missing.json')])).stderr).toMatch(
      /missing\.json: cannot be read/,
    );
    expect((await doctor(['--verbose'])).code).toBe(2);
  });

  it('runs as a process: the built bin exits 1 and prints the failure', async () => {
    // The package and the workspace packages it imports, built as `pnpm build` builds them (turbo
    // caches the unchanged ones), so the bin runs from dist as an installed one would.
    await run(
      join(pkg, '../../node_modules/.bin/turbo'),
      ['run', 'build', '--filter=@otpgate/pool-doctor...', '--output-logs=errors-only'],
      {
        cwd: join(pkg, '../..'),
        env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' },
        timeout: 120_000,
      },
    );
    const out = join(pkg, 'dist');
    const child = run(process.execPath, [join(out, 'cli.js'), '--config', configPath], {
      env: { PATH: process.env.PATH, COGNITO_ENDPOINT: emulator.url },
      timeout: 20_000,
    });
    await expect(child).rejects.toMatchObject({
      code: 1,
      stdout: expect.stringMatching(/FAIL {2}client\.user-existence-errors/),
    });
    // A cold build of the engine and its dependents takes a while on a busy 2-core machine.
  }, 180_000);
});
