import type { Check, CheckStatus, Fix } from './types.js';

/** Console paths start here. */
export const CONSOLE = 'Amazon Cognito console > User pools >';

export const pass = (id: string, message: string): Check => ({ id, status: 'pass', message });

export const problem = (
  id: string,
  status: Exclude<CheckStatus, 'pass'>,
  message: string,
  fix: Fix,
): Check => ({
  id,
  status,
  message,
  fix,
});
