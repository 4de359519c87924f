// Argument checks shared by the stores. A bad duration here is a bug in the caller, not bad user
// input, so it is a RangeError rather than an OtpError.

/** Durations are whole milliseconds (Redis PEXPIRE takes integers), at least 1. */
export function assertMs(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a whole number of milliseconds >= 1, got ${value}`);
  }
}

export function assertMaxAttempts(value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`maxAttempts must be an integer >= 1, got ${value}`);
  }
}
