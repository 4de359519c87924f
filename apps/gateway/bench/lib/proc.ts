import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/**
 * Child processes of the benchmark and their CPU accounting.
 *
 * CPU is read from `/proc/<pid>/stat` (utime + stime): the kernel's accounting of that process, all
 * of its threads (the main thread, libuv's pool, V8's GC helpers) and nothing else. It is what
 * `process.cpuUsage()` would report inside the child, so other processes competing for the machine's
 * cores (the emulator, Redis, the load driver) change how long a phase takes, not the CPU it charges
 * to the gateway.
 */

const CLOCK_TICKS = (() => {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
})();

/** Seconds of CPU the process has used so far, in user space and in the kernel (system calls). */
export function cpuTimes(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unreadable /proc/${pid}/stat`);
  return { user: utime / CLOCK_TICKS, system: stime / CLOCK_TICKS };
}

/** Seconds of CPU (user + system) the process has used so far. */
export function cpuSeconds(pid: number): number {
  const { user, system } = cpuTimes(pid);
  return user + system;
}

/** Resolution of `cpuSeconds`: one clock tick. */
export const CPU_TICK_SECONDS = 1 / CLOCK_TICKS;

/**
 * Loaded into every Node child first: when our end of its stdin pipe closes (the orchestrator ended in
 * any way, even SIGKILL), the child kills itself instead of living on as an orphan holding a port.
 */
const ORPHAN_GUARD =
  'data:text/javascript,process.stdin.on("end",()=>process.kill(process.pid,"SIGKILL"));process.stdin.resume();';

export interface Child {
  readonly name: string;
  readonly pid: number;
  readonly process: ChildProcess;
  readonly exited: Promise<number | null>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export interface NodeChildOptions {
  name: string;
  /** Node flags before the script, e.g. `['--import', 'tsx']`. */
  nodeArgs?: string[];
  script: string;
  args?: string[];
  cwd?: string;
  env: Record<string, string | undefined>;
  /**
   * Where stdout and stderr go: a file (appended) or `pipe` (the caller reads `process.stdout`). A
   * file never blocks the writer, so a chatty child's logging cannot stall on a full pipe.
   */
  output: { file: string } | 'pipe';
}

/** Starts `node <nodeArgs> <script> <args>` with the orphan guard; PATH is the only inherited variable. */
export function startNode(options: NodeChildOptions): Child {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries({ PATH: process.env.PATH, ...options.env })) {
    if (value !== undefined) env[key] = value;
  }
  let fd: number | undefined;
  if (options.output !== 'pipe') fd = openSync(options.output.file, 'a');
  const child = spawn(
    process.execPath,
    ['--import', ORPHAN_GUARD, ...(options.nodeArgs ?? []), options.script, ...(options.args ?? [])],
    {
      cwd: options.cwd,
      env,
      stdio: ['pipe', fd ?? 'pipe', fd ?? 'pipe'],
    },
  );
  if (fd !== undefined) closeSync(fd);
  if (child.pid === undefined) throw new Error(`${options.name}: could not start`);
  live.add(child);
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      live.delete(child);
      resolve(code);
    });
  });
  return {
    name: options.name,
    pid: child.pid,
    process: child,
    exited,
    async stop(graceMs = 10_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
      child.stdin?.destroy();
    },
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 50 ms until it returns a value; throws after `timeoutMs` or when `child` exits. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | Promise<T | undefined>,
  child: Child,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void child.exited.then(() => {
    exited = true;
  });
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (exited) throw new Error(`${child.name} exited while waiting for ${what}`);
    if (Date.now() > deadline) throw new Error(`${child.name}: timed out waiting for ${what}`);
    await sleep(50);
  }
}
