import {
  type Emulator,
  ManualClock,
  type PasswordlessPoolOptions,
  startEmulator,
} from '@otpgate/cognito-emulator';
import {
  createCognitoClient,
  createMemoryStore,
  type LimitsConfig,
  type OtpStore,
  type ProfileOptions,
} from '@otpgate/cognito-otp';
import { parseProfile } from '@otpgate/profiles';
import type { Logger } from 'pino';
import type { ClientProfile } from './config.js';
import { createGateway, type Gateway, type GatewayOptions } from './server.js';

/**
 * Test harness for teams that build on the gateway: an emulator and a gateway on free
 * ports, one passwordless pool per profile, the in-memory store unless one is given.
 *
 * ```ts
 * await using gw = await startTestGateway();
 * const { body } = await gw.graphql('mutation { startSignIn(input: { email: "a@b.example" }) { nextStep } }');
 * ```
 */

/** A profile for the harness: its own pool in the emulator, HTTP settings as in a profiles file. */
export interface TestProfile
  extends Partial<Pick<ClientProfile, 'allowedOrigins' | 'allowLoopbackOrigins' | 'tokenDelivery'>>,
    Pick<
      ProfileOptions,
      'authSessionValiditySeconds' | 'signUpHandleTtlSeconds' | 'onExistingUser' | 'webAuthnOrigins'
    > {
  /** Pool and app client options (e.g. `generateSecret`). */
  pool?: PasswordlessPoolOptions;
  /** Overrides of the engine's limits, as in a profiles file. @default the engine's */
  limits?: Partial<LimitsConfig>;
  /** @default 3600 */
  refreshCookieMaxAgeSeconds?: number;
}

export interface TestGatewayOptions
  extends Partial<Pick<GatewayOptions, 'trustProxy' | 'query' | 'http' | 'logger' | 'local' | 'engine'>> {
  /** @default { default: {} } */
  profiles?: Record<string, TestProfile>;
  /** @default a fresh in-memory store */
  store?: OtpStore;
  /** An emulator to use (the caller closes it); else one is started and closed with the gateway. */
  emulator?: Emulator;
  /** @default 'silent' unless `logger` is given */
  logLevel?: string;
  /**
   * One clock for the emulator, the engine and the default memory store, so a test can move time
   * (`clock.advance(ms)`) instead of sleeping. Ignored for the emulator when `emulator` is given.
   * @default a ManualClock at the current time
   */
  clock?: ManualClock;
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: { data?: T | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
}

export interface GraphQLRequestOptions {
  /** `apollographql-client-name`. @default none (the default profile) */
  profile?: string;
  headers?: Record<string, string>;
}

export interface TestGateway extends AsyncDisposable {
  readonly gateway: Gateway;
  readonly emulator: Emulator;
  readonly clock: ManualClock;
  readonly store: OtpStore;
  /** Resolved profiles, with their emulator pool and app client. */
  readonly profiles: Readonly<Record<string, ClientProfile>>;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  /** POST one operation to /graphql as JSON. */
  graphql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: GraphQLRequestOptions,
  ): Promise<GraphQLResponse<T>>;
  /** The newest code the emulator sent to `to`; throws when there is none. */
  lastCode(to: string): string;
  close(): Promise<void>;
}

export async function startTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const clock = options.clock ?? new ManualClock(Date.now());
  const emulator = options.emulator ?? (await startEmulator({ port: 0, clock }));
  const ownsEmulator = options.emulator === undefined;
  const store = options.store ?? createMemoryStore({ clock });
  const profiles: Record<string, ClientProfile> = {};
  for (const [name, settings] of Object.entries(options.profiles ?? { default: {} })) {
    const { pool: poolOptions, allowLoopbackOrigins, ...file } = settings;
    const pool = await emulator.createPasswordlessPool(poolOptions);
    // Through the profiles-file reader, so a test profile is checked like a deployed one.
    profiles[name] = {
      ...parseProfile(name, {
        refreshCookieMaxAgeSeconds: 3600,
        ...file,
        userPoolId: pool.userPoolId,
        clientId: pool.clientId,
        ...(pool.clientSecret !== undefined && { clientSecret: pool.clientSecret }),
        region: pool.region,
      }),
      allowLoopbackOrigins: allowLoopbackOrigins ?? false,
    };
  }
  const cognitoClient = createCognitoClient({
    region: emulator.region,
    endpoint: emulator.url,
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  let gateway: Gateway;
  try {
    gateway = await createGateway({
      profiles,
      store,
      cognitoClientFor: () => cognitoClient,
      cognitoEndpoint: emulator.url,
      hmacSecret: 'test-hmac-secret-test-hmac-secret-0123456789',
      port: 0,
      host: '127.0.0.1',
      // A free port of its own for /metrics, on loopback (the default host), as in production.
      metricsPort: 0,
      processMetrics: false,
      clock,
      ...(options.logger === undefined && { logLevel: options.logLevel ?? 'silent' }),
      ...(options.logger !== undefined && { logger: options.logger as Logger }),
      ...(options.trustProxy !== undefined && { trustProxy: options.trustProxy }),
      ...(options.query !== undefined && { query: options.query }),
      ...(options.http !== undefined && { http: { shutdownGraceMs: 2_000, ...options.http } }),
      ...(options.local !== undefined && { local: options.local }),
      ...(options.engine !== undefined && { engine: options.engine }),
      onClose: async () => {
        cognitoClient.destroy();
        if (ownsEmulator) await emulator.close();
      },
    });
  } catch (error) {
    cognitoClient.destroy();
    if (ownsEmulator) await emulator.close();
    throw error;
  }

  const close = () => gateway.close();
  return {
    gateway,
    emulator,
    clock,
    store,
    profiles,
    url: gateway.url,
    async graphql<T>(
      query: string,
      variables?: Record<string, unknown>,
      request: GraphQLRequestOptions = {},
    ) {
      const response = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(request.profile !== undefined && { 'apollographql-client-name': request.profile }),
          ...request.headers,
        },
        body: JSON.stringify({ query, ...(variables !== undefined && { variables }) }),
      });
      const text = await response.text();
      let body: GraphQLResponse<T>['body'];
      try {
        body = JSON.parse(text) as GraphQLResponse<T>['body'];
      } catch {
        body = { errors: [{ message: `not JSON (${response.status})` }] };
      }
      return { status: response.status, headers: response.headers, body };
    },
    lastCode(to: string) {
      const message = emulator.messages(to)[0];
      if (!message) throw new Error('no code was sent to that address');
      return message.code;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
