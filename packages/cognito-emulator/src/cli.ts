#!/usr/bin/env node
// The `cognito-emulator` bin. Everything worth testing lives in cli-options.ts; this file only wires
// it to the process: arguments, output, exit status and signals.
import { banner, parseCliArgs, summary, USAGE, UsageError } from './cli-options.js';
import { startEmulator } from './emulator.js';

/** The port asked for, for the busy-port message. */
let port: number | undefined;

async function main(): Promise<void> {
  const options = parseCliArgs(process.argv.slice(2), process.env);
  port = options.port;
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  const emulator = await startEmulator({
    port: options.port,
    host: options.host,
    region: options.region,
    quotas: options.quotas,
    behaviour: options.behaviour,
    defaultSenderDailyEmailQuota: options.emailQuota,
  });
  const pool = options.pool === false ? undefined : await emulator.createPasswordlessPool(options.pool);
  const started = summary(emulator.url, emulator.region, pool);
  if (options.printJson) {
    // stdout stays machine-readable: one JSON line; the banner goes to stderr for the human.
    process.stdout.write(`${JSON.stringify(started)}\n`);
    process.stderr.write(banner(started));
  } else {
    process.stdout.write(banner(started));
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`cognito-emulator: ${signal}, stopping\n`);
    emulator.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  // `on`, not `once`: Ctrl-C reaches the whole process group and `pnpm start` forwards it once more; a
  // second SIGINT must not kill the process mid-shutdown (pnpm would report a failed command).
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`cognito-emulator: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  const code = (error as NodeJS.ErrnoException).code;
  const message =
    code === 'EADDRINUSE'
      ? `port ${port} is in use; set PORT=<another port> or --port <another port> (0 picks a free one)`
      : `cannot start: ${String(error)}`;
  process.stderr.write(`cognito-emulator: ${message}\n`);
  process.exit(1);
});
