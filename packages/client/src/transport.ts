import { errorFromGraphQL, OtpgateError } from './errors.js';

/** The slice of `fetch` the client uses: the browser's, Node's, or a test double. */
export type FetchLike = (
  url: string,
  init: {
    method: 'POST';
    headers: Record<string, string>;
    body: string;
    credentials?: 'include' | 'same-origin' | 'omit';
    signal?: AbortSignal;
  },
) => Promise<{ status: number; text(): Promise<string> }>;

export interface TransportOptions {
  /** The gateway's GraphQL endpoint, e.g. "https://auth.shop.example/graphql". */
  url: string;
  /**
   * The client profile, sent as `apollographql-client-name`. The gateway serves `default` without it.
   * @default none
   */
  clientName?: string;
  /** Sent as `apollographql-client-version`, for the gateway's logs. @default none */
  clientVersion?: string;
  /**
   * `include` for `cookie` profiles on another origin, so the browser stores and sends the httpOnly
   * refresh-token cookie. @default the fetch default ('same-origin')
   */
  credentials?: 'include' | 'same-origin' | 'omit';
  /** Extra headers on every request (e.g. tracing). */
  headers?: Record<string, string>;
  /** @default globalThis.fetch */
  fetch?: FetchLike;
  /** Abort a request after this long, ms; it then fails with NETWORK_ERROR. @default 15000 */
  timeoutMs?: number;
}

export interface GraphQLRequest {
  operationName: string;
  query: string;
  variables?: Record<string, unknown>;
  /** Sent as `Authorization: Bearer …`. */
  accessToken?: string;
}

export type Transport = <T>(request: GraphQLRequest) => Promise<T>;

/**
 * POSTs one operation as JSON and answers its `data`, or throws OtpgateError.
 *
 * `content-type: application/json` is what gets past the gateway's CSRF prevention: it is not a type a
 * plain HTML form can send, so browsers preflight it and a foreign page cannot forge the request.
 */
export function createTransport(options: TransportOptions): Transport {
  const doFetch: FetchLike | undefined = options.fetch ?? (globalThis.fetch as FetchLike | undefined);
  if (!doFetch) throw new TypeError('otpgate client: no fetch available; pass options.fetch');
  if (!/^https?:\/\//.test(options.url) && !options.url.startsWith('/')) {
    throw new TypeError(`otpgate client: url must be http(s) or a path, got "${options.url}"`);
  }
  const timeoutMs = options.timeoutMs ?? 15_000;

  return async <T>(request: GraphQLRequest): Promise<T> => {
    const headers: Record<string, string> = {
      ...options.headers,
      'content-type': 'application/json',
      ...(options.clientName !== undefined && { 'apollographql-client-name': options.clientName }),
      ...(options.clientVersion !== undefined && { 'apollographql-client-version': options.clientVersion }),
      ...(request.accessToken !== undefined && { authorization: `Bearer ${request.accessToken}` }),
    };
    const body = JSON.stringify({
      operationName: request.operationName,
      query: request.query,
      ...(request.variables !== undefined && { variables: request.variables }),
    });
    // AbortController + setTimeout rather than AbortSignal.timeout: older Safari lacks the latter.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    let status: number;
    let text: string;
    try {
      const response = await doFetch(options.url, {
        method: 'POST',
        headers,
        body,
        signal: controller.signal,
        ...(options.credentials !== undefined && { credentials: options.credentials }),
      });
      status = response.status;
      text = await response.text();
    } catch (cause) {
      const timedOut = controller.signal.aborted;
      throw new OtpgateError(
        'NETWORK_ERROR',
        timedOut ? `No answer from the gateway within ${timeoutMs} ms.` : 'The gateway could not be reached.',
        { cause },
      );
    } finally {
      clearTimeout(timer);
    }
    return readResponse<T>(status, text);
  };
}

/** The gateway answers GraphQL errors with 200 (resolver refusals) or 4xx (request refusals), always as JSON. */
function readResponse<T>(status: number, text: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    // A load balancer's or proxy's page, not the gateway: nothing of the contract to report.
    throw new OtpgateError('NETWORK_ERROR', `The gateway answered HTTP ${status} without GraphQL.`, {
      status,
      cause,
    });
  }
  const body = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
    data?: unknown;
    errors?: unknown;
  };
  if (Array.isArray(body.errors) && body.errors.length > 0) throw errorFromGraphQL(body.errors[0], status);
  if (typeof body.data !== 'object' || body.data === null) {
    throw new OtpgateError('NETWORK_ERROR', `The gateway answered HTTP ${status} without data.`, { status });
  }
  return body.data as T;
}
