import {
  type ASTVisitor,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
  type OperationTypeNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

/** The root fields that send, check or spend something: one per operation, never aliased. */
export const AUTH_MUTATIONS: ReadonlySet<string> = new Set([
  'signUp',
  'confirmSignUp',
  'startSignIn',
  'verifyOtp',
  'resendOtp',
  'refreshTokens',
  'signOut',
  'verifyPasskey',
  'startPasskeyRegistration',
  'completePasskeyRegistration',
  'deletePasskey',
]);

/** The queries that reach Cognito (`me`: GetUser; `passkeys`: ListWebAuthnCredentials): one per operation, never aliased, like the above. */
export const AUTH_QUERIES: ReadonlySet<string> = new Set(['me', 'passkeys']);

/**
 * The guarded root fields of each operation type. A new root field that reaches Cognito or spends a
 * budget is one more name in one of these sets.
 */
export const GUARDED_ROOT_FIELDS: Readonly<Partial<Record<OperationTypeNode, ReadonlySet<string>>>> = {
  query: AUTH_QUERIES,
  mutation: AUTH_MUTATIONS,
};

interface AuthFieldCount {
  count: number;
  aliased: boolean;
}

/**
 * Validation rule (docs/API.md section 1, "Limits on a request"): an operation holds at most one
 * guarded root field of its type (GUARDED_ROOT_FIELDS) and no alias on one, so a single HTTP request can
 * never try more than one code, nor make more than one Cognito call a client can ask for by name. Root
 * selections are followed through fragment spreads and inline fragments, and `@skip`/`@include` are not
 * trusted to remove a field. Runs before execution: a refused operation never reaches the engine or
 * Cognito.
 */
export function oneAuthFieldRule(context: ValidationContext): ASTVisitor {
  // Per document and operation type: what each fragment holds, counted once however often it is spread.
  const perFragment = new Map<OperationTypeNode, Map<string, AuthFieldCount>>();
  return {
    OperationDefinition(node: OperationDefinitionNode) {
      const guarded = GUARDED_ROOT_FIELDS[node.operation];
      if (guarded !== undefined && guarded.size > 0) {
        let cache = perFragment.get(node.operation);
        if (!cache) {
          cache = new Map();
          perFragment.set(node.operation, cache);
        }
        const found = countAuthFields(context, guarded, node.selectionSet, cache, new Set());
        if (found.count > 1 || found.aliased) {
          const names = [...guarded].join(', ');
          context.reportError(
            new GraphQLError(
              found.aliased
                ? `These fields cannot be aliased: ${names}.`
                : `An operation may hold at most one of ${names}.`,
              { nodes: [node], extensions: { code: 'BAD_USER_INPUT', field: 'operation' } },
            ),
          );
        }
      }
      // Nothing below the root matters to this rule.
      return false;
    },
  };
}

/**
 * Guarded fields reachable from a selection set, each path counted (the same field spread twice is
 * two), the count saturating at 2, which is all the rule needs. A fragment's own count is computed once
 * and reused: re-walking it per spread path made `F0 { ...F1 ...F1 }`, `F1 { ...F2 ...F2 }`… take 2^n
 * steps, so one small document could hold the event loop for minutes.
 */
function countAuthFields(
  context: ValidationContext,
  guarded: ReadonlySet<string>,
  selectionSet: SelectionSetNode,
  perFragment: Map<string, AuthFieldCount>,
  visiting: Set<string>,
): AuthFieldCount {
  const found: AuthFieldCount = { count: 0, aliased: false };
  const add = (inner: AuthFieldCount) => {
    found.count = Math.min(found.count + inner.count, 2);
    found.aliased ||= inner.aliased;
  };
  for (const selection of selectionSet.selections) {
    switch (selection.kind) {
      case Kind.FIELD:
        if (guarded.has(selection.name.value)) {
          add({ count: 1, aliased: selection.alias !== undefined });
        }
        break;
      case Kind.INLINE_FRAGMENT:
        add(countAuthFields(context, guarded, selection.selectionSet, perFragment, visiting));
        break;
      case Kind.FRAGMENT_SPREAD: {
        const name = selection.name.value;
        let inner = perFragment.get(name);
        if (!inner) {
          const fragment = context.getFragment(name);
          // A cycle or an unknown fragment is another rule's error (the document is refused anyway).
          if (!fragment || visiting.has(name)) break;
          visiting.add(name);
          inner = countAuthFields(context, guarded, fragment.selectionSet, perFragment, visiting);
          visiting.delete(name);
          perFragment.set(name, inner);
        }
        add(inner);
        break;
      }
    }
  }
  return found;
}
