import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { OtpError } from '@otpgate/cognito-otp';
import { Kind, type OperationDefinitionNode } from 'graphql';
import type { Logger } from 'pino';
import type { GatewayContext } from '../context.js';
import { classifyError } from '../errors.js';
import type { GatewayMetrics } from '../http/metrics.js';
import { GUARDED_ROOT_FIELDS } from './one-auth-field.rule.js';

const KNOWN_FIELDS = new Set(Object.values(GUARDED_ROOT_FIELDS).flatMap((fields) => [...fields]));

/**
 * The metrics label of an operation: its first root field if it is one of ours, else `other`. Never the
 * client-chosen operation name (unbounded, and it could carry anything).
 */
export function operationLabel(operation: OperationDefinitionNode | undefined): string {
  if (!operation) return 'none';
  const first = operation.selectionSet.selections[0];
  if (first?.kind === Kind.FIELD && KNOWN_FIELDS.has(first.name.value)) return first.name.value;
  return 'other';
}

/**
 * Counts and logs every GraphQL request by operation and outcome. Logs carry the root field, the
 * outcome code and the duration: never variables, the query text, or an error message of a client's
 * making. Unexpected errors (INTERNAL_SERVER_ERROR) are logged with a scrubbed stack.
 */
export function observabilityPlugin(
  metrics: GatewayMetrics,
  logger: Logger,
): ApolloServerPlugin<GatewayContext> {
  return {
    async requestDidStart() {
      const startedAt = performance.now();
      let operation = 'none';
      return {
        async didResolveOperation(requestContext) {
          operation = operationLabel(requestContext.operation);
          metrics.requests.inc({ operation });
        },
        async didEncounterErrors(requestContext: GraphQLRequestContext<GatewayContext>) {
          for (const error of requestContext.errors ?? []) {
            const original = unwrapResolverError(error);
            if (
              original instanceof OtpError &&
              (original.code === 'RATE_LIMITED' || original.code === 'TOO_MANY_ATTEMPTS')
            ) {
              metrics.limitRefusals.inc({ scope: original.scope ?? 'unknown', code: original.code });
            }
            if (classifyError(error).unexpected) {
              logger.error({ err: original, operation }, 'unexpected error in a GraphQL request');
            }
          }
        },
        async willSendResponse(requestContext) {
          const { body } = requestContext.response;
          const errors = body.kind === 'single' ? body.singleResult.errors : undefined;
          const first = errors?.[0]?.extensions?.code;
          const outcome = typeof first === 'string' ? first : 'OK';
          if (operation === 'none') metrics.requests.inc({ operation });
          metrics.outcomes.inc({ operation, outcome });
          logger.info(
            { operation, outcome, durationMs: Math.round(performance.now() - startedAt) },
            'graphql request',
          );
        },
      };
    },
  };
}
