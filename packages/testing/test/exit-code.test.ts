import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../src/process.js';

describe('exitCodeOf', () => {
  it('is the exit code when the process exited, and 128 + the signal number when a signal ended it', () => {
    expect(exitCodeOf(0, null)).toBe(0);
    expect(exitCodeOf(3, null)).toBe(3);
    expect(exitCodeOf(null, 'SIGTERM')).toBe(143);
    expect(exitCodeOf(null, 'SIGKILL')).toBe(137);
    expect(exitCodeOf(null, 'SIGINT')).toBe(130);
  });
});
