import { describe, expect, it } from 'vitest';
import { createLogger, scrub } from './logger.js';

function capture() {
  const lines: string[] = [];
  const logger = createLogger({
    level: 'trace',
    destination: { write: (line: string) => void lines.push(line) },
  });
  return { logger, text: () => lines.join('') };
}

describe('logger', () => {
  it('redacts identifiers and secrets under any key they could travel under, at any depth', () => {
    const { logger, text } = capture();
    logger.info({
      handle: 'HANDLE-1',
      input: { email: 'yuki@example.com' },
      nested: { deeper: { refreshToken: 'RT-1', code: '12345678' } },
      req: { headers: { authorization: 'Bearer AT-1', cookie: 'c=COOKIE-1' } },
      clientIp: '203.0.113.9',
    });
    for (const secret of [
      'HANDLE-1',
      'yuki@example.com',
      'RT-1',
      '12345678',
      'AT-1',
      'COOKIE-1',
      '203.0.113.9',
    ]) {
      expect(text()).not.toContain(secret);
    }
  });

  it('redacts in arrays, deep down, and in child loggers bindings, without touching the logged objects', () => {
    const { logger, text } = capture();
    const logged = {
      list: [{ email: 'in-array@example.com' }],
      a: { b: { c: { d: { e: { handle: 'DEEP-1' } } } } },
    };
    const copy = structuredClone(logged);
    logger.child({ reqId: 'r-1', clientIp: '192.0.2.7' }).child({ session: 'SESSION-1' }).info(logged);
    for (const secret of ['in-array@example.com', 'DEEP-1', '192.0.2.7', 'SESSION-1']) {
      expect(text()).not.toContain(secret);
    }
    expect(text()).toContain('"reqId":"r-1"');
    expect(logged).toEqual(copy);
  });

  it('logs errors by name and scrubbed stack, keeping our error code', () => {
    const { logger, text } = capture();
    const error = Object.assign(new Error('no user yuki@example.com with code 87654321 from 198.51.100.4'), {
      code: 'SERVICE_UNAVAILABLE',
    });
    logger.error({ err: error }, 'failed');
    expect(text()).toContain('"errorCode":"SERVICE_UNAVAILABLE"');
    expect(text()).not.toMatch(/yuki@example\.com|87654321|198\.51\.100\.4/);
  });

  it('serializes requests as method and path only', () => {
    const { logger, text } = capture();
    logger.info({ req: { method: 'GET', url: '/graphql?query=x&variables=%7B%22email%22%7D', id: 'req-1' } });
    expect(text()).toContain('"path":"/graphql"');
    expect(text()).not.toContain('variables');
  });

  it('scrub leaves ordinary words alone', () => {
    expect(scrub('TypeError: cannot read properties of undefined')).toBe(
      'TypeError: cannot read properties of undefined',
    );
    expect(scrub('token eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJl end')).toBe(
      'token [scrubbed] end',
    );
  });
});
