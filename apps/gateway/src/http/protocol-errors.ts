import type { Socket } from 'node:net';
import type { ConnectionError, FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '../errors.js';

/**
 * Refusals raised below Fastify's routing, which its error handler never sees: Node's HTTP parser
 * (an unknown method, broken framing, headers over 16 KiB, a request that takes too long) and the
 * router (a path with a malformed percent-escape). Fastify's defaults answer them with its own shape
 * (`{ statusCode, error, message }`, `code: 'FST_ERR_BAD_URL'`, the path quoted back); here they get
 * the GraphQL error shape with a contract code, like every other refusal (docs/API.md section 2).
 */

function rawAnswer(status: number, reason: string, body: unknown): string {
  const text = JSON.stringify(body);
  return (
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json; charset=utf-8\r\n` +
    `Content-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`
  );
}

/** Fastify `clientErrorHandler` (Node's `clientError`): the connection is answered, then closed. */
export function clientErrorHandler(logger: FastifyBaseLogger) {
  return (error: ConnectionError, socket: Socket): void => {
    // A reset or an already closed socket has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    let answer: string;
    if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      answer = rawAnswer(
        408,
        'Request Timeout',
        errorBody('BAD_USER_INPUT', 'The request took too long to arrive.', 'request'),
      );
    } else if (error.code === 'HPE_HEADER_OVERFLOW') {
      answer = rawAnswer(
        431,
        'Request Header Fields Too Large',
        errorBody('BAD_USER_INPUT', 'The request headers are too large.', 'headers'),
      );
    } else {
      answer = rawAnswer(
        400,
        'Bad Request',
        errorBody('BAD_USER_INPUT', 'The request is malformed.', 'request'),
      );
    }
    // Trace only, as Fastify does: these are mostly scanners and broken proxies, not incidents.
    logger.trace({ code: error.code }, 'client error');
    if (socket.writable) socket.write(answer);
    socket.destroy();
  };
}

/** Fastify `frameworkErrors`: a path that cannot be decoded, and the like. Never echoes the path. */
export function frameworkErrors(_error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  void reply.code(400).send(errorBody('BAD_USER_INPUT', 'The request is malformed.', 'request'));
}
