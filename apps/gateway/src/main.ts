import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { createCognitoClient, OtpConfigError } from '@otpgate/cognito-otp';
import { diagnose, summarizeReport } from '@otpgate/pool-doctor';
import { loadConfig } from './config.js';
import { GatewayConfigError, readEnv } from './env.js';
import { asListenError, failedPort, ListenError } from './listen-error.js';
import type { DemoServer } from './local.js';
import { createLogger } from './logger.js';
import { openStore } from './redis.js';
import { createGateway, type Gateway } from './server.js';

/**
 * Entry point: environment -> configuration -> store, Cognito client (or the local emulator) ->
 * gateway; SIGTERM/SIGINT stop it gracefully. Configuration errors name the variable or key and exit 1.
 */
async function main(): Promise<void> {
  const env = readEnv();
  const config = loadConfig(env);
  const logger = createLogger({ level: env.LOG_LEVEL });

  // Local mode, and with it the emulator, is loaded only when it starts: a deployed gateway never runs it.
  const localMode = config.mode === 'local' ? await import('./local.js') : undefined;
  const local = await localMode?.startLocalCognito({
    allowedOrigins: env.OTPGATE_ALLOWED_ORIGINS?.split(',').map((entry) => entry.trim()) ?? [],
    webAuthnOrigins: localMode.localWebAuthnOrigins(env.DEMO_PORT ?? localMode.LOCAL_PORTS.demo),
    ...(env.EMULATOR_PORT !== undefined && { port: env.EMULATOR_PORT }),
  });
  const profiles = local ? { default: local.profile } : config.profiles;
  const cognitoEndpoint = local ? local.emulator.url : config.cognitoEndpoint;

  const owned = openStore(
    {
      ...(env.REDIS_URL !== undefined && { redisUrl: env.REDIS_URL }),
      ...(env.REDIS_CLUSTER_NODES !== undefined && { clusterNodes: env.REDIS_CLUSTER_NODES }),
    },
    logger,
  );
  // One Cognito client per region, shared by every profile of that region.
  const cognitoClients = new Map<string, CognitoIdentityProviderClient>();
  const cognitoClientFor = (region: string) => {
    let client = cognitoClients.get(region);
    if (!client) {
      client = createCognitoClient({
        region,
        ...(cognitoEndpoint !== undefined && { endpoint: cognitoEndpoint }),
        // The emulator does not check signatures; static credentials spare the SDK a credential-chain search.
        ...(local && { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
      });
      cognitoClients.set(region, client);
    }
    return client;
  };

  // Local mode's demo page starts once the gateway's URL is known; closed with the rest below.
  let demo: DemoServer | null = null;
  let gateway: Gateway;
  // Local mode listens on loopback unless told otherwise: its pool accepts anyone.
  const host = env.HOST ?? (local ? '127.0.0.1' : '0.0.0.0');
  try {
    gateway = await createGateway({
      profiles,
      store: owned.store,
      cognitoClientFor,
      ...(cognitoEndpoint !== undefined && { cognitoEndpoint }),
      hmacSecret: local ? (env.OTPGATE_HMAC_SECRET ?? local.hmacSecret) : (env.OTPGATE_HMAC_SECRET as string),
      port: env.PORT,
      host,
      metricsPort: env.METRICS_PORT,
      metricsHost: env.METRICS_HOST ?? '127.0.0.1',
      ...(env.TRUST_PROXY !== undefined && { trustProxy: env.TRUST_PROXY }),
      local: local !== undefined,
      logger,
      onClose: async () => {
        for (const client of cognitoClients.values()) client.destroy();
        await owned.close();
        await demo?.close();
        await local?.close();
      },
    });
  } catch (error) {
    await owned.close();
    await local?.close();
    // The metrics listener starts first; a listen error carries the port it was for.
    const metricsFailed = env.METRICS_PORT !== 0 && failedPort(error) === env.METRICS_PORT;
    throw metricsFailed
      ? asListenError(error, 'METRICS_PORT', env.METRICS_PORT, env.METRICS_HOST ?? '127.0.0.1')
      : asListenError(error, 'PORT', env.PORT, host);
  }

  if (localMode && local) {
    try {
      demo = await localMode.startLocalDemo(`${gateway.url}/graphql`, local, {
        ...(env.DEMO_PORT !== undefined && { port: env.DEMO_PORT }),
      });
    } catch (error) {
      await gateway.close();
      throw error;
    }
    process.stdout.write(
      localMode.localBanner(
        `${gateway.url}/graphql`,
        local,
        owned.store.kind === 'memory',
        demo?.url ?? null,
        gateway.metricsUrl,
      ),
    );
  }
  logger.info(
    // The bound URL, not env.PORT: with PORT=0 only this line says where the gateway listens.
    {
      mode: config.mode,
      profiles: Object.keys(profiles),
      store: owned.store.kind,
      url: gateway.url,
      metricsUrl: gateway.metricsUrl,
    },
    'gateway listening',
  );
  if (!local) {
    // The pool doctor's checks, once, in the background and never fatal: a misconfigured pool shows up
    // in the log at start-up instead of as failed sign-ins, and a runtime role without
    // cognito-idp:Describe* permissions only costs a warning.
    diagnose({ client: cognitoClientFor, profiles: Object.values(profiles) }).then(
      (report) => {
        const level = !report.ok ? 'error' : report.counts.warn > 0 ? 'warn' : 'info';
        logger[level]({ doctor: report.counts }, summarizeReport(report));
      },
      (error: unknown) => logger.warn({ err: error }, 'pool doctor could not run'),
    );
  }

  // Ctrl-C in a terminal signals the whole process group, and `pnpm start` forwards the signal once more:
  // the second SIGINT must not kill the process mid-shutdown (pnpm would then report a failed command).
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    gateway.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  if (
    error instanceof GatewayConfigError ||
    error instanceof OtpConfigError ||
    error instanceof ListenError
  ) {
    process.stderr.write(`otpgate: ${error.message}\n`);
  } else {
    process.stderr.write(
      `otpgate: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
  process.exit(1);
});
