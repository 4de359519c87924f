// The README's first snippet, run as a reader runs it: its own Node process, the file as written, the
// real AWS SDK against the emulator the snippet starts itself.
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readmeSnippet, runSnippet } from '@otpgate/vitest-config/readme';
import { describe, expect, it } from 'vitest';

const PACKAGE_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '..');

describe('README', () => {
  it('signs up and signs in through the AWS SDK with the first snippet', async () => {
    const result = await runSnippet(readmeSnippet(resolve(PACKAGE_DIR, 'README.md')), { cwd: PACKAGE_DIR });

    expect(result.stderr).toBe('');
    const lines = result.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toBe('EMAIL_OTP y***@e***');
    expect(lines[1]).toMatch(/^Bearer pool us-east-1_[0-9a-zA-Z]+$/);
    // `await using` stopped the emulator: the process ended by itself, nothing left listening.
    expect(result.exitCode).toBe(0);
  });
});
