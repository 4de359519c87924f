import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, type ManagedProcess, ProcessStartError, startProcess } from './process.js';

/**
 * Real `redis-server` processes for tests: on free ports, in temporary directories, without
 * persistence, gone when disposed or when this process ends. Framework-free so any test runner (and
 * any team) can use it:
 *
 * ```ts
 * await using redis = await startRedis();
 * const client = new Redis(redis.url, FAIL_FAST_REDIS_OPTIONS);
 * ```
 *
 * No orphans: each server runs through `startProcess`, in a process group of its own that is killed
 * when this process ends in any way, even SIGKILL.
 */

const HOST = '127.0.0.1';
const INSTALL_HINT = 'apt-get install -y redis-server';
/** How long a server has to answer PING after starting, ms. */
const READY_TIMEOUT_MS = 10_000;
/** How long a stopped server has to exit before it is SIGKILLed, ms. */
const STOP_TIMEOUT_MS = 10_000;
const CLUSTER_BUS_OFFSET = 10_000;

/** A standalone redis-server started by `startRedis`; `await using` stops it and removes its directory. */
export interface RedisServer extends AsyncDisposable {
  /** Always `127.0.0.1`. */
  readonly host: string;
  /** A free port picked at start (never 6379); the same after `stop()` and `start()`. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Whether the server process is running. */
  readonly running: boolean;
  /** Stops the server (SIGTERM; SIGKILL to simulate a crash) and waits until the process is gone. No-op when stopped. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port and directory (outage tests); resolves once PING answers. No-op when running. */
  start(): Promise<void>;
}

/** Options of `startRedis`. */
export interface StartRedisOptions {
  /**
   * The server binary, looked up on PATH.
   * @default 'redis-server'
   */
  binary?: string;
  /** Extra `redis-server` arguments, e.g. `['--maxmemory', '10mb']`. @default none */
  args?: string[];
}

/** One node of a `RedisCluster` (the shape ioredis's `Cluster` takes as a startup node). */
export interface RedisClusterNode {
  /** Always `127.0.0.1`. */
  host: string;
  /** Its client port; the cluster bus listens on port + 10000. */
  port: number;
}

/** A Redis Cluster started by `startRedisCluster`; `await using` stops every node. */
export interface RedisCluster extends AsyncDisposable {
  /** Every node, masters first in creation order (redis-cli may still pick other roles). */
  readonly nodes: RedisClusterNode[];
  /** Startup nodes for `new Cluster(seeds, ...)`. */
  readonly seeds: RedisClusterNode[];
  /** Stops one node (SIGTERM by default) and waits until its process is gone. */
  stopNode(port: number, signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /**
   * Restarts a stopped node with its cluster config; resolves once every running node reports
   * cluster_state:ok and, with replicas, once every node is back in its role (a restarted master that
   * was failed over rejoins as a replica) with its replication link up.
   */
  startNode(port: number): Promise<void>;
  /**
   * Resolves once every running node reports cluster_state:ok. Right after `stopNode` this is still
   * true until the cluster notices (cluster-node-timeout): to wait for a failover, first wait until the
   * survivors flag the stopped node `fail` (CLUSTER NODES).
   * @param timeoutMs how long to wait, ms. @default 30000
   */
  waitUntilOk(timeoutMs?: number): Promise<void>;
}

/** Options of `startRedisCluster`. */
export interface StartRedisClusterOptions {
  /**
   * Master count (redis-cli needs at least 3).
   * @default 3
   */
  masters?: number;
  /**
   * Replicas per master.
   * @default 0
   */
  replicasPerMaster?: number;
  /**
   * `cluster-node-timeout` in ms: how soon a stopped node is considered failed.
   * @default 2000
   */
  nodeTimeoutMs?: number;
  /** @default 'redis-server' */
  binary?: string;
  /**
   * The cluster tool, looked up on PATH.
   * @default 'redis-cli'
   */
  cli?: string;
}

// Directories still on disk, so the 'exit' hook can remove them (startProcess stops the servers).
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

function makeTempDir(name: string): string {
  installExitHook();
  const dir = mkdtempSync(join(tmpdir(), name));
  tempDirs.add(dir);
  return dir;
}

function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends one command to the Redis on `host:port` (@default host 127.0.0.1) and reads one simple,
 * integer, error or bulk-string reply: enough for PING and CLUSTER INFO without a client library.
 * @param timeoutMs how long to wait for the reply, ms. @default 1000
 * @throws Error with Redis's message for an error reply, or on a timeout or refused connection.
 */
export function redisCommand(port: number, args: string[], timeoutMs = 1_000, host = HOST): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buffer = Buffer.alloc(0);
    const done = (error: Error | undefined, value?: string) => {
      socket.destroy();
      if (error) reject(error);
      else resolve(value ?? '');
    };
    socket.setTimeout(timeoutMs, () =>
      done(new Error(`redis on port ${port} did not answer in ${timeoutMs} ms`)),
    );
    socket.once('error', (error) => done(error));
    socket.once('connect', () => {
      socket.write(
        `*${args.length}\r\n${args.map((arg) => `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`).join('')}`,
      );
    });
    socket.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const lineEnd = buffer.indexOf('\r\n');
      if (lineEnd < 0) return;
      const line = buffer.subarray(1, lineEnd).toString('utf8');
      switch (String.fromCharCode(buffer[0] ?? 0)) {
        case '+':
        case ':':
          return done(undefined, line);
        case '-':
          return done(new Error(line));
        case '$': {
          const length = Number(line);
          if (length < 0) return done(undefined, '');
          if (buffer.length < lineEnd + 2 + length) return;
          return done(undefined, buffer.subarray(lineEnd + 2, lineEnd + 2 + length).toString('utf8'));
        }
        default:
          return done(new Error(`unexpected reply from redis: ${line}`));
      }
    });
  });
}

