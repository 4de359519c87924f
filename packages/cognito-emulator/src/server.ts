import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { devRoutes } from './dev/routes.js';
import { CognitoError } from './errors.js';
import { type OperationContext, operations } from './operations/index.js';
import type { Input } from './validate.js';

const TARGET_PREFIX = 'AWSCognitoIdentityProviderService.';
/** Cognito's request bodies are small; anything past this is refused before it is parsed. */
const MAX_BODY_BYTES = 1024 * 1024;

export function createEmulatorServer(ctx: OperationContext): Server {
  return createServer((req, res) => {
    handle(req, res, ctx).catch((error: unknown) => {
      // Only reached if writing the response itself failed; never let one request take the process down.
      if (!res.headersSent) sendError(res, internalError(error));
      else res.destroy();
    });
  });
}

async function handle(req: IncomingMessage, res: ServerResponse, ctx: OperationContext): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://emulator');
  if (await devRoutes(req, res, url, ctx)) return;

  if (req.method !== 'POST' || url.pathname !== '/') {
    sendJson(res, 404, {
      __type: 'ResourceNotFoundException',
      message: `No route for ${req.method} ${url.pathname}`,
    });
    return;
  }

  let body: Buffer;
  try {
    body = await readBody(req);
  } catch (error) {
    sendError(res, error instanceof CognitoError ? error : internalError(error));
    return;
  }

  const target = header(req, 'x-amz-target');
  if (!target?.startsWith(TARGET_PREFIX)) {
    sendError(res, new CognitoError('UnknownOperationException', 'Missing or unknown X-Amz-Target header.'));
    return;
  }
  const name = target.slice(TARGET_PREFIX.length);
  const operation = Object.hasOwn(operations, name) ? operations[name] : undefined;
  if (!operation) {
    sendError(res, new CognitoError('UnknownOperationException', `Unknown operation ${name}.`));
    return;
  }

  let input: Input;
  try {
    const parsed: unknown = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
    input = parsed as Input;
  } catch {
    sendError(res, new CognitoError('SerializationException', 'Request body is not a JSON object.'));
    return;
  }

  const { state } = ctx;
  state.calls.set(name, (state.calls.get(name) ?? 0) + 1);
  state.sweep();
  try {
    await applyFault(ctx, name);
    state.quotas.take(name);
    const output = await operation(input, ctx);
    sendJson(res, 200, stripUndefined(output));
  } catch (error) {
    sendError(res, error instanceof CognitoError ? error : internalError(error));
  }
}

async function applyFault(ctx: OperationContext, operation: string): Promise<void> {
  const queue = ctx.state.faults.get(operation);
  const fault = queue?.[0];
  if (!queue || !fault) return;
  fault.remaining -= 1;
  if (fault.remaining <= 0) queue.shift();
  if (queue.length === 0) ctx.state.faults.delete(operation);
  // Real time, not the emulator clock: latency faults exist to exercise the caller's timeouts.
  if (fault.latencyMs > 0) await sleep(fault.latencyMs);
  if (fault.error) throw new CognitoError(fault.error, fault.message ?? `Injected ${fault.error}.`);
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Past the limit, keep reading but discard, so the client gets the error response instead of a
      // reset connection; past a much larger bound, give up on the client and drop the connection.
      if (size > MAX_BODY_BYTES * 16) {
        reject(new CognitoError('SerializationException', 'Request body is far too large.'));
        req.destroy();
      } else if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        reject(
          new CognitoError('SerializationException', `Request body is larger than ${MAX_BODY_BYTES} bytes.`),
        );
      } else resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function internalError(error: unknown): CognitoError {
  process.stderr.write(
    `cognito-emulator: internal error: ${error instanceof Error ? error.stack : String(error)}\n`,
  );
  return new CognitoError('InternalErrorException', 'Internal error.');
}

function sendError(res: ServerResponse, error: CognitoError): void {
  res.setHeader('x-amzn-ErrorType', error.type);
  sendJson(res, error.status, { __type: error.type, message: error.message });
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': crypto.randomUUID(),
  });
  res.end(text);
}

/** Cognito omits absent members rather than sending null. */
function stripUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripUndefined);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) {
      if (entry !== undefined) out[key] = stripUndefined(entry);
    }
    return out;
  }
  return value;
}
