import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Redis } from 'ioredis';

/**
 * What the benchmark reads from Redis itself: command counters (`INFO commandstats`), memory
 * (`INFO memory`), and a proxy that delays replies so sequential round trips become visible in time.
 */

/** Calls per command name (lower case, e.g. `evalsha`), from `INFO commandstats`. */
export async function commandCalls(redis: Redis): Promise<Map<string, number>> {
  const text = await redis.info('commandstats');
  const calls = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match?.[1] !== undefined) calls.set(match[1], Number(match[2]));
  }
  return calls;
}

/**
 * Calls made between two `commandCalls` snapshots, without the benchmark's own INFO calls (the only
 * other client of this Redis while a phase runs is the gateway).
 */
export function callsBetween(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const delta = new Map<string, number>();
  for (const [name, count] of after) {
    if (name === 'info') continue;
    const diff = count - (before.get(name) ?? 0);
    if (diff > 0) delta.set(name, diff);
  }
  return delta;
}

/**
 * Seconds of CPU the redis-server process has used so far (`INFO cpu`: used_cpu_user +
 * used_cpu_sys, its main thread and its background threads), microsecond resolution.
 */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const text = await redis.info('cpu');
  const field = (name: string) => {
    const match = new RegExp(`^${name}:([\\d.]+)`, 'm').exec(text);
    if (!match) throw new Error(`INFO cpu has no ${name}`);
    return Number(match[1]);
  };
  return field('used_cpu_user') + field('used_cpu_sys');
}

/** `used_memory` of `INFO memory`, bytes. */
export async function usedMemory(redis: Redis): Promise<number> {
  const text = await redis.info('memory');
  const match = /^used_memory:(\d+)/m.exec(text);
  if (!match) throw new Error('INFO memory has no used_memory');
  return Number(match[1]);
}

export interface DelayProxy {
  readonly port: number;
  /** Local ports of the proxy's connections to Redis: how MONITOR names this proxy's clients. */
  readonly upstreamPorts: ReadonlySet<number>;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of Redis that holds every reply for `delayMs` before passing it on. A client
 * that waits for a reply before sending its next command (a sequential round trip) then sends it at
 * least `delayMs` after the previous one, while commands sent together (one round trip, in parallel)
 * still reach Redis within a fraction of a millisecond of each other: MONITOR's timestamps fall into
 * clusters, one per round trip. Chunks keep their order (equal timeouts fire in insertion order).
 */
export async function startDelayProxy(redisPort: number, delayMs: number): Promise<DelayProxy> {
  const upstreamPorts = new Set<number>();
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect({ host: '127.0.0.1', port: redisPort });
    sockets.add(client);
    sockets.add(upstream);
    upstream.once('connect', () => {
      if (upstream.localPort !== undefined) upstreamPorts.add(upstream.localPort);
    });
    client.on('data', (chunk) => upstream.write(chunk));
    upstream.on('data', (chunk) => {
      setTimeout(() => {
        if (!client.destroyed) client.write(chunk);
      }, delayMs);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.once('close', end);
    upstream.once('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (typeof address !== 'object' || address === null) throw new Error('proxy has no port');
  return {
    port: address.port,
    upstreamPorts,
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
