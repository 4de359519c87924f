import { randomBytes } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Emulator, startEmulator } from '@otpgate/cognito-emulator';
import { type ClientProfile, localProfile } from './config.js';

/** The emulator's usual port, so the dev mailbox URL stays the same between runs. */
const PREFERRED_EMULATOR_PORT = 9229;
/** The demo page's usual port: next to the gateway's default 4000. */
const PREFERRED_DEMO_PORT = 4001;
/** Where `pnpm start` builds the demo page (apps/demo-web/dist), from src/ or dist/ of this package alike. */
export const DEMO_DIST = fileURLToPath(new URL('../../demo-web/dist/', import.meta.url));

export interface LocalCognito {
  emulator: Emulator;
  profile: ClientProfile;
  /** A fresh random key: identifiers need not agree with anything outside this process. */
  hmacSecret: string;
  close(): Promise<void>;
}

/**
 * Local mode (no Cognito settings): the embedded emulator with a ready passwordless pool and app
 * client. Listens on 127.0.0.1:9229 when free, else any free port. Codes are never sent anywhere:
 * they appear in the dev mailbox.
 */
export async function startLocalCognito(allowedOrigins: readonly string[] = []): Promise<LocalCognito> {
  let emulator: Emulator;
  try {
    emulator = await startEmulator({ port: PREFERRED_EMULATOR_PORT });
  } catch {
    emulator = await startEmulator({ port: 0 });
  }
  const pool = await emulator.createPasswordlessPool();
  return {
    emulator,
    profile: { ...localProfile(pool), allowedOrigins },
    hmacSecret: randomBytes(32).toString('base64url'),
    close: () => emulator.close(),
  };
}

/**
 * The banner local mode prints: where to send GraphQL, where the codes arrive, the demo page (its URL,
 * or how to build it when `demoUrl` is null), where the metrics are read, and what is not production.
 */
export function localBanner(
  graphqlUrl: string,
  local: LocalCognito,
  memoryStore: boolean,
  demoUrl?: string | null,
  metricsUrl?: string,
): string {
  const lines = [
    '',
    '  otpgate gateway: LOCAL MODE (embedded Cognito emulator; not for production)',
    '',
    `  GraphQL:      ${graphqlUrl}`,
    `  Dev mailbox:  ${local.emulator.url}/_dev/mailbox   (every code "sent" shows up here)`,
    ...(demoUrl === undefined
      ? []
      : [
          demoUrl === null
            ? '  Demo page:    not built (pnpm --filter @otpgate/demo-web build, then restart)'
            : `  Demo page:    ${demoUrl}   (a retail sign-in page on @otpgate/client)`,
        ]),
    ...(metricsUrl === undefined
      ? []
      : [`  Metrics:      ${metricsUrl}   (Prometheus; its own port, not the GraphQL one)`]),
    `  User pool:    ${local.profile.userPoolId}   app client: ${local.profile.clientId}`,
    '  Origins:      any http://localhost:<port> or http://127.0.0.1:<port>',
  ];
  if (memoryStore) {
    lines.push('', '  WARNING: in-memory store: single process only; pending sign-ins are lost on restart.');
  }
  return `${lines.join('\n')}\n`;
}

export interface DemoServerOptions {
  /** Folder of the built demo page (`apps/demo-web/dist`). */
  root: string;
  /** The GraphQL endpoint the page calls, written into its `<meta name="otpgate-graphql-url">`. */
  graphqlUrl: string;
  /** The client profile the page names (`apollographql-client-name`). @default none: `default` */
  clientName?: string;
  /** The dev mailbox, linked from the page so codes are one click away. @default no link */
  mailboxUrl?: string;
  /** @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
}

export interface DemoServer extends AsyncDisposable {
  /** `http://host:port/` */
  readonly url: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
};

const attribute = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Sets `<meta name="NAME" content="…">` of the page, whatever content the build left there. */
function withMeta(html: string, name: string, value: string): string {
  const tag = new RegExp(`<meta\\s+name="${name}"\\s+content="[^"]*"\\s*/?>`);
  return html.replace(tag, `<meta name="${name}" content="${attribute(value)}" />`);
}

