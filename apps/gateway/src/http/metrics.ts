import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';

/**
 * Prometheus metrics on the gateway's own Registry (never the global one, so several gateways can
 * live in one process, as in tests), served on the metrics listener only (metrics-server.ts). Labels
 * are closed sets: operation names from the schema, error codes from docs/API.md, limit scopes from the
 * engine. Never an identifier, a profile chosen by an unauthenticated header value, an operation name a
 * client picked, or anything about an account the client's own answer does not say: the outcome
 * codes are the ones the client was sent.
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** GraphQL requests by root field (`signUp`, … `me`, `other`, `none` when none was resolved). */
  readonly requests: Counter<'operation'>;
  /** Answers by root field and outcome (`OK` or the `extensions.code` of the first error). */
  readonly outcomes: Counter<'operation' | 'outcome'>;
  /** Duration of engine calls (which wrap the Cognito calls), by flow, in seconds. */
  readonly engineDuration: Histogram<'operation'>;
  /**
   * Duration of each Cognito call, by the engine's step (SignUp, InitiateAuth, …) and outcome, seconds.
   * `error` is a failure of Cognito itself; an answer about an account counts `ok` (engine.ts).
   */
  readonly cognitoDuration: Histogram<'step' | 'outcome'>;
  /** Refusals by limits, by the engine's limit scope and code (RATE_LIMITED / TOO_MANY_ATTEMPTS). */
  readonly limitRefusals: Counter<'scope' | 'code'>;
}

export interface MetricsOptions {
  /** Also collect Node process metrics (event loop lag, heap, GC). @default true */
  processMetrics?: boolean;
}

export function createMetrics(options: MetricsOptions = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'otpgate_' });
  return {
    registry,
    requests: new Counter({
      name: 'otpgate_graphql_requests_total',
      help: 'GraphQL requests by root field',
      labelNames: ['operation'],
      registers: [registry],
    }),
    outcomes: new Counter({
      name: 'otpgate_graphql_outcomes_total',
      help: 'GraphQL answers by root field and outcome (OK or the error code)',
      labelNames: ['operation', 'outcome'],
      registers: [registry],
    }),
    engineDuration: new Histogram({
      name: 'otpgate_engine_call_duration_seconds',
      help: 'Duration of engine calls, which include the Cognito calls, by flow',
      labelNames: ['operation'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8],
      registers: [registry],
    }),
    cognitoDuration: new Histogram({
      name: 'otpgate_cognito_call_duration_seconds',
      help: 'Duration of Cognito calls by engine step and outcome (error: Cognito failed; ok: it answered)',
      labelNames: ['step', 'outcome'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 4],
      registers: [registry],
    }),
    limitRefusals: new Counter({
      name: 'otpgate_limit_refusals_total',
      help: 'Requests refused by a limit, by limit scope and code',
      labelNames: ['scope', 'code'],
      registers: [registry],
    }),
  };
}
