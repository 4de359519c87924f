import type { ASTNode, ASTVisitor, GraphQLError, ValidationContext } from 'graphql';

/**
 * Naming the input field behind a GraphQL validation or coercion error, so malformed input answers
 * BAD_USER_INPUT with `extensions.field` (docs/API.md section 2) instead of graphql-js's free text.
 *
 * graphql-js reports a bad literal (`{ email: 5 }`) on the value node, which has no parent pointer;
 * `recordInputFieldNames` runs in the same validation pass and remembers, per value node, the name of
 * the argument or input field holding it. Other errors carry the name in graphql-js 16's fixed
 * message formats, which the patterns below read; the integration tests go through every input field,
 * so a change of those formats in a graphql upgrade fails loudly.
 */

const fieldOfValueNode = new WeakMap<ASTNode, string>();

/** Validation rule: remembers which argument or input field each value node belongs to. Reports nothing. */
export function recordInputFieldNames(_context: ValidationContext): ASTVisitor {
  return {
    Argument(node) {
      fieldOfValueNode.set(node.value, node.name.value);
    },
    ObjectField(node) {
      fieldOfValueNode.set(node.value, node.name.value);
    },
  };
}

/**
 * The longest client-chosen name (an unknown field, argument, fragment, variable…) an error repeats.
 * GraphQL names have no length limit; past this one a name is a quote of the request, not a pointer
 * into it, and `field` falls back to the enclosing part ('operation', the variable).
 */
export const MAX_ECHOED_NAME = 64;

/** graphql-js 16 validation messages that name the member at fault, most specific first. */
const VALIDATION_PATTERNS: ReadonlyArray<RegExp> = [
  /^Field "\w+\.(\w{1,64})" of required type "[^"]+" was not provided\./,
  /^Field "(\w{1,64})" is not defined by type "\w+"\./,
  /^Field "\w+" argument "(\w{1,64})" of type "[^"]+" is required/,
  /^Unknown argument "(\w{1,64})" on field/,
  /^Cannot query field "(\w{1,64})" on type/,
  /^Field "(\w{1,64})" of type "[^"]+" must (?:not )?have a selection of subfields/,
  /^Variable "\$(\w{1,64})" of (?:required )?type "[^"]+" (?:was not provided|used in position)/,
];

export interface ValidationFieldInfo {
  field: string;
  message: string;
}

/** The field a GraphQL validation error is about, and a message that quotes no input value. */
export function fieldOfValidationError(error: GraphQLError): ValidationFieldInfo {
  // Our own rules (and graphql-armor's) put their verdict in extensions.
  const own = error.extensions.field ?? (error.originalError as GraphQLError | undefined)?.extensions?.field;
  if (typeof own === 'string') return { field: own, message: sanitize(error.message) };
  for (const pattern of VALIDATION_PATTERNS) {
    const name = pattern.exec(error.message)?.[1];
    if (name) return { field: name, message: sanitize(error.message) };
  }
  for (const node of error.nodes ?? []) {
    const name = fieldOfValueNode.get(node);
    // A bad value: graphql-js prints it in the message, so the message is replaced.
    if (name) return { field: name, message: `Invalid value for "${name}".` };
  }
  return { field: 'operation', message: sanitize(error.message) };
}

/**
 * The field of a variable-coercion error, e.g. `Variable "$input" got invalid value 5 at "input.email";
 * String cannot represent…` -> `email`. A client can smuggle look-alike text into its own value and so
 * mislead its own error: harmless, nothing else reads it.
 */
export function fieldOfVariableError(message: string): string {
  const required = /; Field "(\w{1,64})" of required type "[^"]+" was not provided\.$/.exec(message)?.[1];
  if (required) return required;
  const unknown = /; Field "(\w{1,64})" is not defined by type "\w+"\./.exec(message)?.[1];
  if (unknown) return unknown;
  const path = / at "\w+((?:\.\w+|\[\d+\])*)"; /.exec(message)?.[1];
  const last = path
    ?.split('.')
    .at(-1)
    ?.replace(/\[\d+\]$/, '');
  if (last && last.length <= MAX_ECHOED_NAME) return last;
  return /^Variable "\$(\w{1,64})"/.exec(message)?.[1] ?? 'variables';
}

/** A quoted name (`"name"`, `"$variable"`, `"@directive"`, `"Type.field"`) longer than MAX_ECHOED_NAME. */
const OVERLONG_NAME = new RegExp(`"[$@]?[\\w.]{${MAX_ECHOED_NAME + 1},}"`, 'g');

/** Drops "Did you mean …?" (schema hints), and shortens quoted names too long to be pointers. */
function sanitize(message: string): string {
  return message
    .replace(/\s*Did you mean [^?]*\?/g, '')
    .replace(OVERLONG_NAME, '"…"')
    .trim();
}
