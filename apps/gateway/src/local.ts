import { randomBytes } from 'node:crypto';
import { type Emulator, startEmulator } from '@otpgate/cognito-emulator';
import { type ClientProfile, localProfile } from './config.js';
import { asListenError } from './listen-error.js';

/**
 * Local mode's fixed ports, next to the gateway's 4000, so its URLs stay the same between runs. Each
 * has its variable, and a busy one is an error naming it: a server that moved to another port would
 * leave every bookmark and README command pointing at the wrong place.
 */
export const LOCAL_PORTS = {
  /** The demo page (DEMO_PORT). */
  demo: 4001,
  /**
   * The embedded Cognito emulator and its dev mailbox (EMULATOR_PORT). Not 9229, the emulator's old
   * default: that is Node's inspector port, taken by any `node --inspect` on the machine.
   */
  emulator: 4002,
} as const;

export interface LocalCognito {
  emulator: Emulator;
  profile: ClientProfile;
  /** A fresh random key: identifiers need not agree with anything outside this process. */
  hmacSecret: string;
  close(): Promise<void>;
}

/** The relying-party id of local mode's passkeys: browsers accept `localhost` over plain http. */
export const LOCAL_PASSKEY_RP_ID = 'localhost';

/** Vite's dev server (`pnpm --filter @otpgate/demo-web dev`), which proxies /graphql to the gateway. */
const VITE_DEV_ORIGIN = 'http://localhost:5173';

/**
 * The pages local mode's passkeys work on: the demo page at `http://localhost:<demo port>` and Vite's
 * dev server. Exact origins, as the gateway checks them; with a demo port of 0 (a free one, known only
 * once it listens) the demo page has none. Never `127.0.0.1`: an IP address cannot be a relying party.
 */
export function localWebAuthnOrigins(demoPort: number): string[] {
  return [...(demoPort === 0 ? [] : [`http://${LOCAL_PASSKEY_RP_ID}:${demoPort}`]), VITE_DEV_ORIGIN];
}

export interface LocalCognitoOptions {
  /** Origins allowed besides any loopback one. @default none */
  allowedOrigins?: readonly string[];
  /** Pages that may use passkeys. @default localWebAuthnOrigins(LOCAL_PORTS.demo) */
  webAuthnOrigins?: readonly string[];
  /** @default LOCAL_PORTS.emulator (4002); 0 picks a free one */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
}

/**
 * Local mode (no Cognito settings): the embedded emulator with a ready passwordless pool and app
 * client, on EMULATOR_PORT (4002). Codes are never sent anywhere: they appear in the dev mailbox.
 * Passkeys are on (relying party `localhost`, user verification required, as the pool doctor
 * recommends) for the `webAuthnOrigins` pages.
 * A busy port rejects with a ListenError naming EMULATOR_PORT.
 */
export async function startLocalCognito(options: LocalCognitoOptions = {}): Promise<LocalCognito> {
  const port = options.port ?? LOCAL_PORTS.emulator;
  const host = options.host ?? '127.0.0.1';
  let emulator: Emulator;
  try {
    emulator = await startEmulator({ port, host });
  } catch (error) {
    throw asListenError(error, 'EMULATOR_PORT', port, host);
  }
  const pool = await emulator.createPasswordlessPool({
    webAuthn: { relyingPartyId: LOCAL_PASSKEY_RP_ID, userVerification: 'required' },
  });
  const webAuthnOrigins = options.webAuthnOrigins ?? localWebAuthnOrigins(LOCAL_PORTS.demo);
  return {
    emulator,
    profile: { ...localProfile(pool, webAuthnOrigins), allowedOrigins: options.allowedOrigins ?? [] },
    hmacSecret: randomBytes(32).toString('base64url'),
    close: () => emulator.close(),
  };
}

