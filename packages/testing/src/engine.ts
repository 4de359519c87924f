import { randomBytes } from 'node:crypto';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import {
  type Emulator,
  type EmulatorOptions,
  ManualClock,
  type PasswordlessPool,
  type PasswordlessPoolOptions,
  startEmulator,
} from '@otpgate/cognito-emulator';
import {
  createCognitoClient,
  createMemoryStore,
  createOtpEngine,
  createRedisStore,
  type LimitsConfig,
  type OtpEngine,
  type OtpLogger,
  type OtpStore,
  type ProfileOptions,
  type RequestContext,
} from '@otpgate/cognito-otp';
import type { Cluster, Redis } from 'ioredis';

/** A client profile of a test engine: its own pool and app client on the emulator. */
export interface TestProfileOptions {
  /** The emulator pool and app client behind the profile. @default a passwordless pool with defaults */
  pool?: PasswordlessPoolOptions;
  /** Limit overrides of the profile. @default DEFAULT_LIMITS */
  limits?: Partial<LimitsConfig>;
  /** What signUp does for an address that already has an account. @default 'ERROR' */
  onExistingUser?: ProfileOptions['onExistingUser'];
  /** Seconds a sign-up handle lives. @default 86400 */
  signUpHandleTtlSeconds?: number;
  /** Origins whose passkey ceremonies the profile accepts (pair with `pool.webAuthn`). @default [] */
  webAuthnOrigins?: string[];
}

export interface TestEngineOptions {
  /**
   * Where handles and limits live: `'memory'` (ticks with `clock`), or an ioredis client (standalone or
   * Cluster, built with FAIL_FAST_REDIS_OPTIONS / FAIL_FAST_CLUSTER_OPTIONS and connected) under a
   * fresh key prefix. @default 'memory'
   */
  store?: 'memory' | { redis: Redis | Cluster; prefix?: string };
  /** The `default` profile's pool. @default a passwordless pool (PreventUserExistenceErrors ENABLED, 3-minute sessions) */
  pool?: PasswordlessPoolOptions;
  /** The `default` profile's limit overrides. @default DEFAULT_LIMITS */
  limits?: Partial<LimitsConfig>;
  /** The `default` profile's onExistingUser. @default 'ERROR' */
  onExistingUser?: ProfileOptions['onExistingUser'];
  /** The `default` profile's WebAuthn origins (pair with `pool.webAuthn`). @default [] */
  webAuthnOrigins?: string[];
  /** More profiles by name, each with a pool of its own. @default none */
  profiles?: Record<string, TestProfileOptions>;
  /** Shared by the engine, the memory store and the emulator, so every expiry agrees. @default a ManualClock at 2026-01-01 */
  clock?: ManualClock;
  /** Milliseconds per Cognito call. @default 4000 */
  cognitoTimeoutMs?: number;
  /** Emulator settings (behaviour, quotas). @default the emulator's */
  emulator?: Omit<EmulatorOptions, 'clock' | 'port'>;
  /** Receives the engine's structured log entries. @default none (silent) */
  logger?: OtpLogger;
}

/** A profile of a test engine: its name (`default` or a key of `profiles`) and its emulator pool. */
export interface TestProfile extends PasswordlessPool {
  name: string;
}

/** What `createTestEngine` returns; `await using` closes the emulator and the SDK client. */
export interface TestEngine extends AsyncDisposable {
  /** The engine under test. */
  engine: OtpEngine;
  /** The Cognito emulator it talks to (on a free port of 127.0.0.1). */
  emulator: Emulator;
  /** The clock shared by the engine, the memory store and the emulator; move it with `advance(ms)`. */
  clock: ManualClock;
  /** The store the engine uses. */
  store: OtpStore;
  /** The `default` profile. */
  profile: TestProfile;
  profiles: Record<string, TestProfile>;
  /** The SDK client the engine uses (maxAttempts 1, pointed at the emulator). */
  cognitoClient: CognitoIdentityProviderClient;
  /** The newest code the emulator sent to `to` (email or E.164 phone). @throws Error when none was sent */
  lastCode(to: string): string;
  /** A request context for the `default` profile from 203.0.113.10, with `overrides` applied. */
  ctx(overrides?: Partial<RequestContext>): RequestContext;
}

