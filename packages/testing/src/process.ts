import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { constants } from 'node:os';

/**
 * Child processes for tests and benchmarks: started on a free port, watched until ready, their output
 * kept for error messages, stopped with their whole process group, and never outliving the process
 * that started them.
 *
 * ```ts
 * await using server = await startProcess({
 *   name: 'emulator',
 *   command: process.execPath,
 *   args: ['dist/cli.js', '--port', '0', '--print-json'],
 *   ready: (line) => (line.startsWith('{') ? (JSON.parse(line) as { endpoint: string }) : undefined),
 * });
 * console.log(server.ready.endpoint);
 * ```
 *
 * No orphans: every child starts as the leader of a new process group, through a tiny `sh` wrapper
 * that becomes the command (`exec`, so the child's pid is the command's) after leaving behind a watcher
 * on our end of its stdin pipe. When this process ends in any way, even SIGKILL, the pipe closes and
 * the watcher kills the group. A normal exit also SIGKILLs every group still running.
 */

const HOST = '127.0.0.1';
const POLL_MS = 20;

// $1 is the command. fd 9 keeps the pipe for the watcher (a background job's stdin is /dev/null); the
// watcher holds no copy of the output pipes or of an IPC channel (fd 3), so they close with the command.
const WRAPPER = `command -v "$1" >/dev/null 2>&1 || exit 127
exec 9<&0
group=$$
{ read -r _ <&9; kill -s KILL -- "-$group"; } </dev/null >/dev/null 2>&1 3<&- &
exec "$@" 9<&- </dev/null`;

/** Exit code of a command the wrapper could not find on PATH (the shell's convention). */
const NOT_FOUND = 127;

/** A free TCP port of 127.0.0.1, and optionally of `port + offset` too (a Redis Cluster bus port). */
export interface FreePortOptions {
  /** Also require `port + companionOffset` to be free (it must stay <= 65535). @default none */
  companionOffset?: number;
  /** @default '127.0.0.1' */
  host?: string;
}

/**
 * A port that was free a moment ago: the kernel picks it (listen on port 0), then it is released. Another
 * process may take it before the caller does; callers that cannot tolerate that retry on
 * `ProcessStartError` (see `startRedis`). Prefer letting the child bind port 0 and report its port.
 * @throws Error after 50 attempts without a free pair.
 */
export async function freePort(options: FreePortOptions = {}): Promise<number> {
  const host = options.host ?? HOST;
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await listenOnce(0, host);
    if (port === undefined) continue;
    if (options.companionOffset === undefined) return port;
    const companion = port + options.companionOffset;
    if (companion <= 65_535 && (await listenOnce(companion, host)) !== undefined) return port;
  }
  throw new Error('could not find a free port');
}

