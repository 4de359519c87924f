#!/usr/bin/env node
// `pnpm --filter @otpgate/infra profiles -- --outputs cdk-outputs.json --out otpgate.profiles.json`
// Turns `cdk deploy --outputs-file` output into the gateway's profiles file (OTPGATE_CONFIG).
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ProfilesError, type ProfilesFile, profilesFromOutputs } from '../lib/profiles.js';

const USAGE = `usage: profiles --outputs <cdk-outputs.json> --out <otpgate.profiles.json> [--stack <name>]
  Client secrets are read from OTPGATE_CLIENT_SECRET_<NAME> (NAME upper-cased, "-" as "_").
  An existing --out file keeps its other profiles and hand-written keys (limits, onExistingUser, ...).
`;

try {
  const { values } = parseArgs({
    // pnpm forwards the "--" separator itself.
    args: process.argv.slice(2).filter((arg) => arg !== '--'),
    options: {
      outputs: { type: 'string' },
      out: { type: 'string' },
      stack: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.outputs || !values.out) {
    process.stderr.write(USAGE);
    process.exit(values.help ? 0 : 2);
  }
  // pnpm runs scripts in the package directory; paths are meant from where the command was typed.
  const base = process.env.INIT_CWD ?? process.cwd();
  const outputsPath = resolve(base, values.outputs);
  const outPath = resolve(base, values.out);
  const existing = existsSync(outPath)
    ? (JSON.parse(readFileSync(outPath, 'utf8')) as ProfilesFile)
    : undefined;
  const file = profilesFromOutputs(JSON.parse(readFileSync(outputsPath, 'utf8')), {
    secrets: process.env,
    ...(values.stack !== undefined && { stackName: values.stack }),
    ...(existing !== undefined && { existing }),
  });
  const hasSecret = Object.values(file.profiles).some((profile) => profile.clientSecret !== undefined);
  // A file holding client secrets is itself a secret: owner-only.
  writeFileSync(outPath, `${JSON.stringify(file, null, 2)}\n`, { mode: hasSecret ? 0o600 : 0o644 });
  // `mode` only applies to a new file.
  if (hasSecret) chmodSync(outPath, 0o600);
  const names = Object.keys(file.profiles).join(', ');
  process.stdout.write(
    `wrote ${outPath}: profiles ${names}${hasSecret ? ' (contains client secrets, mode 600)' : ''}\n`,
  );
} catch (error) {
  if (
    error instanceof ProfilesError ||
    error instanceof SyntaxError ||
    (error as NodeJS.ErrnoException).code
  ) {
    process.stderr.write(`profiles: ${(error as Error).message}\n`);
    process.exit(1);
  }
  throw error;
}
