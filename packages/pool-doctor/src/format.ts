import type { Check, CheckStatus, DoctorReport } from './types.js';

const LABEL: Record<CheckStatus, string> = { pass: 'PASS', warn: 'WARN', fail: 'FAIL' };

const plural = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;

function section(title: string, checks: readonly Check[]): string[] {
  const lines = [title];
  const width = Math.max(...checks.map((check) => check.id.length));
  // Every failing client check shares one command: print it once per section.
  const printed = new Set<string>();
  for (const check of checks) {
    lines.push(`  ${LABEL[check.status]}  ${check.id.padEnd(width)}  ${check.message}`);
    if (!check.fix) continue;
    const indent = ' '.repeat(width + 10);
    lines.push(`${indent}fix: ${check.fix.console}`);
    if (check.fix.cli !== undefined) {
      lines.push(
        `${indent}     ${printed.has(check.fix.cli) ? '(or the same command as above)' : check.fix.cli}`,
      );
      printed.add(check.fix.cli);
    }
  }
  return lines;
}

/** Whether any fix is an update command (which needs the warning about resets). */
const hasUpdateCommand = (report: DoctorReport) =>
  [...report.pools, ...report.profiles].some((r) =>
    r.checks.some((c) => c.fix?.cli?.includes(' update-user-pool')),
  );

/** The whole report as the doctor prints it: a section per pool, then per profile, then the totals. */
export function formatReport(report: DoctorReport): string {
  const lines: string[] = [];
  for (const pool of report.pools) {
    lines.push(
      ...section(
        `User pool ${pool.userPoolId} (${pool.region}), used by ${pool.profiles.join(', ')}`,
        pool.checks,
      ),
      '',
    );
  }
  for (const profile of report.profiles) {
    lines.push(
      ...section(
        `Profile ${profile.name}: app client ${profile.clientId} of ${profile.userPoolId}`,
        profile.checks,
      ),
      '',
    );
  }
  const { fail, warn, pass } = report.counts;
  lines.push(`${plural(fail, 'failure')}, ${plural(warn, 'warning')}, ${pass} passed.`);
  if (hasUpdateCommand(report)) {
    lines.push(
      'Update commands pass the current settings back whole: update-user-pool and update-user-pool-client reset every setting left out.',
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * One line for a log: the counts and the ids of what failed or warned, per pool and profile. For the
 * gateway's start-up; the fixes are left to `pnpm run doctor`.
 */
export function summarizeReport(report: DoctorReport): string {
  const { fail, warn, pass } = report.counts;
  const scope = `${plural(report.pools.length, 'user pool')}, ${plural(report.profiles.length, 'profile')}`;
  if (fail === 0 && warn === 0) return `pool doctor: all ${pass} checks passed (${scope})`;
  const where: string[] = [];
  for (const pool of report.pools) {
    const ids = pool.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id} ${c.status}`);
    if (ids.length > 0) where.push(`pool ${pool.userPoolId}: ${ids.join(', ')}`);
  }
  for (const profile of report.profiles) {
    const ids = profile.checks.filter((c) => c.status !== 'pass').map((c) => `${c.id} ${c.status}`);
    if (ids.length > 0) where.push(`profile ${profile.name}: ${ids.join(', ')}`);
  }
  return `pool doctor: ${plural(fail, 'failure')}, ${plural(warn, 'warning')} (${scope}; ${where.join('; ')}); \`pnpm run doctor\` prints the fixes`;
}
