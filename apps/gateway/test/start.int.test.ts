import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The built gateway in local mode as a user starts it (`pnpm start`: pnpm runs a script that ends in
 * `exec node dist/main.js`) and stops it (Ctrl-C: SIGINT to the whole process group, which pnpm then
 * forwards once more). And a busy port: one line naming the variable to change, no stack.
 */

const GATEWAY_DIR = fileURLToPath(new URL('..', import.meta.url));
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);

/** This process's environment without anything that would take the gateway out of local mode. */
function localEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'development', ...extra };
  for (const key of Object.keys(env)) {
    if (/^(REDIS_|COGNITO_|OTPGATE_|HOST$)/.test(key)) delete env[key];
  }
  return env;
}

interface Started {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | NodeJS.Signals>;
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv, cwd = GATEWAY_DIR): Started {
  // Its own process group, like a terminal's foreground job, so SIGINT can go to all of it at once.
  const child = spawn(command, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | NodeJS.Signals>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? (signal as NodeJS.Signals))),
  );
  return { child, output: () => output, exited };
}

async function waitFor(started: Started, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(started.output());
    if (match) return match;
    if (Date.now() > deadline) throw new Error(`no ${pattern} in time; output:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const children: Started[] = [];
let busy: Server;
let busyPort: number;

beforeAll(async () => {
  // The gateway, its workspace dependencies and the demo page, built as `pnpm start` builds them.
  await run(
    'pnpm',
    [
      'exec',
      'turbo',
      'run',
      'build',
      '--filter=@otpgate/gateway...',
      '--filter=@otpgate/demo-web',
      '--output-logs=errors-only',
    ],
    { cwd: ROOT, env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1' } },
  );
  busy = createServer();
  await new Promise<void>((done) => busy.listen(0, '127.0.0.1', done));
  busyPort = (busy.address() as { port: number }).port;
}, 600_000);

afterAll(async () => {
  for (const started of children) {
    if (started.child.exitCode === null && started.child.pid) process.kill(-started.child.pid, 'SIGKILL');
  }
  await new Promise<void>((done) => busy?.close(() => done()));
});

describe('pnpm start, then Ctrl-C', () => {
  it('prints the banner with each URL and its variable, and SIGINT ends it with status 0 and nothing alarming', async () => {
    const gateway = start(
      'pnpm',
      ['--filter', '@otpgate/gateway', 'start'],
      localEnv({ PORT: '0', DEMO_PORT: '0', EMULATOR_PORT: '0', METRICS_PORT: '0' }),
    );
    children.push(gateway);
    const [, graphql] = await waitFor(gateway, /GraphQL:\s+(http:\/\/127\.0\.0\.1:\d+)\/graphql\s+PORT\n/);
    // Named localhost (the passkeys' relying party), served on loopback all the same.
    const [, demoPage] = await waitFor(gateway, /Demo page:\s+(http:\/\/localhost:\d+\/)\s+DEMO_PORT/);
    // DEMO_PORT=0: the page's port is known only once it listens, too late for the profile's origins.
    await waitFor(gateway, /Passkeys:\s+http:\/\/localhost:5173 \(relying party localhost\)/);
    const [, mailbox] = await waitFor(
      gateway,
      /Dev mailbox:\s+(http:\/\/127\.0\.0\.1:\d+\/_dev\/mailbox)\s+EMULATOR_PORT/,
    );
    await waitFor(gateway, /"msg":"gateway listening"/);
    expect((await fetch(`${graphql}/healthz`)).status).toBe(200);
    expect((await fetch(mailbox as string)).status).toBe(200);
    expect((await fetch(demoPage as string)).status).toBe(200);

    process.kill(-(gateway.child.pid as number), 'SIGINT');
    expect(await gateway.exited).toBe(0);
    const output = gateway.output();
    expect(output).toContain('"signal":"SIGINT"');
    expect(output).not.toMatch(/ELIFECYCLE|Command failed|^\s+at /m);
  });
});

describe('a busy port', () => {
  it.each([
    ['PORT', { DEMO_PORT: '0', EMULATOR_PORT: '0', METRICS_PORT: '0' }],
    ['EMULATOR_PORT', { PORT: '0', DEMO_PORT: '0', METRICS_PORT: '0' }],
    ['DEMO_PORT', { PORT: '0', EMULATOR_PORT: '0', METRICS_PORT: '0' }],
    ['METRICS_PORT', { PORT: '0', DEMO_PORT: '0', EMULATOR_PORT: '0' }],
  ])('%s: one line naming the variable, exit status 1, no stack', async (variable, others) => {
    const gateway = start(
      process.execPath,
      ['dist/main.js'],
      localEnv({ ...others, [variable]: String(busyPort), LOG_LEVEL: 'silent' }),
    );
    children.push(gateway);
    expect(await gateway.exited).toBe(1);
    const line = `otpgate: port ${busyPort} is in use; set ${variable}=<another port> (0 picks a free one)\n`;
    expect(gateway.output().endsWith(line)).toBe(true);
    expect(gateway.output()).not.toMatch(/^\s+at |EADDRINUSE/m);
  });
});
