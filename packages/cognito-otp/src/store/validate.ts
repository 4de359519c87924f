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

const BUDGET_NAME = /^[A-Za-z0-9:_.-]{1,64}$/;

/** Budgets as the stores take them: a safe name, a subject, whole positive limit and window. */
export function assertBudgets(
  budgets: readonly { name: string; subject: unknown; limit: number; windowMs: number }[],
): void {
  for (const budget of budgets) {
    if (!BUDGET_NAME.test(budget.name))
      throw new RangeError(`budget name ${JSON.stringify(budget.name)} is not allowed`);
    if (typeof budget.subject === 'string' && budget.subject.length === 0)
      throw new RangeError('budget subject is empty');
    if (!Number.isSafeInteger(budget.limit) || budget.limit < 1)
      throw new RangeError(`budget limit must be an integer >= 1, got ${budget.limit}`);
    assertMs('windowMs', budget.windowMs);
  }
}
