import { type ASTVisitor, GraphQLError, type ValidationContext } from 'graphql';

/**
 * Validation rule: the schema has no Subscription type (docs/API.md section 1), and graphql-js only finds
 * that out while executing, with an error Apollo reports as INTERNAL_SERVER_ERROR. Refused here, a
 * subscription is what it is: the client's mistake, BAD_USER_INPUT on `operation`.
 */
export function noSubscriptionsRule(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(node) {
      if (node.operation === 'subscription') {
        context.reportError(
          new GraphQLError('Subscriptions are not supported.', {
            nodes: [node],
            extensions: { code: 'BAD_USER_INPUT', field: 'operation' },
          }),
        );
      }
      return false;
    },
  };
}