/** One redis-server on one port, which can be stopped and started again. */
class ServerProcess {
  #process: ManagedProcess | undefined;

  constructor(
    readonly binary: string,
    readonly port: number,
    readonly dir: string,
    readonly args: string[],
  ) {}

  get running(): boolean {
    return this.#process?.running === true;
  }

  /** Starts the server and waits for PING. Rejects with PortInUseError, "not found" or the output. */
  async start(): Promise<void> {
    if (this.running) return;
    mkdirSync(this.dir, { recursive: true });
    const args = [
      '--port',
      String(this.port),
      '--bind',
      HOST,
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      this.dir,
      '--protected-mode',
      'no',
      '--loglevel',
      'warning',
      ...this.args,
    ];
    const name = `redis-server on port ${this.port}`;
    const server = await startProcess({ name, command: this.binary, args, outputLimit: 4_000 });
    this.#process = server;
    try {
      await server.waitFor(
        'PING',
        () =>
          redisCommand(this.port, ['PING'], 500).then(
            (reply) => (reply === 'PONG' ? true : undefined),
            () => undefined,
          ),
        READY_TIMEOUT_MS,
      );
    } catch (error) {
      await server.stop('SIGKILL');
      if (!(error instanceof ProcessStartError)) throw error;
      if (error.exitCode === 127) throw new Error(`${this.binary} not found: ${INSTALL_HINT}`);
      if (error.output.includes('Address already in use')) throw new PortInUseError(this.port);
      throw error;
    }
  }

  async stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    await this.#process?.stop(signal, STOP_TIMEOUT_MS);
  }
}

class PortInUseError extends Error {
  constructor(port: number) {
    super(`port ${port} is in use`);
  }
}

/** Starts a server on a fresh free port, retrying when another process takes the port first. */
async function startOnFreePort(
  make: (port: number) => ServerProcess,
  busPort = false,
): Promise<ServerProcess> {
  for (let attempt = 0; ; attempt++) {
    const server = make(await freePort(busPort ? { companionOffset: CLUSTER_BUS_OFFSET } : {}));
    try {
      await server.start();
      return server;
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= 5) throw error;
    }
  }
}

/**
 * Starts a standalone redis-server on a free port of 127.0.0.1 (never the default 6379), without
 * persistence, in a temporary directory. Resolves once it answers PING.
 * @throws Error "redis-server not found: apt-get install -y redis-server" when the binary is missing.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisServer> {
  const dir = makeTempDir('otpgate-redis-');
  let server: ServerProcess;
  try {
    server = await startOnFreePort(
      (port) => new ServerProcess(options.binary ?? 'redis-server', port, dir, options.args ?? []),
    );
  } catch (error) {
    removeTempDir(dir);
    throw error;
  }
  return {
    host: HOST,
    port: server.port,
    url: `redis://${HOST}:${server.port}`,
    get running() {
      return server.running;
    },
    stop: (signal) => server.stop(signal),
    start: () => server.start(),
    async [Symbol.asyncDispose]() {
      await server.stop();
      removeTempDir(dir);
    },
  };
}

function run(file: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error) {
        const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
        reject(
          new Error(missing ? `${file} not found: ${INSTALL_HINT}` : `${file} failed: ${stderr || stdout}`, {
            cause: error,
          }),
        );
      } else {
        resolve(stdout);
      }
    });
  });
}

/**
 * Starts a Redis Cluster of `masters * (1 + replicasPerMaster)` local nodes, joined with
 * `redis-cli --cluster create`, and resolves once every node reports cluster_state:ok. Takes a few
 * seconds: start one per test file. Each node's cluster bus port is its port + 10000.
 * @throws Error when redis-server or redis-cli is missing.
 */