/** Fixed on purpose: tests compare keyed hashes across engines. Never use it outside tests. */
const TEST_HMAC_SECRET = 'otpgate-test-hmac-secret-not-for-production-use!';

/**
 * An engine on a fresh emulator (port 0) and store; `await using` stops everything (the caller's Redis
 * client stays open: it is the caller's).
 * ```ts
 * await using t = await createTestEngine();
 * const step = await t.engine.startSignIn({ email }, t.ctx());
 * ```
 */
export async function createTestEngine(options: TestEngineOptions = {}): Promise<TestEngine> {
  const clock = options.clock ?? new ManualClock(Date.UTC(2026, 0, 1));
  const emulator = await startEmulator({ ...options.emulator, clock, port: 0 });
  const cognitoClient = createCognitoClient({
    region: emulator.region,
    endpoint: emulator.url,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const wanted: Record<string, TestProfileOptions> = {
      default: {
        ...(options.pool === undefined ? {} : { pool: options.pool }),
        ...(options.limits === undefined ? {} : { limits: options.limits }),
        ...(options.onExistingUser === undefined ? {} : { onExistingUser: options.onExistingUser }),
        ...(options.webAuthnOrigins === undefined ? {} : { webAuthnOrigins: options.webAuthnOrigins }),
      },
      ...options.profiles,
    };
    const profiles: Record<string, TestProfile> = {};
    const profileOptions: Record<string, ProfileOptions> = {};
    for (const [name, spec] of Object.entries(wanted)) {
      const pool = await emulator.createPasswordlessPool(spec.pool);
      profiles[name] = { name, ...pool };
      profileOptions[name] = {
        userPoolId: pool.userPoolId,
        clientId: pool.clientId,
        ...(pool.clientSecret === undefined ? {} : { clientSecret: pool.clientSecret }),
        authSessionValiditySeconds: (spec.pool?.authSessionValidity ?? 3) * 60,
        ...(spec.limits === undefined ? {} : { limits: spec.limits }),
        ...(spec.onExistingUser === undefined ? {} : { onExistingUser: spec.onExistingUser }),
        ...(spec.signUpHandleTtlSeconds === undefined
          ? {}
          : { signUpHandleTtlSeconds: spec.signUpHandleTtlSeconds }),
        ...(spec.webAuthnOrigins === undefined ? {} : { webAuthnOrigins: spec.webAuthnOrigins }),
      };
    }
    const storeOption = options.store ?? 'memory';
    const store =
      storeOption === 'memory'
        ? createMemoryStore({ clock })
        : createRedisStore({
            redis: storeOption.redis,
            prefix: storeOption.prefix ?? `otpgate-test-${randomBytes(6).toString('hex')}`,
          });
    const engine = createOtpEngine({
      cognitoClient,
      profiles: profileOptions,
      store,
      hmacSecret: TEST_HMAC_SECRET,
      clock,
      ...(options.cognitoTimeoutMs === undefined ? {} : { cognitoTimeoutMs: options.cognitoTimeoutMs }),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    const dispose = async () => {
      cognitoClient.destroy();
      await emulator.close();
    };
    return {
      engine,
      emulator,
      clock,
      store,
      profile: profiles.default as TestProfile,
      profiles,
      cognitoClient,
      lastCode(to) {
        const message = emulator.messages(to)[0];
        if (message === undefined) throw new Error('no code was sent to that address');
        return message.code;
      },
      ctx: (overrides = {}) => ({
        clientProfile: 'default',
        clientIp: '203.0.113.10',
        userAgent: 'otpgate-test',
        ...overrides,
      }),
      [Symbol.asyncDispose]: dispose,
    };
  } catch (error) {
    cognitoClient.destroy();
    await emulator.close();
    throw error;
  }
}
