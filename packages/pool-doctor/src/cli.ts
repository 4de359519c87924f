#!/usr/bin/env node
// The `otpgate-doctor` bin (`pnpm run doctor` at the root). Everything testable is in main.ts.
import { main } from './main.js';

main(process.argv.slice(2), process.env, {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `otpgate-doctor: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 2;
  },
);
