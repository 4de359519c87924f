import { invalidParameter } from './errors.js';

/**
 * Input checks that answer like Cognito's own request validation:
 * `1 validation error detected: Value ... at 'clientId' failed to satisfy constraint: ...`.
 * Field names in those messages are the member name with a lower-case first letter, as Cognito writes them.
 */
export type Input = Record<string, unknown>;

const memberName = (field: string) => field.charAt(0).toLowerCase() + field.slice(1);

function constraint(field: string, what: string): Error {
  return invalidParameter(
    `1 validation error detected: Value at '${memberName(field)}' failed to satisfy constraint: ${what}`,
  );
}

export interface StringRule {
  min?: number;
  max?: number;
  pattern?: RegExp;
}

export function requiredString(input: Input, field: string, rule: StringRule = {}): string {
  const value = input[field];
  if (value === undefined || value === null) throw constraint(field, 'Member must not be null');
  return checkString(field, value, rule);
}

export function optionalString(input: Input, field: string, rule: StringRule = {}): string | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  return checkString(field, value, rule);
}

function checkString(field: string, value: unknown, rule: StringRule): string {
  if (typeof value !== 'string') throw constraint(field, 'Member must be a string');
  const min = rule.min ?? 1;
  if (value.length < min) throw constraint(field, `Member must have length greater than or equal to ${min}`);
  if (rule.max !== undefined && value.length > rule.max)
    throw constraint(field, `Member must have length less than or equal to ${rule.max}`);
  if (rule.pattern && !rule.pattern.test(value))
    throw constraint(field, `Member must satisfy regular expression pattern: ${rule.pattern.source}`);
  return value;
}

export function optionalInteger(input: Input, field: string, min: number, max: number): number | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value))
    throw constraint(field, 'Member must be an integer');
  if (value < min) throw constraint(field, `Member must have value greater than or equal to ${min}`);
  if (value > max) throw constraint(field, `Member must have value less than or equal to ${max}`);
  return value;
}

export function optionalBoolean(input: Input, field: string): boolean | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw constraint(field, 'Member must be a boolean');
  return value;
}

export function optionalEnum<T extends string>(
  input: Input,
  field: string,
  allowed: readonly T[],
): T | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    throw constraint(field, `Member must satisfy enum value set: [${allowed.join(', ')}]`);
  return value as T;
}

export function optionalObject(input: Input, field: string): Input | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw constraint(field, 'Member must be an object');
  return value as Input;
}

/** A map of string to string, such as AuthParameters or ChallengeResponses. */
export function optionalStringMap(input: Input, field: string): Record<string, string> | undefined {
  const value = optionalObject(input, field);
  if (value === undefined) return undefined;
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw constraint(`${field}.${key}`, 'Member must be a string');
  }
  return value as Record<string, string>;
}

export function optionalArray(input: Input, field: string): unknown[] | undefined {
  const value = input[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw constraint(field, 'Member must be a list');
  return value;
}

/** `[{Name, Value}]`, as UserAttributes are sent. */
export function optionalAttributeList(
  input: Input,
  field: string,
): Array<{ name: string; value: string }> | undefined {
  const list = optionalArray(input, field);
  if (list === undefined) return undefined;
  return list.map((item, i) => {
    if (typeof item !== 'object' || item === null)
      throw constraint(`${field}.${i + 1}`, 'Member must be an object');
    const entry = item as Input;
    const name = requiredString(entry, 'Name', { max: 32 });
    const value = optionalString(entry, 'Value', { min: 0, max: 2048 }) ?? '';
    return { name, value };
  });
}

export const CLIENT_ID = { max: 128, pattern: /^[\w+]+$/ } satisfies StringRule;
export const USER_POOL_ID = { max: 55, pattern: /^[\w-]+_[0-9a-zA-Z]+$/ } satisfies StringRule;
export const USERNAME = { max: 128, pattern: /^[\p{L}\p{M}\p{S}\p{N}\p{P}]+$/u } satisfies StringRule;
export const SESSION = { min: 20, max: 2048 } satisfies StringRule;
