import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginLandingPageDisabled,
  ApolloServerPluginSchemaReportingDisabled,
  ApolloServerPluginUsageReportingDisabled,
} from '@apollo/server/plugin/disabled';
import { fastifyApolloHandler } from '@as-integrations/fastify';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import type { OtpStore } from '@otpgate/cognito-otp';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import { createAccessTokenVerifier, poolIssuer } from './auth/access-tokens.js';
import type { ClientProfile } from './config.js';
import {
  type GatewayContext,
  type GatewayEngine,
  type GatewayServices,
  parseAuthorization,
} from './context.js';
import { createEngine } from './engine.js';
import { errorBody, formatError } from './errors.js';
import { noSubscriptionsRule } from './graphql/no-subscriptions.rule.js';
import { observabilityPlugin } from './graphql/observability.plugin.js';
import { oneAuthFieldRule } from './graphql/one-auth-field.rule.js';
import { recordInputFieldNames } from './graphql/validation-fields.js';
import { checkClientProfile, corsDelegator } from './http/client-profile.js';
import { registerHealthRoutes } from './http/health.js';
import { createMetrics } from './http/metrics.js';
import { type MetricsServer, startMetricsServer } from './http/metrics-server.js';
import { clientErrorHandler, frameworkErrors } from './http/protocol-errors.js';
import { refreshCookieFor } from './http/refresh-cookie.js';
import { trustProxyOption } from './http/trust-proxy.js';
import { createLogger } from './logger.js';
import { buildGatewaySchema } from './schema/index.js';

/** Limits on what one operation may ask for (graphql-armor and the parser). */
export interface QueryLimits {
  /** Selection depth. Ours need 4 (`signUp { challenge { delivery { medium } } }`). @default 8 */
  maxDepth?: number;
  /** Aliases per operation (auth mutations and `me` take none at all). @default 5 */
  maxAliases?: number;
  /** Directives per operation. @default 10 */
  maxDirectives?: number;
  /** graphql-armor's cost estimate. @default 1000 */
  maxCost?: number;
  /** Lexical tokens per document, enforced by the parser. @default 1000 */
  maxTokens?: number;
}

export interface HttpLimits {
  /** Largest request body, bytes. @default 65536 */
  bodyLimitBytes?: number;
  /** Time to receive a whole request (slow-loris guard), ms. @default 10000 */
  requestTimeoutMs?: number;
  /**
   * Idle keep-alive time, ms; keep it above the load balancer's idle timeout (ALB: 60 s) so the
   * balancer, not us, closes idle connections. @default 65000
   */
  keepAliveTimeoutMs?: number;
  /** How long `close()` waits for in-flight requests before cutting connections, ms. @default 10000 */
  shutdownGraceMs?: number;
}

export interface GatewayOptions {
  /** Validated client profiles by name (config.ts); `default` serves requests without the header. */
  profiles: Readonly<Record<string, ClientProfile>>;
  /** The session store: the engine's, and `/readyz` pings it. */
  store: OtpStore;
  /** The Cognito client of a region, shared by the engine and `me` (GetUser); built with maxAttempts 1. */
  cognitoClientFor: (region: string) => CognitoIdentityProviderClient;
  /** Cognito endpoint override, also the token issuer's origin (the emulator). @default AWS */
  cognitoEndpoint?: string;
  /** HMAC key of identifiers (required unless `engine` is given). */
  hmacSecret?: string;
  /** A ready engine instead of one built from the options above (tests). */
  engine?: GatewayEngine;
  /** Per-call Cognito timeout of the engine, ms. @default the engine's */
  cognitoTimeoutMs?: number;
  /** The engine's clock (epoch ms); tests share one with the store and the emulator. @default Date.now */
  clock?: { now(): number };
  /** @default 4000; 0 picks a free port */
  port?: number;
  /** @default '0.0.0.0' */
  host?: string;
  /**
   * Port of the metrics listener (`/metrics`, Prometheus text), never the public one. @default 9464; 0
   * picks a free port
   */
  metricsPort?: number;
  /** Interface of the metrics listener; widen it only on a private network. @default '127.0.0.1' */
  metricsHost?: string;
  /**
   * Whose X-Forwarded-For is believed: exactly the proxies in front of the gateway, as a hop count or
   * their addresses/CIDRs (a `/0` range is refused). Set wrongly (too many hops, too wide a range) while
   * clients can also connect directly, a client chooses the IP its limits are counted under.
   * @default none: the client IP is the socket's peer address
   */
  trustProxy?: number | string[];
  /** Local mode: introspection and the Apollo landing page on. @default false */
  local?: boolean;
  /** A pino logger; else one is made from `logLevel`. */
  logger?: Logger;
  /** @default 'info' */
  logLevel?: string;
  query?: QueryLimits;
  http?: HttpLimits;
  /** Collect Node process metrics (heap, event loop, GC, Node version) on the metrics listener. @default true */
  processMetrics?: boolean;
  /** Called once the server has stopped: close what the caller owns (Redis, the emulator). */
  onClose?: () => Promise<void>;
}

