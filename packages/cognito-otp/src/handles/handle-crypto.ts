import { createCipheriv, createDecipheriv, createHmac, hash } from 'node:crypto';
import { pooledRandomBytes } from '../random.js';

/**
 * Handles: the opaque value a client keeps between steps, and the sealed record it unlocks.
 *
 * The store never sees a handle. It sees `handleId(handle)` (SHA-256) as the key and a record sealed
 * with a key derived from the handle, so a dump of Redis yields neither a usable handle nor the
 * Cognito session: both are needed and only the client holds the first.
 */

/** Bytes of randomness in a handle: 256 bits, so guessing one is hopeless and ids never collide. */
export const HANDLE_BYTES = 32;

/** base64url of 32 bytes without padding. */
const HANDLE_LENGTH = 43;
const HANDLE_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** First byte of a sealed record; a new layout gets a new byte and old handles simply stop opening. */
const SEAL_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
// HKDF salt: fixed and public on purpose. The handle already carries 256 bits of entropy; the salt only
// separates otpgate's derivation from any other use of the same bytes.
const HKDF_SALT = Buffer.from('otpgate handle salt', 'utf8');
const HKDF_INFO = Buffer.from('otpgate handle record v1', 'utf8');

/** Random source: returns `n` random bytes (crypto quality). Injected so tests are deterministic. */
export type RandomBytes = (n: number) => Buffer;

/** A new handle: 32 random bytes as base64url (43 characters). */
export function newHandle(random: RandomBytes): string {
  const bytes = random(HANDLE_BYTES);
  if (bytes.length !== HANDLE_BYTES) {
    throw new RangeError(`random source returned ${bytes.length} bytes, expected ${HANDLE_BYTES}`);
  }
  return bytes.toString('base64url');
}

/**
 * The handle's bytes, or undefined when `value` is not exactly a handle: 43 base64url characters in
 * canonical form (the two spare bits of the last character are zero), so one handle has one spelling.
 */
export function parseHandle(value: string): Buffer | undefined {
  if (typeof value !== 'string' || value.length !== HANDLE_LENGTH || !HANDLE_PATTERN.test(value)) {
    return undefined;
  }
  const bytes = Buffer.from(value, 'base64url');
  if (bytes.length !== HANDLE_BYTES || bytes.toString('base64url') !== value) return undefined;
  return bytes;
}

/** The store key of a handle: SHA-256 as base64url (43 characters, safe inside a `{hash tag}`). */
export function handleId(handle: Buffer): string {
  // One-shot: about a quarter of createHash's cost for 32 bytes (no Hash object per call).
  return hash('sha256', handle, 'base64url');
}

const HKDF_FIRST_BLOCK = Buffer.of(1);

/**
 * HKDF-SHA256 (RFC 5869) of the handle, 32 bytes: Extract (PRK = HMAC(salt, handle)), then the one
 * Expand block (HMAC(PRK, info || 0x01)). The same bytes as `hkdfSync('sha256', handle, HKDF_SALT,
 * HKDF_INFO, 32)` (a test pins it), written out because hkdfSync set up OpenSSL's KDF on every call
 * at several times the cost of two HMACs, and every handle step derives this key (BENCHMARKS.md).
 */
export function recordKey(handle: Buffer): Buffer {
  const prk = createHmac('sha256', HKDF_SALT).update(handle).digest();
  return createHmac('sha256', prk).update(HKDF_INFO).update(HKDF_FIRST_BLOCK).digest();
}

function additionalData(aad: string): Buffer {
  // The version byte is authenticated too, so a record cannot be replayed under another layout.
  return Buffer.concat([Buffer.of(SEAL_VERSION), Buffer.from(aad, 'utf8')]);
}

/**
 * Seals `plain` under a key derived from the handle: AES-256-GCM, random 96-bit IV, `aad` (the client
 * profile) authenticated but not stored. Layout: version(1) | iv(12) | ciphertext | tag(16), 29 bytes
 * over the plaintext.
 *
 * A handle is resealed a few times at most (each resend), so random IVs under its own key are far from
 * the GCM birthday bound.
 */
export function sealBytes(
  handle: Buffer,
  aad: string,
  plain: Buffer,
  random: RandomBytes = pooledRandomBytes,
): Buffer {
  if (handle.length !== HANDLE_BYTES) throw new RangeError(`a handle has ${HANDLE_BYTES} bytes`);
  const iv = random(IV_BYTES);
  if (iv.length !== IV_BYTES)
    throw new RangeError(`random source returned ${iv.length} bytes, expected ${IV_BYTES}`);
  const cipher = createCipheriv('aes-256-gcm', recordKey(handle), iv);
  cipher.setAAD(additionalData(aad));
  const body = cipher.update(plain);
  const final = cipher.final();
  return Buffer.concat([Buffer.of(SEAL_VERSION), iv, body, final, cipher.getAuthTag()]);
}

/**
 * The plaintext sealed by `sealBytes`, or undefined when it does not open: another handle, another
 * `aad` (client profile), a tampered or truncated value, an unknown version. Never throws, so callers
 * answer SESSION_EXPIRED without telling the cases apart.
 */
export function openBytes(handle: Buffer, aad: string, data: Buffer): Buffer | undefined {
  if (handle.length !== HANDLE_BYTES || data.length < 1 + IV_BYTES + TAG_BYTES || data[0] !== SEAL_VERSION) {
    return undefined;
  }
  try {
    const iv = data.subarray(1, 1 + IV_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', recordKey(handle), iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(additionalData(aad));
    decipher.setAuthTag(tag);
    return Buffer.concat([
      decipher.update(data.subarray(1 + IV_BYTES, data.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch {
    return undefined;
  }
}
