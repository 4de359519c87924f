import { readFile, realpath, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The demo page's own static server: the browser test and the gateway's local mode (`pnpm start`) serve
 * the built page with it. Node only, no dependencies; compiled to `dist-server/` by `pnpm build`.
 */

/** Where `vite build` puts the page (apps/demo-web/dist), from server/ and dist-server/ alike. */
export const DEMO_DIST = fileURLToPath(new URL('../dist/', import.meta.url));

/** The demo page's usual port, next to the gateway's 4000. */
export const DEFAULT_DEMO_PORT = 4001;

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

/** What `serveDemo` needs: where the page sends GraphQL and where the dev mailbox is. */
export interface ServeDemoOptions {
  graphqlUrl: string;
  mailboxUrl?: string;
  /** @default DEFAULT_DEMO_PORT (4001); 0 picks a free one. Never moved: a busy port is an error. */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
}

/**
 * The built page (`vite build` into apps/demo-web/dist) on its port, or null when there is no build, so
 * the caller can say how to make one. A busy port rejects with the listen error (`EADDRINUSE`): the
 * caller names its setting rather than having the page turn up somewhere else.
 */
export async function serveDemo(options: ServeDemoOptions): Promise<DemoServer | null> {
  try {
    await stat(resolve(DEMO_DIST, 'index.html'));
  } catch {
    return null;
  }
  return startDemoServer({
    root: DEMO_DIST,
    graphqlUrl: options.graphqlUrl,
    ...(options.mailboxUrl !== undefined && { mailboxUrl: options.mailboxUrl }),
    port: options.port ?? DEFAULT_DEMO_PORT,
    ...(options.host !== undefined && { host: options.host }),
  });
}
