/**
 * A port the gateway (or a local-mode server beside it) could not listen on, named by the environment
 * variable that sets it, so the operator reads one line that says what to change instead of a stack.
 */
export class ListenError extends Error {
  constructor(
    /** The environment variable that sets this port: PORT, DEMO_PORT, EMULATOR_PORT. */
    readonly variable: string,
    readonly port: number,
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
    this.name = 'ListenError';
  }
}

/**
 * The listen failure `error` as a ListenError naming `variable`, or `error` unchanged when it is not one
 * (anything else is a real failure and keeps its stack).
 */
export function asListenError(error: unknown, variable: string, port: number, host: string): unknown {
  const failure = error as (NodeJS.ErrnoException & { cause?: NodeJS.ErrnoException }) | null;
  // The metrics listener wraps the listen error (its message names the listener) as `cause`.
  const code = failure?.code ?? failure?.cause?.code;
  const options = { cause: error };
  switch (code) {
    case 'EADDRINUSE':
      return new ListenError(
        variable,
        port,
        `port ${port} is in use; set ${variable}=<another port> (0 picks a free one)`,
        options,
      );
    case 'EACCES':
      return new ListenError(
        variable,
        port,
        `port ${port} needs privileges this process does not have; set ${variable}= to a port above 1023`,
        options,
      );
    case 'EADDRNOTAVAIL':
      return new ListenError(
        variable,
        port,
        `cannot listen on ${host}:${port}: ${host} is not an address of this machine; check HOST`,
        options,
      );
    default:
      return error;
  }
}

/** The port a listen error was for (Node puts it on the error; the metrics listener on its `cause`). */
export function failedPort(error: unknown): number | undefined {
  const failure = error as { port?: number; cause?: { port?: number } } | null;
  return failure?.port ?? failure?.cause?.port;
}
