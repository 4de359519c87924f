import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AuthStep } from '@otpgate/cognito-otp';
import { createMemoryStore } from '@otpgate/cognito-otp';
import { parseProfile } from '@otpgate/profiles';
import type { GatewayEngine } from '../src/context.js';

// The built gateway, exactly what dist/main.js runs (typed from its source, which it is built from);
// run.ts may point at another build (BENCH_GATEWAY_DIR).
const dist = process.env.BENCH_GATEWAY_DIST ?? fileURLToPath(new URL('../dist', import.meta.url));
const distServer: string = pathToFileURL(join(dist, 'server.js')).href;
const distLogger: string = pathToFileURL(join(dist, 'logger.js')).href;
const { createGateway } = (await import(distServer)) as typeof import('../src/server.js');
const { createLogger } = (await import(distLogger)) as typeof import('../src/logger.js');

/**
 * The gateway's HTTP and GraphQL layer alone: the real `createGateway` (built dist, as `main.js`
 * runs it: Fastify, CORS, cookies, the profile check, Apollo with graphql-armor and our rules,
 * type-graphql resolvers, metrics, logging at info) in front of an engine that answers at once with a
 * canned step. Its CPU per request, next to the baseline's and the full gateway's, splits the
 * gateway's cost into what the layer adds to a bare Apollo Server and what the engine's work costs
 * (the Cognito call, Redis, crypto). Logs go to stdout like the gateway's, "gateway listening" with
 * the URL first.
 */

const soon = new Date(Date.now() + 900_000);
const challenge = {
  handle: 'h'.repeat(43),
  delivery: { medium: 'EMAIL' as const, destination: 'u***@b***' },
  codeLength: 8,
  expiresAt: soon,
  resendAvailableAt: soon,
};
// Token lengths as the emulator issues them, so responses are as large as the real ones.
const tokens = {
  accessToken: 'a'.repeat(1040),
  idToken: 'i'.repeat(1100),
  refreshToken: 'r'.repeat(1700),
  expiresIn: 3600,
  tokenType: 'Bearer' as const,
};
const pending: AuthStep = { nextStep: 'CONFIRM_SIGN_IN_WITH_EMAIL_CODE', challenge };
const done: AuthStep = { nextStep: 'DONE', tokens };

const engine: GatewayEngine = {
  signUp: async () => ({ nextStep: 'CONFIRM_SIGN_UP', challenge }),
  confirmSignUp: async () => done,
  startSignIn: async () => pending,
  verifyOtp: async () => done,
  resendOtp: async () => pending,
  refreshTokens: async () => done,
  signOut: async () => true,
  getUser: async () => ({ sub: 'bench-user', email: 'b***@e***', emailVerified: true, phoneNumber: null }),
  // Not benchmarked.
  verifyPasskey: async () => done,
  startPasskeyRegistration: async () => ({}),
  completePasskeyRegistration: async () => ({
    id: 'p',
    name: 'Passkey',
    createdAt: new Date(0),
    attachment: null,
  }),
  listPasskeys: async () => [],
  deletePasskey: async () => true,
};

const logger = createLogger({ level: 'info' });
const gateway = await createGateway({
  profiles: {
    default: {
      ...parseProfile('default', { userPoolId: 'us-east-1_Bench', clientId: 'benchclient' }),
      allowLoopbackOrigins: false,
    },
  },
  store: createMemoryStore(),
  // Only `me` (not benchmarked) would call Cognito.
  cognitoClientFor: () => {
    throw new Error('no Cognito in the layer benchmark');
  },
  engine,
  port: 0,
  host: '127.0.0.1',
  metricsPort: 0,
  logger,
});
// The line main.js logs too: the orchestrator finds the URL in it.
logger.info({ url: gateway.url }, 'gateway listening');

process.once('SIGTERM', () => {
  gateway.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
