import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, ProcessStartError, startProcess } from '../src/process.js';

const CHILD = fileURLToPath(new URL('./fixtures/child.mjs', import.meta.url));
const node = (mode: string, ...args: string[]) => ({
  command: process.execPath,
  args: [CHILD, mode, ...args],
});

/** Whether a process with this pid is running (a zombie waiting to be reaped counts as gone). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-process-test-'));
  dirs.push(dir);
  return dir;
}

describe('startProcess', () => {
  it('resolves on the ready line with its parsed value, passes only PATH and the given env, and stops on SIGTERM', async () => {
    const child = await startProcess({
      ...node('ready'),
      name: 'fixture',
      env: { FOO: 'bar' },
      ready: (line) =>
        line.startsWith('{') ? (JSON.parse(line) as { foo: string; home: string | null }) : undefined,
    });
    expect(child.ready).toEqual({ msg: 'ready', foo: 'bar', home: null });
    expect(child.running).toBe(true);
    expect(child.output()).toContain('warming up');
    expect(child.stdout()).not.toContain('warming up');
    expect(await child.stop()).toBe(0);
    expect(child.running).toBe(false);
    expect(child.exitCode).toBe(0);
    expect(child.signal).toBeUndefined();
    expect(child.output()).toContain('stopping');
  });

  it('matches a RegExp ready line and resolves with the line', async () => {
    await using child = await startProcess({ ...node('plain'), ready: /^ready$/ });
    expect(child.ready).toBe('ready');
  });

  it('rejects with the exit code and the output when the child exits before it is ready', async () => {
    const error = await startProcess({ ...node('exit', '3'), name: 'failing', ready: /never/ }).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ProcessStartError);
    const startError = error as ProcessStartError;
    expect(startError.exitCode).toBe(3);
    expect(startError.processName).toBe('failing');
    expect(startError.message).toMatch(
      /^failing exited with code 3 while waiting for its ready line; output:/,
    );
    expect(startError.message).toContain('about to fail');
    expect(startError.output).toContain('about to fail');
  });

  it('reports the exit code without a ready option', async () => {
    const child = await startProcess(node('exit', '5'));
    expect(await child.exited).toBe(5);
    expect(child.running).toBe(false);
    expect(await child.stop()).toBe(5);
  });

  it('times out with an error that holds the captured output, and leaves no process behind', async () => {
    // 2 s: long enough for Node to start and print on a loaded machine, so the output is there.
    const started = Date.now();
    const error = await startProcess({
      ...node('hang'),
      name: 'slow',
      ready: /^ready$/,
      readyTimeoutMs: 2_000,
    }).catch((caught: unknown) => caught);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(error).toBeInstanceOf(ProcessStartError);
    const startError = error as ProcessStartError;
    expect(startError.message).toMatch(/^slow timed out after 2000 ms waiting for its ready line; output:/);
    expect(startError.message).toContain('still starting');
    // Still running when it timed out, then killed before the error was thrown.
    expect(startError.exitCode).toBeUndefined();
    expect(alive(startError.pid)).toBe(false);
  });

  it('treats a child killed by a signal from outside as exited (128 + signal)', async () => {
    const child = await startProcess({ ...node('ignore-term'), ready: /^ready$/ });
    process.kill(child.pid, 'SIGKILL');
    expect(await child.exited).toBe(137);
    expect(child.signal).toBe('SIGKILL');
    expect(child.running).toBe(false);
    expect(await child.stop()).toBe(137);
  });

  it('SIGKILLs a child that ignores SIGTERM once the grace period is over', async () => {
    const child = await startProcess({ ...node('ignore-term'), ready: /^ready$/ });
    const started = Date.now();
    expect(await child.stop('SIGTERM', 300)).toBe(137);
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(child.output()).toContain('ignoring SIGTERM');
  });

  it('stops the whole process group, grandchildren included', async () => {
    const child = await startProcess({
      ...node('grandchild'),
      ready: (line) => /^grandchild (\d+)$/.exec(line)?.[1],
    });
    const grandchild = Number(child.ready);
    expect(alive(grandchild)).toBe(true);
    expect(await child.stop()).toBe(143);
    await expect.poll(() => alive(grandchild), { timeout: 3_000, interval: 20 }).toBe(false);
  });

  it('answers requests over IPC one at a time and rejects them once the child has exited', async () => {
    const child = await startProcess({ ...node('echo'), ipc: true });
    const [first, second] = await Promise.all([
      child.request<{ echo: unknown; pid: number }>({ n: 1 }),
      child.request<{ echo: unknown; pid: number }>({ n: 2 }),
    ]);
    expect(first).toEqual({ echo: { n: 1 }, pid: child.pid });
    expect(second).toEqual({ echo: { n: 2 }, pid: child.pid });
    await child.stop();
    await expect(child.request({ n: 3 })).rejects.toThrow(/exited with code 143 before answering/);
  });

  it('writes output to a file when asked, and reads the ready line from it', async () => {
    const file = join(tempDir(), 'child.log');
    writeFileSync(file, 'earlier run\n');
    await using child = await startProcess({ ...node('plain'), output: { file }, ready: /^ready$/ });
    expect(child.ready).toBe('ready');
    expect(readFileSync(file, 'utf8')).toBe('earlier run\nready\n');
    expect(child.output()).toBe('earlier run\nready\n');
  });

  it('says so when the command is not on PATH', async () => {
    await expect(startProcess({ command: 'otpgate-no-such-command', ready: /x/ })).rejects.toThrow(
      'otpgate-no-such-command: otpgate-no-such-command not found on PATH',
    );
  });

  it('leaves no child behind when the process that started it is killed', async () => {
    // The helper in a separate Node process (compiled to plain JS), which starts a child and is then
    // SIGKILLed: no 'exit' hook runs, so only the stdin watcher can stop the child.
    const dir = tempDir();
    const source = readFileSync(fileURLToPath(new URL('../src/process.ts', import.meta.url)), 'utf8');
    writeFileSync(
      join(dir, 'process.mjs'),
      ts.transpileModule(source, {
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      }).outputText,
    );
    writeFileSync(
      join(dir, 'main.mjs'),
      `import { startProcess } from './process.mjs';
const child = await startProcess({ command: process.execPath, args: [${JSON.stringify(CHILD)}, 'ignore-term'], ready: /^ready$/ });
process.stdout.write(String(child.pid) + '\\n');
setInterval(() => {}, 1000);`,
    );
    const harness = spawn(process.execPath, [join(dir, 'main.mjs')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      harness.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
      harness.once('exit', (code) => reject(new Error(`harness exited early with ${code}`)));
    });
    expect(alive(pid)).toBe(true);
    harness.kill('SIGKILL');
    await expect.poll(() => alive(pid), { timeout: 3_000, interval: 20 }).toBe(false);
  });
});

describe('freePort', () => {
  it('returns a port that can be listened on, and with companionOffset a free pair', async () => {
    const port = await freePort({ companionOffset: 10_000 });
    expect(port).toBeGreaterThan(0);
    expect(port + 10_000).toBeLessThanOrEqual(65_535);
    for (const candidate of [port, port + 10_000]) {
      const server = createServer();
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(candidate, '127.0.0.1', resolve);
      });
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