export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const replicas = options.replicasPerMaster ?? 0;
  if (!Number.isInteger(masters) || masters < 3)
    throw new RangeError('a Redis Cluster needs at least 3 masters');
  if (!Number.isInteger(replicas) || replicas < 0)
    throw new RangeError('replicasPerMaster must be an integer >= 0');
  const nodeTimeout = options.nodeTimeoutMs ?? 2_000;
  const dir = makeTempDir('otpgate-redis-cluster-');
  const servers: ServerProcess[] = [];
  const stopAll = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    removeTempDir(dir);
  };
  const waitUntilOk = async (timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(
        servers
          .filter((server) => server.running)
          .map((server) => redisCommand(server.port, ['CLUSTER', 'INFO']).catch(() => '')),
      );
      if (states.every((info) => info.includes('cluster_state:ok'))) return;
      if (Date.now() > deadline) throw new Error(`Redis Cluster not ok within ${timeoutMs} ms`);
      await sleep(100);
    }
  };
  // cluster_state:ok comes as soon as the masters cover every slot; the replicas' roles travel by
  // gossip and their first sync follows. Until both are done a replica still calls itself a master
  // without slots and holds no data, so a master stopped then has nobody to fail over to (and comes
  // back as master of its slots). Every running node must see `masters` masters and the rest as
  // replicas, and every replica's link to its master must be up.
  const waitUntilReplicated = async (timeoutMs = 30_000) => {
    if (replicas === 0) return;
    const deadline = Date.now() + timeoutMs;
    const running = () => servers.filter((server) => server.running);
    for (;;) {
      const views = await Promise.all(
        running().map(async (server) => {
          const [nodes, replication] = await Promise.all([
            redisCommand(server.port, ['CLUSTER', 'NODES']).catch(() => ''),
            redisCommand(server.port, ['INFO', 'replication']).catch(() => ''),
          ]);
          return { nodes, replication };
        }),
      );
      const settled = views.every(({ nodes, replication }) => {
        const flags = nodes
          .split('\n')
          .filter((line) => line.trim() !== '')
          .map((line) => line.split(' ')[2] ?? '');
        const masterCount = flags.filter((f) => f.includes('master') && !f.includes('fail')).length;
        const replicaCount = flags.filter((f) => f.includes('slave') && !f.includes('fail')).length;
        const linkUp = !replication.includes('role:slave') || replication.includes('master_link_status:up');
        return masterCount === masters && replicaCount === running().length - masters && linkUp;
      });
      if (settled) return;
      if (Date.now() > deadline) throw new Error(`Redis Cluster replicas not in sync within ${timeoutMs} ms`);
      await sleep(100);
    }
  };
  try {
    const count = masters * (1 + replicas);
    // One at a time: a port is only taken once its server listens, so parallel picks could collide.
    for (let i = 0; i < count; i++) {
      servers.push(
        await startOnFreePort(
          (port) =>
            new ServerProcess(options.binary ?? 'redis-server', port, join(dir, String(port)), [
              '--cluster-enabled',
              'yes',
              '--cluster-config-file',
              'nodes.conf',
              '--cluster-node-timeout',
              String(nodeTimeout),
              // A replica's first sync would otherwise wait 5 s for more replicas to join it.
              '--repl-diskless-sync-delay',
              '0',
            ]),
          true,
        ),
      );
    }
    await run(
      options.cli ?? 'redis-cli',
      [
        '--cluster',
        'create',
        ...servers.map((server) => `${HOST}:${server.port}`),
        '--cluster-replicas',
        String(replicas),
        '--cluster-yes',
      ],
      60_000,
    );
    await waitUntilOk();
    await waitUntilReplicated();
  } catch (error) {
    await stopAll();
    throw error;
  }
  const byPort = (port: number): ServerProcess => {
    const server = servers.find((candidate) => candidate.port === port);
    if (server === undefined) throw new Error(`no cluster node on port ${port}`);
    return server;
  };
  const nodes = servers.map((server) => ({ host: HOST, port: server.port }));
  return {
    nodes,
    seeds: nodes.map((node) => ({ ...node })),
    stopNode: (port, signal) => byPort(port).stop(signal),
    async startNode(port) {
      await byPort(port).start();
      await waitUntilOk();
      if (servers.every((server) => server.running)) await waitUntilReplicated();
    },
    waitUntilOk,
    [Symbol.asyncDispose]: stopAll,
  };
}