export interface Gateway extends AsyncDisposable {
  readonly app: FastifyInstance;
  /** `http://host:port`, the GraphQL endpoint being `${url}/graphql`. */
  readonly url: string;
  /** `http://metricsHost:metricsPort/metrics`: the metrics listener, apart from the public port. */
  readonly metricsUrl: string;
  readonly services: GatewayServices;
  /** Stops accepting, lets in-flight requests finish (up to `shutdownGraceMs`), then `onClose`. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts the gateway: Fastify + Apollo Server on `/graphql`, `/healthz`, `/readyz` on the public port,
 * and `/metrics` on a listener of its own (`metricsPort`, loopback by default).
 * Throws OtpConfigError (bad engine options), GatewayConfigError (a `trustProxy` that believes anyone)
 * or a listen error (port in use).
 */
export async function createGateway(options: GatewayOptions): Promise<Gateway> {
  const profileList = Object.values(options.profiles);
  const firstProfile = profileList[0];
  if (!firstProfile) throw new TypeError('createGateway: at least one client profile is needed');
  // Checked before anything starts: a trust setting that believes anyone is a configuration error.
  const trustProxy = trustProxyOption(options.trustProxy);
  const lookup = (name: string) =>
    Object.hasOwn(options.profiles, name) ? options.profiles[name] : undefined;

  const logger = options.logger ?? createLogger({ level: options.logLevel ?? 'info' });
  const http = options.http ?? {};
  const query = options.query ?? {};

  const metrics = createMetrics({ processMetrics: options.processMetrics ?? true });
  let engine = options.engine;
  if (!engine) {
    if (!options.hmacSecret) throw new TypeError('createGateway: hmacSecret is required to build the engine');
    engine = createEngine({
      profiles: options.profiles,
      cognitoClientFor: options.cognitoClientFor,
      store: options.store,
      hmacSecret: options.hmacSecret,
      logger,
      metrics,
      ...(options.cognitoTimeoutMs !== undefined && { cognitoTimeoutMs: options.cognitoTimeoutMs }),
      ...(options.clock !== undefined && { clock: options.clock }),
    });
  }
  const services: GatewayServices = {
    engine,
    metrics,
    accessTokens: createAccessTokenVerifier({
      ...(options.cognitoEndpoint !== undefined && { cognitoEndpoint: options.cognitoEndpoint }),
    }),
  };

  const app = Fastify({
    // pino's Logger is wider than Fastify's logger interface; Fastify only uses the common part.
    loggerInstance: logger as FastifyBaseLogger,
    // Our own one-line access log (onResponse below) carries no URL query string and no address.
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: http.bodyLimitBytes ?? 64 * 1024,
    requestTimeout: http.requestTimeoutMs ?? 10_000,
    keepAliveTimeout: http.keepAliveTimeoutMs ?? 65_000,
    trustProxy,
    // While closing, keep-alive connections get `Connection: close` and new requests a 503.
    return503OnClosing: true,
    // Parser and router refusals in the GraphQL error shape too, never Fastify's (protocol-errors.ts).
    clientErrorHandler: clientErrorHandler(logger as FastifyBaseLogger),
    frameworkErrors,
  });

  // Body and protocol errors raised before GraphQL runs (oversized or malformed body, unsupported
  // content type, timeouts) answer in the GraphQL error shape, never with Fastify's internal codes.
  // Set before any plugin: a route takes the error handler in force when its plugin finished loading,
  // so @fastify/cors' OPTIONS route would otherwise keep Fastify's default one.
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) {
      request.log.error({ err: error }, 'unexpected error outside GraphQL');
      return reply.code(500).send(errorBody('INTERNAL_SERVER_ERROR', 'Internal server error.'));
    }
    const message = status === 413 ? 'The request body is too large.' : 'The request is malformed.';
    return reply.code(status).send(errorBody('BAD_USER_INPUT', message, 'body'));
  });

  await app.register(fastifyCookie);
  await app.register(fastifyCors, { delegator: corsDelegator(profileList, lookup) });

  const armor = new ApolloArmor({
    // Rejections are reported as validation errors (no throw) and never state the limit.
    maxDepth: { n: query.maxDepth ?? 8, exposeLimits: false, ignoreIntrospection: true },
    maxAliases: { n: query.maxAliases ?? 5, exposeLimits: false },
    maxDirectives: { n: query.maxDirectives ?? 10, exposeLimits: false },
    costLimit: { maxCost: query.maxCost ?? 1000, exposeLimits: false, ignoreIntrospection: true },
    // Enforced by graphql-js itself (parseOptions.maxTokens): a parse error, answered like any other.
    maxTokens: { enabled: false },
    blockFieldSuggestion: { enabled: true },
  });
  const protection = armor.protect();

  const local = options.local ?? false;
  const apollo = new ApolloServer<GatewayContext>({
    schema: buildGatewaySchema(),
    introspection: local,
    csrfPrevention: true,
    allowBatchedHttpRequests: false,
    includeStacktraceInErrorResponses: false,
    hideSchemaDetailsFromClientErrors: true,
    // Automatic persisted queries would add a cache keyed by client input; nothing here needs them.
    persistedQueries: false,
    // Signals are ours (main.ts): Apollo must not stop itself behind Fastify's back.
    stopOnTerminationSignals: false,
    nodeEnv: local ? 'development' : 'production',
    parseOptions: { maxTokens: query.maxTokens ?? 1000 },
    validationRules: [
      recordInputFieldNames,
      oneAuthFieldRule,
      noSubscriptionsRule,
      ...protection.validationRules,
    ],
    formatError,
    logger: {
      debug: (message) => logger.debug({ source: 'apollo' }, String(message)),
      info: (message) => logger.info({ source: 'apollo' }, String(message)),
      warn: (message) => logger.warn({ source: 'apollo' }, String(message)),
      error: (message) => logger.error({ source: 'apollo' }, String(message)),
    },
    plugins: [
      // graphql-armor's typings point at Apollo's CommonJS declarations; the objects are the same.
      ...(protection.plugins as unknown as ApolloServerPlugin<GatewayContext>[]),
      observabilityPlugin(metrics, logger),
      // Never report usage or schemas to Apollo's cloud, even if APOLLO_KEY happens to be set.
      ApolloServerPluginUsageReportingDisabled(),
      ApolloServerPluginSchemaReportingDisabled(),
      ...(local ? [] : [ApolloServerPluginLandingPageDisabled()]),
    ],
  });
  await apollo.start();
  // Fastify drives shutdown (see close()); Apollo stops once the HTTP server has drained.
  app.addHook('onClose', async () => {
    await apollo.stop();
  });

  app.route({
    method: ['GET', 'POST'],
    url: '/graphql',
    preHandler: checkClientProfile(lookup),
    handler: fastifyApolloHandler<GatewayContext>(apollo, {
      context: async (request, reply) => {
        // checkClientProfile ran: a request without a profile never gets here.
        const profile = request.clientProfile as ClientProfile;
        const userAgent = request.headers['user-agent'];
        return {
          profile,
          request: {
            clientProfile: profile.name,
            clientIp: request.ip,
            ...(userAgent !== undefined && { userAgent: userAgent.slice(0, 256) }),
          },
          authorization: parseAuthorization(request.headers.authorization),
          ...(typeof request.headers.origin === 'string' && { origin: request.headers.origin }),
          refreshCookie: refreshCookieFor(profile, request, reply),
          services,
        };
      },
    }),
  });

  registerHealthRoutes(app, {
    pingStore: () => options.store.ping(),
    cognitoProbeUrl: `${poolIssuer(firstProfile, options.cognitoEndpoint)}/.well-known/jwks.json`,
  });

  // No /metrics here: the public port answers it 404 (the metrics listener below serves it).

  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        path: request.routeOptions.url ?? 'unmatched',
        statusCode: reply.statusCode,
        durationMs: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
  });

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not found' }));

  let closing: Promise<void> | undefined;
  // A keep-alive connection busy when close() begins would stay open, idle, after its answer until
  // the grace period cuts it (Fastify closes only the connections idle at that moment), holding every
  // deploy for shutdownGraceMs. Answers sent while closing ask the client to drop the connection.
  app.addHook('onSend', async (_request, reply, payload) => {
    if (closing !== undefined) reply.header('connection', 'close');
    return payload;
  });

  let address: string;
  let metricsServer: MetricsServer | undefined;
  try {
    // Metrics first: once the public port accepts requests, they are counted somewhere readable.
    metricsServer = await startMetricsServer(metrics.registry, {
      port: options.metricsPort ?? 9464,
      host: options.metricsHost ?? '127.0.0.1',
    });
    address = await app.listen({ port: options.port ?? 4000, host: options.host ?? '0.0.0.0' });
  } catch (error) {
    // Port in use and the like: release what started (Apollo, the metrics listener) before reporting it.
    await metricsServer?.close();
    await app.close();
    throw error;
  }
  const metricsListener = metricsServer;
  const url = address.replace('://0.0.0.0', '://localhost').replace('://[::]', '://localhost');

  const close = () => {
    closing ??= (async () => {
      const grace = http.shutdownGraceMs ?? 10_000;
      // Past the grace period, cut whatever is still open: a stuck client must not hold a deploy.
      const force = setTimeout(() => app.server.closeAllConnections(), grace);
      force.unref();
      try {
        // Stops listening, answers new requests on open connections with 503, waits for in-flight
        // ones, then stops Apollo (onClose hook).
        await app.close();
      } finally {
        clearTimeout(force);
        // Scrapes go on while requests drain; the metrics listener stops with the rest.
        await metricsListener.close();
        await options.onClose?.();
      }
    })();
    return closing;
  };

  return {
    app,
    url,
    metricsUrl: metricsListener.url,
    services,
    close,
    [Symbol.asyncDispose]: close,
  };
}
