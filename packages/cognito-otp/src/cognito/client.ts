import {
  CognitoIdentityProviderClient,
  type CognitoIdentityProviderClientConfig,
} from '@aws-sdk/client-cognito-identity-provider';
import { OtpConfigError } from '../errors.js';

export interface CognitoClientOptions {
  /** AWS region of the user pool, e.g. `eu-west-1`. */
  region: string;
  /** Endpoint override, e.g. the emulator's `http://127.0.0.1:4002`. @default AWS's endpoint for `region` */
  endpoint?: string;
  /**
   * AWS credentials. The engine's operations are unsigned, so none are needed against AWS; the SDK
   * still wants some against an emulator. @default the SDK's default provider chain (used only if an
   * operation needs signing)
   */
  credentials?: CognitoIdentityProviderClientConfig['credentials'];
  /**
   * Milliseconds the socket may stay idle waiting for Cognito before the SDK gives up; this also ends a
   * request the engine stopped waiting for (its cognitoTimeoutMs). @default 4000
   */
  requestTimeoutMs?: number;
  /** Milliseconds to establish a connection. @default 1000 */
  connectionTimeoutMs?: number;
}

/**
 * A Cognito client as the engine needs it: `maxAttempts: 1` (the SDK's own retries would send a
 * second code and hide throttling from the limits) and socket timeouts. The engine refuses a client
 * with retries (OtpConfigError on its first call), so build yours with this or the same settings.
 *
 * The rest trims the SDK's per-call CPU; `pnpm bench` measures each setting against the client
 * without it, in one process, alternating (BENCHMARKS.md, "The SDK floor, setting by setting").
 * Measured and left at the SDK's default, because they saved nothing measurable: our own keep-alive
 * agents (the default handler already keeps connections alive), a static `endpointProvider` (the SDK
 * caches the endpoint it resolves), and the logger (the default no-op logger's middleware skips its
 * work). The Cognito client has no checksum settings (no Cognito operation carries a checksum).
 */
export function createCognitoClient(options: CognitoClientOptions): CognitoIdentityProviderClient {
  const client = new CognitoIdentityProviderClient({
    region: options.region,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: 1,
    // The middleware stack is resolved once per operation, not on every call (the engine passes no
    // per-call options, which would bypass this cache): about 100 µs less CPU per call.
    cacheMiddleware: true,
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? 4000,
      connectionTimeout: options.connectionTimeoutMs ?? 1000,
    },
  });
  // No user-agent header: its middleware gathers and escapes the SDK's user-agent parts into two
  // headers on every call, about 10-15 µs of CPU per call (about 15 % of the SDK's own work per call);
  // Cognito does not need the header. Removed before the first call, so the cached stack never has it.
  client.middlewareStack.remove('getUserAgentMiddleware');
  return client;
}

const checked = new WeakMap<CognitoIdentityProviderClient, Promise<void>>();

/**
 * Refuses a client that would retry (checked once per client; the SDK resolves maxAttempts
 * asynchronously, so this cannot run in the synchronous factory).
 * @throws OtpConfigError naming `option`
 */
export function assertSingleAttempt(client: CognitoIdentityProviderClient, option: string): Promise<void> {
  let pending = checked.get(client);
  if (!pending) {
    pending = (async () => {
      const provider = client.config.maxAttempts as unknown;
      const attempts =
        typeof provider === 'function' ? await (provider as () => Promise<number>)() : provider;
      if (attempts !== 1) {
        throw new OtpConfigError(
          option,
          `the Cognito client must be built with maxAttempts: 1 (it has ${String(attempts)}): retries re-send codes and hide throttling. Use createCognitoClient().`,
        );
      }
    })();
    checked.set(client, pending);
  }
  return pending;
}
