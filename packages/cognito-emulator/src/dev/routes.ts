import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OperationContext } from '../operations/context.js';
import { sendJson } from '../server.js';
import type { Fault } from '../state.js';
import { mailboxPage } from './mailbox-page.js';

const MAX_DEV_BODY = 64 * 1024;

/**
 * The emulator's own endpoints, beside the Cognito API: the dev mailbox, fault injection, call
 * counts and each pool's JWKS and OpenID configuration. Returns false when the path is not one of them.
 */
export async function devRoutes(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: OperationContext,
): Promise<boolean> {
  const { state } = ctx;
  const path = url.pathname;

  const wellKnown = /^\/([\w-]+_[0-9a-zA-Z]+)\/\.well-known\/(jwks\.json|openid-configuration)$/.exec(path);
  if (wellKnown && req.method === 'GET') {
    const poolId = wellKnown[1] ?? '';
    const body =
      wellKnown[2] === 'jwks.json'
        ? ctx.tokens.jwks(poolId)
        : ctx.tokens.openidConfiguration(poolId, ctx.baseUrl);
    if (body === undefined) sendJson(res, 404, { message: `User pool ${poolId} does not exist.` });
    else sendPlainJson(res, 200, body);
    return true;
  }

  if (!path.startsWith('/_dev/')) return false;

  if (path === '/_dev/messages' && req.method === 'GET') {
    const to = url.searchParams.get('to');
    sendPlainJson(res, 200, messagesFor(ctx, to));
    return true;
  }
  if (path === '/_dev/messages' && req.method === 'DELETE') {
    state.messages.length = 0;
    res.writeHead(204).end();
    return true;
  }
  if (path === '/_dev/mailbox' && req.method === 'GET') {
    const to = url.searchParams.get('to');
    // The filter goes back into the page too, so its field shows it even before the script runs.
    const html = mailboxPage(messagesFor(ctx, to), to);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(html);
    return true;
  }
  if (path === '/_dev/faults' && req.method === 'POST') {
    const parsed = await readJson(req);
    const fault = parsed === undefined ? undefined : parseFault(parsed);
    if (typeof fault === 'string' || fault === undefined) {
      sendPlainJson(res, 400, { message: fault ?? 'Body must be a JSON object.' });
      return true;
    }
    const queue = state.faults.get(fault.operation) ?? [];
    queue.push(fault.fault);
    state.faults.set(fault.operation, queue);
    sendPlainJson(res, 201, { operation: fault.operation, ...fault.fault });
    return true;
  }
  if (path === '/_dev/faults' && req.method === 'DELETE') {
    state.faults.clear();
    res.writeHead(204).end();
    return true;
  }
  if (path === '/_dev/calls' && req.method === 'GET') {
    sendPlainJson(res, 200, Object.fromEntries(state.calls));
    return true;
  }
  if (path === '/_dev/calls' && req.method === 'DELETE') {
    state.calls.clear();
    res.writeHead(204).end();
    return true;
  }
  sendPlainJson(res, 404, { message: `No dev route ${req.method} ${path}` });
  return true;
}

/** Newest first; `to` matches an email case-insensitively and a phone number exactly. */
export function messagesFor(ctx: OperationContext, to: string | null | undefined) {
  const wanted = to?.toLowerCase();
  return ctx.state.messages.filter((m) => wanted === undefined || m.to.toLowerCase() === wanted).reverse();
}

/** Validates `{operation, latencyMs?, error?, message?, count?}`; a string is the reason it is refused. */
export function parseFault(body: unknown): { operation: string; fault: Fault } | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'Body must be a JSON object.';
  const { operation, latencyMs = 0, error, message, count = 1 } = body as Record<string, unknown>;
  if (typeof operation !== 'string' || !/^[A-Za-z]+$/.test(operation))
    return '"operation" must be an operation name, e.g. "InitiateAuth".';
  if (typeof latencyMs !== 'number' || !Number.isFinite(latencyMs) || latencyMs < 0 || latencyMs > 120_000)
    return '"latencyMs" must be a number of milliseconds from 0 to 120000.';
  if (error !== undefined && (typeof error !== 'string' || !/^[A-Za-z]+$/.test(error)))
    return '"error" must be a Cognito exception name, e.g. "TooManyRequestsException".';
  if (message !== undefined && typeof message !== 'string') return '"message" must be a string.';
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1)
    return '"count" must be a positive integer.';
  if (latencyMs === 0 && error === undefined) return 'A fault needs "latencyMs", "error" or both.';
  return { operation, fault: { latencyMs, error, message, remaining: count } };
}

function sendPlainJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) })
    .end(text);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_DEV_BODY) return undefined;
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return undefined;
  }
}
