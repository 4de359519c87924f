import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PasswordlessPool } from '@otpgate/cognito-emulator';
import { startProcess } from '@otpgate/testing';
import type { LimitOverrides } from '../src/config.js';

/**
 * The REAL gateway entry (`src/main.ts`) as a child process, for multi-process, failover and shutdown
 * tests: environment in, `/readyz` out, signals and exit codes as an orchestrator sees them.
 *
 * ```ts
 * await using gw = await startGatewayProcess({ env: { ...profileEnv(pool, emulator.url), REDIS_URL } });
 * const { body } = await gw.graphql(START_SIGN_IN, { input: { email } });
 * expect(await gw.stop('SIGTERM')).toBe(0);
 * ```
 *
 * The child runs TypeScript source through tsx with the `@otpgate/source` condition, so workspace
 * packages resolve to their `src` exactly as in vitest and no build step is needed. type-graphql works
 * under tsx's esbuild transform because every `@Field`/`@Arg` names its type explicitly: nothing relies
 * on emitted decorator metadata.
 */

const GATEWAY_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Shared by every replica of a test, as production replicas share one (else limits split per replica). */
export const TEST_HMAC_SECRET = 'process-test-hmac-secret-0123456789abcdefghij';

const OUTPUT_LIMIT = 2_000_000;

export interface GatewayProcessOptions {
  /**
   * Variables for main.ts, over the harness defaults: PORT=0, HOST=127.0.0.1, NODE_ENV=test,
   * LOG_LEVEL=info, OTPGATE_HMAC_SECRET=TEST_HMAC_SECRET. Nothing is inherited from this process but
   * PATH, so a developer's REDIS_URL or AWS settings never leak in. `undefined` removes a default.
   */
  env: Record<string, string | undefined>;
  /** Label in error messages. @default 'gateway' */
  name?: string;
  /** How long to wait for the listening line and /readyz, ms. @default 30000 */
  startTimeoutMs?: number;
}

export interface ProcessResponse<T = Record<string, unknown>> {
  status: number;
  body: { data?: T | null; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
  /** Wall time of the request, ms. */
  ms: number;
}

export interface GatewayProcess extends AsyncDisposable {
  readonly name: string;
  readonly pid: number;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** The metrics listener's `http://127.0.0.1:<port>/metrics`, from the listening line. */
  readonly metricsUrl: string;
  /** True until the process has exited. */
  readonly running: boolean;
  /** Resolves with the exit code when the process ends (128 + signal number when a signal killed it). */
  readonly exited: Promise<number>;
  /** Everything written to stdout and stderr so far, interleaved. */
  output(): string;
  /** The JSON log lines of stdout, parsed. */
  logs(): Array<Record<string, unknown>>;
  /**
   * POSTs one operation to /graphql. Rejects on a network error or after `timeoutMs` (@default 15000):
   * a load test treats either as a failure of the gateway, never as an answer.
   */
  graphql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    options?: { timeoutMs?: number; headers?: Record<string, string> },
  ): Promise<ProcessResponse<T>>;
  /** GET a path; the status, or 0 when the connection failed. */
  probe(path: '/healthz' | '/readyz', timeoutMs?: number): Promise<number>;
  /**
   * Sends `signal` (@default SIGTERM) and resolves with the exit code; SIGKILL after `timeoutMs`
   * (@default 15000) if it has not exited by then. Already exited: its exit code.
   */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number>;
}

