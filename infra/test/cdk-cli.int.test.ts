import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';

const infra = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = mkdtempSync(join(tmpdir(), 'otpgate-cdk-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

it('`cdk synth` runs the app offline, without credentials, and writes a template with the user pool', async () => {
  // Only what a shell needs, none of the caller's AWS settings: no credentials, no profile, so the CLI
  // cannot look anything up, and every network feature of the CLI turned off.
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: out,
    AWS_CONFIG_FILE: join(out, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(out, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_REGION: 'eu-west-1',
    CDK_DISABLE_VERSION_CHECK: '1',
    CDK_DISABLE_CLI_TELEMETRY: 'true',
  };
  await promisify(execFile)(
    join(infra, 'node_modules/.bin/cdk'),
    [
      'synth',
      '--no-notices',
      '--quiet',
      '--output',
      out,
      '--context',
      'sesFromAddress=no-reply@shop.example',
      '--context',
      'frontends=["web"]',
    ],
    { cwd: infra, env, timeout: 90_000 },
  );
  const template = JSON.parse(readFileSync(join(out, 'Otpgate.template.json'), 'utf8'));
  const types = Object.values(template.Resources as Record<string, { Type: string }>).map((r) => r.Type);
  expect(types).toContain('AWS::Cognito::UserPool');
  expect(types).toContain('AWS::Cognito::UserPoolClient');
  expect(Object.keys(template.Outputs)).toEqual(['UserPoolId', 'OtpgateProfileWeb']);
});
