import {
  type ASTVisitor,
  GraphQLError,
  Kind,
  type OperationDefinitionNode,
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
]);

interface AuthFieldCount {
  count: number;
  aliased: boolean;
}

/**
 * Validation rule (docs/API.md section 2): an operation holds at most one auth root field and no alias on
 * one, so a single HTTP request can never try more than one code. Root selections are followed through
 * fragment spreads and inline fragments, and `@skip`/`@include` are not trusted to remove a field.
 * Runs before execution: a refused operation never reaches the engine or Cognito.
 */
export function oneAuthFieldRule(context: ValidationContext): ASTVisitor {
  // Per document: what each fragment holds, counted once however often it is spread.
  const perFragment = new Map<string, AuthFieldCount>();
  return {
    OperationDefinition(node: OperationDefinitionNode) {
      if (node.operation === 'mutation') {
        const found = countAuthFields(context, node.selectionSet, perFragment, new Set());
        if (found.count > 1 || found.aliased) {
          context.reportError(
            new GraphQLError(
              found.aliased
                ? 'Auth mutations cannot be aliased.'
                : 'An operation may hold at most one auth mutation (signUp, confirmSignUp, startSignIn, verifyOtp, resendOtp, refreshTokens, signOut).',
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
 * Auth fields reachable from a selection set, each path counted (the same field spread twice is two),
 * the count saturating at 2, which is all the rule needs. A fragment's own count is computed once and
 * reused: re-walking it per spread path made `F0 { ...F1 ...F1 }`, `F1 { ...F2 ...F2 }`… take 2^n
 * steps, so one small document could hold the event loop for minutes.
 */
function countAuthFields(
  context: ValidationContext,
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
        if (AUTH_MUTATIONS.has(selection.name.value)) {
          add({ count: 1, aliased: selection.alias !== undefined });
        }
        break;
      case Kind.INLINE_FRAGMENT:
        add(countAuthFields(context, selection.selectionSet, perFragment, visiting));
        break;
      case Kind.FRAGMENT_SPREAD: {
        const name = selection.name.value;
        let inner = perFragment.get(name);
        if (!inner) {
          const fragment = context.getFragment(name);
          // A cycle or an unknown fragment is another rule's error (the document is refused anyway).
          if (!fragment || visiting.has(name)) break;
          visiting.add(name);
          inner = countAuthFields(context, fragment.selectionSet, perFragment, visiting);
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