const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // startProcess stops the gateways (on any end of this process); this removes the profiles files.
  process.once('exit', () => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Starts `src/main.ts` in a child process and resolves once it listens and /readyz answers 200. */
export async function startGatewayProcess(options: GatewayProcessOptions): Promise<GatewayProcess> {
  installExitHook();
  const name = options.name ?? 'gateway';
  const env: Record<string, string> = {};
  const merged: Record<string, string | undefined> = {
    PATH: process.env.PATH,
    PORT: '0',
    HOST: '127.0.0.1',
    // Several gateways run at once: each takes a free metrics port instead of the default 9464.
    METRICS_PORT: '0',
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    OTPGATE_HMAC_SECRET: TEST_HMAC_SECRET,
    // Dummy values: the engine's Cognito operations are unsigned; without these the SDK would search
    // the credential chain (instance metadata) if anything ever asked for a signature.
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    ...options.env,
  };
  for (const [key, value] of Object.entries(merged)) if (value !== undefined) env[key] = value;

  // The listening line carries the bound URL (PORT=0 picks a free port: no race for a port).
  const startTimeoutMs = options.startTimeoutMs ?? 30_000;
  const started = Date.now();
  const child = await startProcess({
    name,
    command: process.execPath,
    args: ['--conditions=@otpgate/source', '--import', 'tsx', 'src/main.ts'],
    cwd: GATEWAY_DIR,
    env,
    outputLimit: OUTPUT_LIMIT,
    ready: (line) => {
      if (!line.startsWith('{') || !line.includes('"gateway listening"')) return undefined;
      try {
        const { url, metricsUrl } = JSON.parse(line) as { url?: unknown; metricsUrl?: unknown };
        return typeof url === 'string'
          ? { url, metricsUrl: typeof metricsUrl === 'string' ? metricsUrl : '' }
          : undefined;
      } catch {
        return undefined;
      }
    },
    readyTimeoutMs: startTimeoutMs,
  });
  const { url, metricsUrl } = child.ready;
  const port = Number(new URL(url).port);

  const parsedLogs = () => {
    const lines: Array<Record<string, unknown>> = [];
    for (const line of child.stdout().split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a partial last line
      }
    }
    return lines;
  };

  const probe = async (path: string, timeoutMs = 3_000): Promise<number> => {
    try {
      const response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
      await response.body?.cancel();
      return response.status;
    } catch {
      return 0;
    }
  };
  try {
    // Ready, not only alive: the store connects in the background after "gateway listening" (on Node 24
    // often a little later than the first request), and every caller starts on a working Redis.
    await child.waitFor(
      '/readyz to answer 200',
      async () => ((await probe('/readyz', 1_000)) === 200 ? true : undefined),
      Math.max(1_000, startTimeoutMs - (Date.now() - started)),
    );
  } catch (error) {
    await child.stop('SIGKILL');
    throw error;
  }

  const stop = (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000): Promise<number> =>
    child.stop(signal, timeoutMs);

  return {
    name,
    pid: child.pid,
    url,
    port,
    metricsUrl,
    get running() {
      return child.running;
    },
    exited: child.exited,
    output: () => child.output(),
    logs: parsedLogs,
    async graphql<T>(
      query: string,
      variables?: Record<string, unknown>,
      request: { timeoutMs?: number; headers?: Record<string, string> } = {},
    ): Promise<ProcessResponse<T>> {
      const started = performance.now();
      const response = await fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...request.headers },
        body: JSON.stringify({ query, ...(variables !== undefined && { variables }) }),
        signal: AbortSignal.timeout(request.timeoutMs ?? 15_000),
      });
      const text = await response.text();
      let body: ProcessResponse<T>['body'];
      try {
        body = JSON.parse(text) as ProcessResponse<T>['body'];
      } catch {
        body = { errors: [{ message: `not JSON (${response.status}): ${text.slice(0, 200)}` }] };
      }
      return { status: response.status, body, ms: performance.now() - started };
    },
    probe,
    stop,
    [Symbol.asyncDispose]: async () => {
      await stop('SIGTERM', 5_000);
    },
  };
}

export interface ProfileSettings {
  limits?: LimitOverrides;
  authSessionValiditySeconds?: number;
}

/**
 * Environment for one `default` profile on an emulator pool, through a profiles file (OTPGATE_CONFIG):
 * the only way to give a deployed gateway limit overrides. The file is removed when this process exits.
 */
export function profileEnv(
  pool: PasswordlessPool,
  endpoint: string,
  settings: ProfileSettings = {},
): Record<string, string> {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-profiles-'));
  tempDirs.add(dir);
  const file = join(dir, 'profiles.json');
  const profile = {
    userPoolId: pool.userPoolId,
    clientId: pool.clientId,
    ...(pool.clientSecret !== undefined && { clientSecret: pool.clientSecret }),
    region: pool.region,
    ...settings,
  };
  writeFileSync(file, JSON.stringify({ profiles: { default: profile } }));
  return { OTPGATE_CONFIG: file, COGNITO_ENDPOINT: endpoint };
}

/**
 * Limits that let a test drive many flows per second from 127.0.0.1 without being refused: the
 * defaults (20 sends per IP an hour, 300 requests per IP a minute) would stop a load loop in seconds.
 * Per destination: 2 s windows, so resendOtp is available 2 s after a send.
 */
export const LOAD_LIMITS: LimitOverrides = {
  sendPerDestination: [{ points: 100, durationSeconds: 2 }],
  sendPerIp: [{ points: 100_000, durationSeconds: 60 }],
  sendPerProfile: [{ points: 100_000, durationSeconds: 60 }],
  requestsPerIp: [{ points: 100_000, durationSeconds: 60 }],
  wrongCodesPerIp: [{ points: 10_000, durationSeconds: 60 }],
};

/** Resolves true when a TCP connection to the port is refused (nothing listens, or the listener is closing), false when one opens. */
export function connectionRefused(port: number, timeoutMs = 2_000): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      reject(new Error(`connecting to port ${port} neither succeeded nor was refused in ${timeoutMs} ms`));
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.destroy();
      // Refused either way: no listener (ECONNREFUSED), or a listener closing while our SYN sat in its
      // backlog, which the kernel answers with a reset before the connection is ever established.
      if (error.code === 'ECONNREFUSED' || error.code === 'ECONNRESET') resolve(true);
      else reject(error);
    });
  });
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
