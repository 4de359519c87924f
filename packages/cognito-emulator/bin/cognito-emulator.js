#!/usr/bin/env node
// The installed `cognito-emulator` command. pnpm links a workspace package's bin when it installs, before
// anything is built, so the link points at this committed file, which loads the build.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (existsSync(cli)) {
  await import(cli.href);
} else {
  process.stderr.write(
    'cognito-emulator: not built yet; run `pnpm --filter @otpgate/cognito-emulator build` first.\n',
  );
  process.exitCode = 1;
}
