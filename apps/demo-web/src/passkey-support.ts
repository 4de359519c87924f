import { isOtpgateError, isPasskeyError, OtpgateError, type PasskeyError } from '@otpgate/client';

/**
 * Whether this page can offer passkeys, decided before any button is pressed: a browser without
 * WebAuthn, or a page opened by IP address (`http://127.0.0.1:4001`), gets the buttons switched off
 * with a sentence instead of a failure after the click. An IP address can never be a relying-party
 * id, so the browser would refuse every ceremony there.
 */
export type PasskeyAvailability =
  | { usable: true }
  | { usable: false; reason: 'unsupported' }
  | { usable: false; reason: 'ip-address'; suggestion?: string };

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function passkeyAvailability(
  location: Pick<Location, 'protocol' | 'hostname' | 'port'>,
  supported: boolean,
): PasskeyAvailability {
  if (!supported) return { usable: false, reason: 'unsupported' };
  const { hostname, protocol, port } = location;
  const ipv6 = hostname.startsWith('[');
  if (!ipv6 && !IPV4.test(hostname)) return { usable: true };
  // Loopback: the same page is one rename away (local mode's passkeys are for `localhost`).
  const loopback = hostname === '[::1]' || hostname.startsWith('127.');
  return loopback
    ? { usable: false, reason: 'ip-address', suggestion: `${protocol}//localhost${port ? `:${port}` : ''}` }
    : { usable: false, reason: 'ip-address' };
}

/** A failure as one of the two kinds the passkey messages know: the gateway's or the browser's. */
export const asPasskeyFailure = (error: unknown): OtpgateError | PasskeyError =>
  isOtpgateError(error) || isPasskeyError(error)
    ? error
    : new OtpgateError('INTERNAL_SERVER_ERROR', String(error));
