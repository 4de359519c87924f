import { execFile, spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The `cognito-emulator` bin as a process: what `pnpm --filter @otpgate/cognito-emulator start -- ...`
// hands it, Ctrl-C, and a busy port.
const run = promisify(execFile);
const pkg = fileURLToPath(new URL('..', import.meta.url));
// Inside the package so the built CLI resolves its dependencies; never the real dist.
const out = join(pkg, 'node_modules/.cache/emulator-cli-test');

let busy: Server;
let busyPort: number;

beforeAll(async () => {
  mkdirSync(out, { recursive: true });
  await run(
    join(pkg, 'node_modules/.bin/tsc'),
    ['-p', 'tsconfig.build.json', '--outDir', out, '--sourceMap', 'false', '--declaration', 'false'],
    { cwd: pkg },
  );
  busy = createServer();
  await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
  busyPort = (busy.address() as { port: number }).port;
}, 120_000);
afterAll(async () => {
  await new Promise<void>((done) => busy?.close(() => done()));
});

function cli(args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [join(out, 'cli.js'), ...args], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal as NodeJS.Signals))),
  );
  return { child, exited, stdout: () => stdout, stderr: () => stderr };
}

describe('cognito-emulator as a process', () => {
  it("takes pnpm's `--` before its own flags, and two SIGINTs (terminal + pnpm) end it with status 0", async () => {
    const emulator = cli(['--', '--print-json', '--port', '0']);
    const deadline = Date.now() + 20_000;
    while (!emulator.stdout().includes('\n')) {
      if (Date.now() > deadline) throw new Error(`no JSON line; stderr:\n${emulator.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const started = JSON.parse(emulator.stdout()) as { endpoint: string; mailbox: string };
    expect(started.mailbox).toBe(`${started.endpoint}/_dev/mailbox`);
    expect((await fetch(started.mailbox)).status).toBe(200);
    emulator.child.kill('SIGINT');
    emulator.child.kill('SIGINT');
    expect(await emulator.exited).toBe(0);
    expect(emulator.stderr()).not.toMatch(/^\s+at /m);
  });

  it('a busy port is one line naming PORT and --port, status 1', async () => {
    const emulator = cli([], { PORT: String(busyPort) });
    expect(await emulator.exited).toBe(1);
    expect(emulator.stderr()).toBe(
      `cognito-emulator: port ${busyPort} is in use; set PORT=<another port> or --port <another port> (0 picks a free one)\n`,
    );
  });
});
