import { type DestinationStream, type Logger, type LoggerOptions, pino } from 'pino';

/**
 * Logs never hold a code, a handle, a token, a Cognito session or an address (email, phone, IP).
 * First line of defence: nothing logs GraphQL inputs, variables, headers or query strings (the
 * serializers below keep method, path and status only). Second line: redaction of every key such a
 * value could travel under, should someone log an object carelessly.
 */
export const REDACTED_KEYS = [
  'code',
  'handle',
  'session',
  'Session',
  'token',
  'accessToken',
  'idToken',
  'refreshToken',
  'AccessToken',
  'RefreshToken',
  'authorization',
  'cookie',
  'set-cookie',
  'email',
  'phoneNumber',
  'phone_number',
  'destination',
  'ip',
  'clientIp',
  'remoteAddress',
  'x-forwarded-for',
  'variables',
  'input',
  'query',
] as const;

const REDACTED = new Set<string>(REDACTED_KEYS);
const CENSOR = '[redacted]';
/** How deep redaction looks; far deeper than anything logged here (pino's path syntax stopped at 3). */
const MAX_DEPTH = 10;
/** Top-level keys whose serializer below decides what is written (and writes no identifier). */
const SERIALIZED = new Set(['req', 'res', 'err', 'error']);

/**
 * `value` with every property named in REDACTED_KEYS censored, at any depth up to MAX_DEPTH, in arrays
 * too. Copy on write: what holds nothing to censor is returned as it is, and the caller's objects are
 * never changed. Objects with a toJSON (Date, Buffer, URL) are written as they say and left alone.
 *
 * Why not pino's `redact` option: its wildcard paths (`*.*.email` for 24 keys) cost about 30 µs per
 * line and more per child logger (Fastify makes one per request), a third of a whole request's CPU
 * (BENCHMARKS.md); this walk costs well under a microsecond for the small objects logged here.
 */
function redactDeep(value: unknown, depth: number): unknown {
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const next = redactDeep(value[i], depth + 1);
      if (next !== value[i]) {
        copy ??= value.slice();
        copy[i] = next;
      }
    }
    return copy ?? value;
  }
  return redactFields(value as Record<string, unknown>, depth, false);
}

function redactFields(
  record: Record<string, unknown>,
  depth: number,
  topLevel: boolean,
): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(record)) {
    const current = record[key];
    if (current === undefined || (topLevel && SERIALIZED.has(key))) continue;
    const next = REDACTED.has(key) ? CENSOR : redactDeep(current, depth + 1);
    if (next !== current) {
      copy ??= { ...record };
      copy[key] = next;
    }
  }
  return copy ?? record;
}

/** Errors: name, our code and a scrubbed stack; never the raw message of a foreign error. */
function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { type: typeof error };
  const withCode = error as Error & { code?: unknown };
  return {
    type: error.name,
    ...(typeof withCode.code === 'string' &&
      /^[A-Z_]{3,40}$/.test(withCode.code) && { errorCode: withCode.code }),
    stack: scrub(error.stack ?? error.message),
    ...(error.cause !== undefined && { cause: serializeError(error.cause) }),
  };
}

/**
 * Best-effort scrub of free text (stacks of unexpected errors): emails, phone numbers, digit runs that
 * could be codes, long token-like strings and IP addresses become `[scrubbed]`.
 */
export function scrub(text: string): string {
  return text
    .replace(/[^\s@"'<>()]+@[^\s@"'<>()]+/g, '[scrubbed]')
    .replace(/\+?\d[\d\s-]{5,}\d/g, '[scrubbed]')
    .replace(/[A-Za-z0-9_\-.=+/]{32,}/g, '[scrubbed]')
    .replace(/\b(?:\d{1,3}\.){3}\d{1,3}\b/g, '[scrubbed]')
    .replace(/\b(?:[0-9a-f]{1,4}:){2,7}[0-9a-f]{0,4}\b/gi, '[scrubbed]');
}

interface RequestLike {
  method?: string;
  url?: string;
  id?: unknown;
  routeOptions?: { url?: string };
}

export interface LoggerSettings {
  /** @default 'info' */
  level?: LoggerOptions['level'];
  /** Where lines go (tests pass a stream to read them). @default stdout */
  destination?: DestinationStream;
}

export function createLogger(settings: LoggerSettings = {}): Logger {
  const logger = pino(
    {
      level: settings.level ?? 'info',
      base: undefined,
      // Redaction of log objects (see redactDeep; child bindings: below). Formatters run before
      // serializers: req, res and err are left to theirs, which keep no identifier.
      formatters: { log: (object) => redactFields(object, 0, true) },
      serializers: {
        // Path only: a GET query string carries the operation and its variables.
        req: (req: RequestLike) => ({
          id: req.id,
          method: req.method,
          path: req.routeOptions?.url ?? req.url?.split('?')[0],
        }),
        res: (res: { statusCode?: number }) => ({ statusCode: res.statusCode }),
        err: serializeError,
        error: serializeError,
      },
    },
    settings.destination,
  );
  // Child loggers' bindings are redacted too (pino's formatters do not see them). Children inherit
  // this method from the root, so grandchildren are covered as well.
  const child = logger.child;
  logger.child = function redactedChild(this: Logger, bindings, options) {
    return child.call(this, redactFields(bindings, 0, true), options);
  } as Logger['child'];
  return logger;
}
