import { createServer } from 'node:http';

/**
 * The smallest useful HTTP service: node:http answering a small JSON POST (`{"value": ...}` in,
 * `{"ok": true, "value": ...}` out). Each system's CPU per flow is also stated as a multiple of this
 * server's CPU per request: what one trivial request costs any Node service on this machine.
 * Prints `{"url": ...}` on stdout once listening; stops on SIGTERM.
 */

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    let value: unknown;
    try {
      value = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { value?: unknown }).value;
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"ok":false}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, value }));
  });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('no address');
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${address.port}` })}\n`);
});
process.once('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  process.exit(0);
});
