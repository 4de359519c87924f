import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface MetricsServer {
  /** `http://host:port/metrics` */
  readonly url: string;
  /** Stops listening and cuts open connections (a scrape is idempotent: Prometheus retries). */
  close(): Promise<void>;
}

/**
 * `/metrics` on a listener of its own, never on the public port: what Prometheus reads (request and
 * error counts, Cognito latency, Node process metrics) is for operators, so it listens on loopback
 * unless told otherwise. GET and HEAD of `/metrics` only; 404 for any other path, 405 for other
 * methods. Throws the listen error (port in use) with the address it tried.
 */
export async function startMetricsServer(
  registry: Registry,
  options: { port: number; host: string },
): Promise<MetricsServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const send = (status: number, type: string, body: string, extra: Record<string, string> = {}) => {
      response.writeHead(status, {
        'content-type': type,
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        ...extra,
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (path !== '/metrics') return send(404, 'text/plain; charset=utf-8', 'Not found\n');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return send(405, 'text/plain; charset=utf-8', 'Method not allowed\n', { allow: 'GET, HEAD' });
    }
    registry.metrics().then(
      (text) => send(200, registry.contentType, text),
      () => send(500, 'text/plain; charset=utf-8', 'Metrics could not be collected\n'),
    );
  });
  // Requests are small and scrapes frequent: the same slow-client guards as the public port.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => {
      reject(
        Object.assign(new Error(`metrics listener on ${options.host}:${options.port}: ${error.message}`), {
          cause: error,
        }),
      );
    };
    server.once('error', onError);
    server.listen(options.port, options.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const { address, family, port } = server.address() as AddressInfo;
  const host = family === 'IPv6' ? `[${address}]` : address;
  const shown = host === '0.0.0.0' || host === '[::]' ? 'localhost' : host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${shown}:${port}/metrics`,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
