import type { AddressInfo } from 'node:net';
import { type Clock, systemClock } from './clock.js';
import { messagesFor, parseFault } from './dev/routes.js';
import { type OperationContext, operations } from './operations/index.js';
import type { QuotaCategory } from './quotas.js';
import { createEmulatorServer } from './server.js';
import { type DevMessage, type EmulatorBehaviour, EmulatorState } from './state.js';
import { createTokenService } from './token-service.js';

export interface EmulatorOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Interface to listen on. @default '127.0.0.1' */
  host?: string;
  /** Region in pool ids and ARNs. @default 'us-east-1' */
  region?: string;
  /** Source of time for every expiry; pass a ManualClock to move time in tests. @default system clock */
  clock?: Clock;
  /** The [I] behaviours of docs/COGNITO.md for pools created by this emulator. */
  behaviour?: Partial<EmulatorBehaviour>;
  /** Daily email cap of pools on the default Cognito sender (Cognito's is about 50). @default no cap */
  defaultSenderDailyEmailQuota?: number;
  /** Requests per second per quota category; TooManyRequestsException past it. @default unlimited */
  quotas?: Partial<Record<QuotaCategory, number>>;
}

export interface PasswordlessPoolOptions {
  poolName?: string;
  clientName?: string;
  /** Generate an app-client secret (SECRET_HASH then required). @default false */
  generateSecret?: boolean;
  /** Minutes, 3 to 15. @default 3 */
  authSessionValidity?: number;
  /** @default 'ENABLED' */
  preventUserExistenceErrors?: 'ENABLED' | 'LEGACY';
  /** @default ['PASSWORD', 'EMAIL_OTP', 'SMS_OTP'] */
  allowedFirstAuthFactors?: Array<'PASSWORD' | 'EMAIL_OTP' | 'SMS_OTP' | 'WEB_AUTHN'>;
  /**
   * Turns passkeys on: WEB_AUTHN joins the first factors and SetUserPoolMfaConfig sets the
   * relying-party id (`localhost` for local development) and user verification. @default off
   */
  webAuthn?: { relyingPartyId: string; userVerification?: 'required' | 'preferred' };
}

export interface PasswordlessPool {
  userPoolId: string;
  clientId: string;
  clientSecret?: string;
  region: string;
}

export interface Emulator extends AsyncDisposable {
  /** `http://host:port`: the endpoint override for the AWS SDK or CLI. */
  readonly url: string;
  readonly port: number;
  readonly region: string;
  readonly clock: Clock;
  readonly state: EmulatorState;
  /**
   * A pool and app client set up as otpgate needs them: ESSENTIALS tier, EMAIL_OTP and SMS_OTP first
   * factors, email and phone number as usernames (case-insensitive), ALLOW_USER_AUTH and
   * ALLOW_REFRESH_TOKEN_AUTH, PreventUserExistenceErrors ENABLED.
   */
  createPasswordlessPool(options?: PasswordlessPoolOptions): Promise<PasswordlessPool>;
  /** Sent codes, newest first, optionally only those sent to `to`. */
  messages(to?: string): DevMessage[];
  clearMessages(): void;
  /** Calls received per operation since the start or the last reset. */
  calls(): Record<string, number>;
  resetCalls(): void;
  /** Latency and/or a named Cognito error for the next `count` calls of `operation`. */
  injectFault(fault: {
    operation: string;
    latencyMs?: number;
    error?: string;
    message?: string;
    count?: number;
  }): void;
  close(): Promise<void>;
}

export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const clock = options.clock ?? systemClock;
  const state = new EmulatorState(
    clock,
    region,
    options.behaviour,
    options.defaultSenderDailyEmailQuota,
    options.quotas,
  );
  const ctx: OperationContext = { state, tokens: createTokenService(state), baseUrl: '' };
  const server = createEmulatorServer(ctx);
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  ctx.baseUrl = url;

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    return closed;
  };

  const call = async (operation: string, input: Record<string, unknown>) => {
    const handler = operations[operation];
    if (!handler) throw new Error(`unknown operation ${operation}`);
    return (await handler(input, ctx)) as Record<string, Record<string, unknown>>;
  };

  return {
    url,
    port,
    region,
    clock,
    state,
    async createPasswordlessPool(pool = {}) {
      const factors = [...(pool.allowedFirstAuthFactors ?? ['PASSWORD', 'EMAIL_OTP', 'SMS_OTP'])];
      if (pool.webAuthn && !factors.includes('WEB_AUTHN')) factors.push('WEB_AUTHN');
      const created = await call('CreateUserPool', {
        PoolName: pool.poolName ?? 'otpgate-local',
        UserPoolTier: 'ESSENTIALS',
        MfaConfiguration: 'OFF',
        Policies: {
          SignInPolicy: {
            AllowedFirstAuthFactors: factors,
          },
        },
        UsernameAttributes: ['email', 'phone_number'],
        AutoVerifiedAttributes: ['email'],
        UsernameConfiguration: { CaseSensitive: false },
      });
      const userPoolId = String(created.UserPool?.Id);
      if (pool.webAuthn) {
        await call('SetUserPoolMfaConfig', {
          UserPoolId: userPoolId,
          MfaConfiguration: 'OFF',
          WebAuthnConfiguration: {
            RelyingPartyId: pool.webAuthn.relyingPartyId,
            UserVerification: pool.webAuthn.userVerification ?? 'preferred',
          },
        });
      }
      const client = await call('CreateUserPoolClient', {
        UserPoolId: userPoolId,
        ClientName: pool.clientName ?? 'otpgate-local-client',
        GenerateSecret: pool.generateSecret ?? false,
        ExplicitAuthFlows: ['ALLOW_USER_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        AuthSessionValidity: pool.authSessionValidity ?? 3,
        PreventUserExistenceErrors: pool.preventUserExistenceErrors ?? 'ENABLED',
        EnableTokenRevocation: true,
      });
      const secret = client.UserPoolClient?.ClientSecret;
      return {
        userPoolId,
        clientId: String(client.UserPoolClient?.ClientId),
        clientSecret: typeof secret === 'string' ? secret : undefined,
        region,
      };
    },
    messages: (to) => messagesFor(ctx, to),
    clearMessages: () => {
      state.messages.length = 0;
    },
    calls: () => Object.fromEntries(state.calls),
    resetCalls: () => state.calls.clear(),
    injectFault(fault) {
      const parsed = parseFault(fault);
      if (typeof parsed === 'string') throw new TypeError(parsed);
      const queue = state.faults.get(parsed.operation) ?? [];
      queue.push(parsed.fault);
      state.faults.set(parsed.operation, queue);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