/**
 * The built demo page on its own loopback port (local mode and the browser test). Its own origin, not a
 * route of the gateway: the page then calls the gateway cross-origin exactly as a retail frontend
 * does, through CORS and the profile's origin check.
 *
 * Only GET and HEAD, only files under `root` (after decoding and following links), `index.html` for
 * paths without an extension, and a Content-Security-Policy that lets the page talk to the gateway
 * alone.
 */
export async function startDemoServer(options: DemoServerOptions): Promise<DemoServer> {
  const root = await realpath(options.root);
  const indexHtml = await readFile(resolve(root, 'index.html'), 'utf8');
  let page = withMeta(indexHtml, 'otpgate-graphql-url', options.graphqlUrl);
  if (options.clientName !== undefined) page = withMeta(page, 'otpgate-client-name', options.clientName);
  if (options.mailboxUrl !== undefined) page = withMeta(page, 'otpgate-dev-mailbox', options.mailboxUrl);
  const csp = [
    "default-src 'self'",
    `connect-src 'self' ${new URL(options.graphqlUrl, 'http://localhost').origin}`,
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

  const send = (res: ServerResponse, status: number, type: string, body: string | Buffer, extra = {}) => {
    res.writeHead(status, {
      'content-type': type,
      'content-length': Buffer.byteLength(body),
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      ...extra,
    });
    res.end(body);
  };

  /** The file a URL path names inside `root`, or undefined (outside it, missing, not a file). */
  async function fileFor(pathname: string): Promise<string | undefined> {
    const candidate = resolve(root, `.${pathname}`);
    if (!candidate.startsWith(root + sep)) return undefined;
    try {
      const real = await realpath(candidate);
      if (!real.startsWith(root + sep) || !(await stat(real)).isFile()) return undefined;
      return real;
    } catch {
      return undefined;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(res, 405, 'text/plain; charset=utf-8', 'Method not allowed', { allow: 'GET, HEAD' });
      return;
    }
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      send(res, 400, 'text/plain; charset=utf-8', 'Bad request');
      return;
    }
    if (pathname.includes('\0') || pathname.includes('\\')) {
      send(res, 400, 'text/plain; charset=utf-8', 'Bad request');
      return;
    }
    const extension = extname(pathname);
    // Paths without an extension are the page's own (a reload on any step): the page answers them.
    if (extension === '' || pathname.endsWith('/') || pathname === '/index.html') {
      send(res, 200, CONTENT_TYPES['.html'] as string, page, {
        'content-security-policy': csp,
        'cache-control': 'no-cache',
      });
      return;
    }
    const file = await fileFor(pathname);
    if (!file) {
      send(res, 404, 'text/plain; charset=utf-8', 'Not found');
      return;
    }
    const body = await readFile(file);
    // Vite puts content hashes in asset names: they never change, so they may be cached for good.
    const immutable = pathname.startsWith('/assets/');
    send(res, 200, CONTENT_TYPES[extension] ?? 'application/octet-stream', body, {
      'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
    });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'Internal error');
      else res.destroy();
    });
  });
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', fail);
      done();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= new Promise<void>((done) => {
      server.close(() => done());
      server.closeAllConnections();
    });
    return closing;
  };
  return { url: `http://${host}:${port}/`, close, [Symbol.asyncDispose]: close };
}

/**
 * Local mode's demo page, when it has been built (`pnpm start` builds it): on 127.0.0.1:4001 when free,
 * else any free port. null when there is no build, so the banner can say how to make one.
 */
export async function startLocalDemo(graphqlUrl: string, local: LocalCognito): Promise<DemoServer | null> {
  try {
    await stat(resolve(DEMO_DIST, 'index.html'));
  } catch {
    return null;
  }
  const options = { root: DEMO_DIST, graphqlUrl, mailboxUrl: `${local.emulator.url}/_dev/mailbox` };
  try {
    return await startDemoServer({ ...options, port: PREFERRED_DEMO_PORT });
  } catch {
    return await startDemoServer({ ...options, port: 0 });
  }
}
