/**
 * Which `clientDataJSON.origin` values the emulator accepts for a relying-party id. Cognito documents
 * only that the origin must "align with" the relying-party id and that a passkey works on that domain
 * and its subdomains; the exact rule is the emulator's choice:
 * - `https://<rpId>` and `https://<any subdomain>.<rpId>`, on any port;
 * - when the id is `localhost`: `http://localhost` and `https://localhost` on any port (browsers treat
 *   localhost as a secure context, so local development works without certificates);
 * - any origin listed exactly in `extra` (native apps send `android:apk-key-hash:...` origins).
 */
export function originAllowed(origin: string, relyingPartyId: string, extra: readonly string[]): boolean {
  if (extra.includes(origin)) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  // An origin is scheme, host and port only: anything more is not an origin a browser sends.
  if (url.origin !== origin) return false;
  const host = url.hostname.toLowerCase();
  const rpId = relyingPartyId.toLowerCase();
  if (rpId === 'localhost') {
    return host === 'localhost' && (url.protocol === 'http:' || url.protocol === 'https:');
  }
  return url.protocol === 'https:' && (host === rpId || host.endsWith(`.${rpId}`));
}
