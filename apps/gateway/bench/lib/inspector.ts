/**
 * Forces full garbage collections in another Node process through its inspector (`--inspect`), so
 * heap samples taken after it measure what is still reachable rather than where the collector
 * happened to be. Needs a global WebSocket (Node >= 22, or Node 20 with --experimental-websocket);
 * `available()` says whether this process has one.
 */

interface MinimalSocket {
  send(data: string): void;
  close(): void;
  addEventListener(
    type: 'open' | 'message' | 'error' | 'close',
    listener: (event: { data?: unknown }) => void,
  ): void;
}
type SocketConstructor = new (url: string) => MinimalSocket;

function socketClass(): SocketConstructor | undefined {
  return (globalThis as { WebSocket?: SocketConstructor }).WebSocket;
}

export function available(): boolean {
  return socketClass() !== undefined;
}

/** The inspector's WebSocket URL from a process's stderr ("Debugger listening on ws://..."). */
export function inspectorUrl(output: string): string | undefined {
  return /Debugger listening on (ws:\/\/\S+)/.exec(output)?.[1];
}

export interface Inspector {
  /** Runs `HeapProfiler.collectGarbage` (a full, compacting collection) `times` times. */
  collectGarbage(times?: number): Promise<void>;
  /** Starts V8's sampling CPU profiler (what `node --cpu-prof` runs, but for one phase only). */
  startProfiling(): Promise<void>;
  /** Stops it and returns the profile (the `.cpuprofile` JSON that Chrome DevTools opens). */
  stopProfiling(): Promise<unknown>;
  close(): void;
}

export async function connectInspector(url: string): Promise<Inspector> {
  const Socket = socketClass();
  if (Socket === undefined) throw new Error('no WebSocket in this Node (run with --experimental-websocket)');
  const socket = new Socket(url);
  const pending = new Map<number, (reply: { error?: { message: string }; result?: unknown }) => void>();
  let nextId = 1;
  await new Promise<void>((resolve, reject) => {
    socket.addEventListener('open', () => resolve());
    socket.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)));
  });
  socket.addEventListener('message', (event) => {
    const reply = JSON.parse(String(event.data)) as {
      id?: number;
      error?: { message: string };
      result?: unknown;
    };
    if (reply.id !== undefined) {
      pending.get(reply.id)?.(reply);
      pending.delete(reply.id);
    }
  });
  const call = (method: string, params?: Record<string, unknown>) =>
    new Promise<unknown>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => reject(new Error(`${method}: no answer`)), 60_000);
      pending.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.error) reject(new Error(`${method}: ${reply.error.message}`));
        else resolve(reply.result);
      });
      socket.send(JSON.stringify({ id, method, ...(params && { params }) }));
    });
  return {
    async collectGarbage(times = 2) {
      // Twice: objects kept by weak references and finalizers of the first pass go in the second.
      for (let i = 0; i < times; i++) await call('HeapProfiler.collectGarbage');
    },
    async startProfiling() {
      await call('Profiler.enable');
      // 100 µs: fine enough for functions that take tens of microseconds per request.
      await call('Profiler.setSamplingInterval', { interval: 100 });
      await call('Profiler.start');
    },
    async stopProfiling() {
      const result = (await call('Profiler.stop')) as { profile: unknown };
      return result.profile;
    },
    close: () => socket.close(),
  };
}