function listenOnce(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** Why a child did not become ready: it exited, timed out, or its command is not on PATH. */
export class ProcessStartError extends Error {
  constructor(
    message: string,
    /** The child's name. */
    readonly processName: string,
    /** Its pid (0 when it never started). */
    readonly pid: number,
    /** Its exit code (128 + signal number when a signal ended it), or undefined when it was still running. */
    readonly exitCode: number | undefined,
    /** The tail of its stdout and stderr, interleaved. */
    readonly output: string,
  ) {
    super(message);
    this.name = 'ProcessStartError';
  }
}

export interface StartProcessOptions<Ready = string> {
  /** The executable, looked up on PATH (`process.execPath` for Node). */
  command: string;
  args?: string[];
  /** Label in error messages. @default the command */
  name?: string;
  cwd?: string;
  /**
   * The child's environment. Nothing is inherited from this process but PATH, so a developer's
   * settings never leak into a test; `undefined` values are left out. @default `{ PATH }`
   */
  env?: Record<string, string | undefined>;
  /**
   * Ready detection: called with each complete line of output (stdout and stderr) until it returns a
   * value other than `undefined`, which becomes `ready`. A RegExp matches the line and `ready` is the
   * line. Without it, `startProcess` resolves as soon as the process is spawned.
   */
  ready?: RegExp | ((line: string) => Ready | undefined);
  /** How long to wait for the ready line, ms; then the group is killed. @default 30000 */
  readyTimeoutMs?: number;
  /**
   * Where stdout and stderr go. `'capture'` keeps their tail in memory (read with `output()`); a file
   * path appends to that file and `output()` reads it back: a file never blocks a chatty child and
   * costs this process nothing while it writes. @default 'capture'
   */
  output?: 'capture' | { file: string };
  /** Characters of output kept in memory per stream with `'capture'`. @default 2000000 */
  outputLimit?: number;
  /** Open an IPC channel (as `fork` does) for `send` and `request`. @default false */
  ipc?: boolean;
}

export interface ManagedProcess<Ready = string> extends AsyncDisposable {
  readonly name: string;
  readonly pid: number;
  /** What the `ready` option returned; `undefined` without one. */
  readonly ready: Ready;
  /** The underlying child (its stdio streams are already being read; do not pause them). */
  readonly child: ChildProcess;
  /** True until the process has exited. */
  readonly running: boolean;
  /** The exit code once exited (128 + signal number when a signal killed it), else undefined. */
  readonly exitCode: number | undefined;
  /** The signal that killed it, if one did. */
  readonly signal: NodeJS.Signals | undefined;
  /** Resolves with the exit code when the process ends (128 + signal number when a signal killed it). */
  readonly exited: Promise<number>;
  /** Everything written to stdout and stderr so far (interleaved), up to `outputLimit` characters. */
  output(): string;
  /** Stdout alone (with `'capture'`; with a file, the same as `output()`). */
  stdout(): string;
  /**
   * Polls `check` every 20 ms until it returns a value other than `undefined`.
   * @throws ProcessStartError when the process exits first or after `timeoutMs` (@default 30000), with
   * the captured output in the message.
   */
  waitFor<T>(
    what: string,
    check: () => T | undefined | Promise<T | undefined>,
    timeoutMs?: number,
  ): Promise<T>;
  /** Sends one IPC message (`ipc: true`). */
  send(message: unknown): void;
  /**
   * Sends one IPC message and resolves with the next message the child sends; requests are queued, so
   * one is in flight at a time. Rejects when the process exits before it answers.
   */
  request<T = unknown>(message: unknown): Promise<T>;
  /**
   * Sends `signal` (@default SIGTERM) to the whole process group and resolves with the exit code;
   * SIGKILLs the group after `graceMs` (@default 10000) if it has not exited by then. Already exited:
   * its exit code.
   */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number>;
}

// Every group still running, so the 'exit' hook can kill it. The stdin watcher covers abnormal ends.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}

/** The exit code a shell would report: the code, or 128 + the signal's number. */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Starts `command args` in a new process group and, with `ready`, resolves once its output shows the
 * ready line. `await using` (or `stop()`) ends the group.
 * @throws ProcessStartError when the command is not on PATH, exits before it is ready, or is not ready
 * within `readyTimeoutMs` (the group is killed first); the message holds the tail of its output.
 */
export async function startProcess<Ready = string>(
  options: StartProcessOptions<Ready>,
): Promise<ManagedProcess<Ready>> {
  installExitHook();
  const name = options.name ?? options.command;
  const limit = options.outputLimit ?? 2_000_000;
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ PATH: process.env.PATH, ...options.env })) {
    if (value !== undefined) env[key] = value;
  }
  const file = typeof options.output === 'object' ? options.output.file : undefined;
  // A file is opened here and handed to the child (appending), so its writes never pass through us.
  const fd = file === undefined ? undefined : openSync(file, 'a');
  const stdio: Array<'pipe' | 'ipc' | number> = ['pipe', fd ?? 'pipe', fd ?? 'pipe'];
  if (options.ipc) stdio.push('ipc');
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-c', WRAPPER, 'sh', options.command, ...(options.args ?? [])], {
      cwd: options.cwd,
      env,
      stdio,
      detached: true,
    });
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (child.pid === undefined) {
    throw new ProcessStartError(`${name}: could not start /bin/sh`, name, 0, undefined, '');
  }
  // A failed send or kill is reported through the methods that did it; without a listener, the
  // 'error' event would end this process.
  child.on('error', () => undefined);
  const pid = child.pid;
  live.add(child);

  let output = '';
  let stdout = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-limit);
    stdout = (stdout + text).slice(-limit);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-limit);
  });
  const readOutput = (): string => {
    if (file === undefined) return output;
    try {
      return readFileSync(file, 'utf8');
    } catch {
      return '';
    }
  };

  let exitCode: number | undefined;
  let signal: NodeJS.Signals | undefined;
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code, killedBy) => {
      exitCode = exitCodeOf(code, killedBy);
      signal = killedBy ?? undefined;
      live.delete(child);
      // Closing our end wakes the watcher, which kills whatever the command left in its group.
      child.stdin?.destroy();
      resolve(exitCode);
    });
  });

  const stop = async (stopSignal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<number> => {
    if (exitCode !== undefined) return exitCode;
    killGroup(child, stopSignal);
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), graceMs);
    try {
      return await exited;
    } finally {
      clearTimeout(timer);
    }
  };

  const failure = (why: string): ProcessStartError => {
    const tail = readOutput().slice(-4_000).trim();
    const notFound = exitCode === NOT_FOUND && why.startsWith('exited');
    const message = notFound
      ? `${name}: ${options.command} not found on PATH`
      : `${name} ${why}${tail === '' ? ' (no output)' : `; output:\n${tail}`}`;
    return new ProcessStartError(message, name, pid, exitCode, tail);
  };

  const waitFor = async <T>(
    what: string,
    check: () => T | undefined | Promise<T | undefined>,
    timeoutMs = 30_000,
  ): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await check();
      if (value !== undefined) return value;
      if (exitCode !== undefined) throw failure(`exited with code ${exitCode} while waiting for ${what}`);
      if (Date.now() > deadline) throw failure(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(POLL_MS);
    }
  };

  let queue: Promise<unknown> = Promise.resolve();
  const send = (message: unknown) => {
    if (!options.ipc) throw new Error(`${name}: started without ipc`);
    child.send(message as Parameters<ChildProcess['send']>[0]);
  };
  const request = <T>(message: unknown): Promise<T> => {
    const result = queue.then(
      () =>
        new Promise<T>((resolve, reject) => {
          if (exitCode !== undefined) {
            reject(failure(`exited with code ${exitCode} before answering`));
            return;
          }
          const onExit = () => reject(failure(`exited with code ${exitCode} before answering`));
          child.once('exit', onExit);
          child.once('message', (reply) => {
            child.off('exit', onExit);
            resolve(reply as T);
          });
          send(message);
        }),
    );
    queue = result.catch(() => undefined);
    return result;
  };

  let ready: Ready | undefined;
  if (options.ready !== undefined) {
    const matcher = options.ready;
    const match =
      matcher instanceof RegExp
        ? (line: string) => (matcher.test(line) ? (line as Ready) : undefined)
        : matcher;
    const findReady = (): Ready | undefined => {
      const text = readOutput();
      // Complete lines only: a partial last line is read again once it ends.
      for (const line of text.slice(0, text.lastIndexOf('\n') + 1).split('\n')) {
        const value = line === '' ? undefined : match(line);
        if (value !== undefined) return value;
      }
      return undefined;
    };
    try {
      ready = await waitFor('its ready line', findReady, options.readyTimeoutMs ?? 30_000);
    } catch (error) {
      await stop('SIGKILL');
      throw error;
    }
  }

  return {
    name,
    pid,
    ready: ready as Ready,
    child,
    get running() {
      return exitCode === undefined;
    },
    get exitCode() {
      return exitCode;
    },
    get signal() {
      return signal;
    },
    exited,
    output: readOutput,
    stdout: () => (file === undefined ? stdout : readOutput()),
    waitFor,
    send,
    request,
    stop,
    [Symbol.asyncDispose]: async () => {
      await stop('SIGTERM', 5_000);
    },
  };
}