/** What local mode needs of the demo page's server (`@otpgate/demo-web/server`). */
export interface DemoServer {
  readonly url: string;
  close(): Promise<void>;
}
interface DemoModule {
  serveDemo(options: {
    graphqlUrl: string;
    mailboxUrl?: string;
    port?: number;
    host?: string;
  }): Promise<DemoServer | null>;
}

/**
 * The demo page, served by its own package (apps/demo-web) when the workspace has it and it is built:
 * null otherwise, so the banner can say how to build it. On loopback its URL names `localhost`. The gateway does not depend on the demo (the
 * demo's tests depend on the gateway); the workspace root does, which is what makes the package
 * resolvable from here. A variable specifier keeps the compiler from following it.
 */
export async function startLocalDemo(
  graphqlUrl: string,
  local: LocalCognito,
  options: { port?: number; host?: string } = {},
): Promise<DemoServer | null> {
  const specifier = '@otpgate/demo-web/server';
  let demo: DemoModule;
  try {
    demo = (await import(specifier)) as DemoModule;
  } catch (error) {
    // No demo-web in this install, or not built (its dist-server/ is missing): no demo page. Anything
    // else is a broken build and is reported.
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return null;
    throw error;
  }
  const port = options.port ?? LOCAL_PORTS.demo;
  const host = options.host ?? '127.0.0.1';
  let server: DemoServer | null;
  try {
    server = await demo.serveDemo({
      graphqlUrl,
      mailboxUrl: `${local.emulator.url}/_dev/mailbox`,
      port,
      host,
    });
  } catch (error) {
    throw asListenError(error, 'DEMO_PORT', port, host);
  }
  if (!server || host !== '127.0.0.1') return server;
  // Named `localhost`, the passkeys' relying party: the same loopback page, with passkeys working.
  const url = new URL(server.url);
  url.hostname = LOCAL_PASSKEY_RP_ID;
  return { url: url.href, close: () => server.close() };
}

/**
 * The banner local mode prints: where to send GraphQL, where the codes arrive, the demo page (its URL,
 * or how to build it when `demoUrl` is null), where the metrics are read, the variable that moves each
 * port, and what is not production.
 */
export function localBanner(
  graphqlUrl: string,
  local: LocalCognito,
  memoryStore: boolean,
  demoUrl?: string | null,
  metricsUrl?: string,
): string {
  const row = (label: string, value: string, note: string) =>
    `  ${label.padEnd(14)}${value.padEnd(40)}${note}`;
  const lines = [
    '',
    '  otpgate gateway: LOCAL MODE (embedded Cognito emulator; not for production)',
    '',
    row('GraphQL:', graphqlUrl, 'PORT'),
    ...(demoUrl === undefined
      ? []
      : [
          demoUrl === null
            ? '  Demo page:    not built (pnpm --filter @otpgate/demo-web build, then restart)'
            : row('Demo page:', demoUrl, 'DEMO_PORT      a sign-in page on @otpgate/client'),
        ]),
    row(
      'Dev mailbox:',
      `${local.emulator.url}/_dev/mailbox`,
      'EMULATOR_PORT  every code "sent" shows up here',
    ),
    ...(metricsUrl === undefined ? [] : [row('Metrics:', metricsUrl, 'METRICS_PORT   Prometheus')]),
    `  User pool:    ${local.profile.userPoolId}   app client: ${local.profile.clientId}   endpoint: ${local.emulator.url}`,
    '  Origins:      any http://localhost:<port> or http://127.0.0.1:<port>',
    `  Passkeys:     ${
      local.profile.webAuthnOrigins.length > 0
        ? `${local.profile.webAuthnOrigins.join(', ')} (relying party ${LOCAL_PASSKEY_RP_ID})`
        : 'off (no page with a fixed port)'
    }`,
    '',
    '  Ctrl-C stops it.',
  ];
  if (memoryStore) {
    lines.push('', '  WARNING: in-memory store: single process only; pending sign-ins are lost on restart.');
  }
  return `${lines.join('\n')}\n`;
}
