import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU accounting of the benchmark's child processes (started with @otpgate/testing's startProcess).
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
