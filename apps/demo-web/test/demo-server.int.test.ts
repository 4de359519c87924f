import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../server/demo-server.js';

// The demo page's static server (server/demo-server.ts), on a fake build:
// a page, an asset, and a secret next to the build folder that must never be served.
let dir: string;
let server: DemoServer;

const INDEX = `<!doctype html><html><head>
<meta name="otpgate-graphql-url" content="/graphql" />
<meta name="otpgate-client-name" content="" />
<meta name="otpgate-dev-mailbox" content="" />
</head><body><script type="module" src="/assets/app-1234.js"></script></body></html>`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'otpgate-demo-server-'));
  await mkdir(join(dir, 'dist', 'assets'), { recursive: true });
  await writeFile(join(dir, 'dist', 'index.html'), INDEX);
  await writeFile(join(dir, 'dist', 'assets', 'app-1234.js'), 'console.log("app");');
  await writeFile(join(dir, 'secret.txt'), 'TOP SECRET');
  await symlink(join(dir, 'secret.txt'), join(dir, 'dist', 'assets', 'link.js'));
  server = await startDemoServer({
    root: join(dir, 'dist'),
    graphqlUrl: 'http://127.0.0.1:4000/graphql',
    clientName: 'shop"><script>alert(1)</script>',
    mailboxUrl: 'http://127.0.0.1:4002/_dev/mailbox',
  });
});
afterAll(async () => {
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** A raw request: the path goes out exactly as written (fetch would normalise `..` away). */
function get(path: string, method = 'GET') {
  const { hostname, port } = new URL(server.url);
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((done, fail) => {
    const req = request({ hostname, port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => done({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', fail);
    req.end();
  });
}

describe('startDemoServer', () => {
  it('serves the page with its runtime configuration in the meta tags, escaped', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.body).toContain(
      '<meta name="otpgate-graphql-url" content="http://127.0.0.1:4000/graphql" />',
    );
    expect(page.body).toContain('content="http://127.0.0.1:4002/_dev/mailbox"');
    expect(page.body).not.toContain('<script>alert(1)');
    expect(page.body).toContain('shop&#34;&#62;&#60;script&#62;');
  });

  it('lets the page talk to the gateway only, and says so in its CSP', async () => {
    const page = await get('/');
    expect(page.headers['content-security-policy']).toContain("connect-src 'self' http://127.0.0.1:4000");
    expect(page.headers['content-security-policy']).toContain("default-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves hashed assets as immutable, and the page for any path without an extension', async () => {
    const asset = await get('/assets/app-1234.js');
    expect(asset).toMatchObject({ status: 200, body: 'console.log("app");' });
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.headers['cache-control']).toContain('immutable');
    expect((await get('/account/orders')).body).toContain('otpgate-graphql-url');
    expect((await get('/missing.js')).status).toBe(404);
  });

  it.each([
    '/../secret.txt',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
    '/..%2fsecret.txt',
    '/assets/..%5c..%5csecret.txt',
    '/assets/link.js',
    '/assets/app-1234.js%00.txt',
  ])('never serves a file outside the build: %s', async (path) => {
    const response = await get(path);
    expect(response.body).not.toContain('TOP SECRET');
    expect([400, 404]).toContain(response.status);
  });

  it('answers only GET and HEAD', async () => {
    expect((await get('/', 'POST')).status).toBe(405);
    const head = await get('/', 'HEAD');
    expect(head).toMatchObject({ status: 200, body: '' });
  });
});
