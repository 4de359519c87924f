import type { FastifyInstance } from 'fastify';

export interface ReadinessOptions {
  /** Resolves when the session store answers (the engine store's `ping`). */
  pingStore: () => Promise<void>;
  /**
   * A Cognito URL that answers 200 without credentials: the pool's JWKS. A GET on it proves DNS, TLS
   * and Cognito's front door without spending an API quota.
   */
  cognitoProbeUrl: string;
  /** How long a Cognito verdict is reused, ms: readiness is polled every few seconds per replica. @default 5000 */
  cognitoCacheMs?: number;
  /** Timeout of each check, ms. @default 2000 */
  timeoutMs?: number;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timeout')), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A cached reachability check of Cognito. */
export function cognitoProbe(url: string, cacheMs: number, timeoutMs: number): () => Promise<boolean> {
  let last: { at: number; ok: boolean } | undefined;
  let inFlight: Promise<boolean> | undefined;
  return async () => {
    if (last && performance.now() - last.at < cacheMs) return last.ok;
    inFlight ??= fetch(url, { signal: AbortSignal.timeout(timeoutMs) })
      .then(async (response) => {
        await response.body?.cancel();
        return response.ok;
      })
      .catch(() => false)
      .then((ok) => {
        last = { at: performance.now(), ok };
        inFlight = undefined;
        return ok;
      });
    return inFlight;
  };
}

/**
 * `/healthz`: 200 while the process serves (liveness: restart me only when this fails).
 * `/readyz`: 200 only when the store answers and Cognito is reachable, else 503 naming what is down
 * (readiness: stop routing to me). The store is pinged on every call (cheap, and it must notice a
 * Redis outage and recovery at once); the Cognito verdict is cached.
 */
export function registerHealthRoutes(app: FastifyInstance, options: ReadinessOptions): void {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const probeCognito = cognitoProbe(options.cognitoProbeUrl, options.cognitoCacheMs ?? 5_000, timeoutMs);

  app.get('/healthz', async (_request, reply) =>
    reply.header('cache-control', 'no-store').send({ status: 'ok' }),
  );

  app.get('/readyz', async (_request, reply) => {
    const [store, cognito] = await Promise.all([
      withTimeout(options.pingStore(), timeoutMs).then(
        () => true,
        () => false,
      ),
      probeCognito(),
    ]);
    const ready = store && cognito;
    return reply
      .code(ready ? 200 : 503)
      .header('cache-control', 'no-store')
      .send({
        status: ready ? 'ready' : 'unavailable',
        checks: { store: store ? 'up' : 'down', cognito: cognito ? 'up' : 'down' },
      });
  });
}
