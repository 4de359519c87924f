import { describe, expect, it } from 'vitest';
import { passkeyAvailability } from './passkey-support.js';

const at = (url: string) => {
  const { protocol, hostname, port } = new URL(url);
  return { protocol, hostname, port };
};

describe('passkeyAvailability', () => {
  it('offers passkeys on a named host when the browser has WebAuthn', () => {
    expect(passkeyAvailability(at('http://localhost:4001/'), true)).toEqual({ usable: true });
    expect(passkeyAvailability(at('https://shop.example/'), true)).toEqual({ usable: true });
  });

  it('switches them off in a browser without WebAuthn', () => {
    expect(passkeyAvailability(at('https://shop.example/'), false)).toEqual({
      usable: false,
      reason: 'unsupported',
    });
  });

  it('switches them off on an IP address, naming localhost for a loopback one', () => {
    expect(passkeyAvailability(at('http://127.0.0.1:4001/'), true)).toEqual({
      usable: false,
      reason: 'ip-address',
      suggestion: 'http://localhost:4001',
    });
    expect(passkeyAvailability(at('http://[::1]/'), true)).toEqual({
      usable: false,
      reason: 'ip-address',
      suggestion: 'http://localhost',
    });
    expect(passkeyAvailability(at('https://203.0.113.7/'), true)).toEqual({
      usable: false,
      reason: 'ip-address',
    });
  });
});
