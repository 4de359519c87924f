import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  HANDLE_BYTES,
  handleId,
  newHandle,
  openBytes,
  parseHandle,
  recordKey,
  sealBytes,
} from './handle-crypto.js';

// The sealing layer takes bytes; these tests seal a JSON record, as the engine's records once were.
const sealRecord = (handle: Buffer, aad: string, record: object) =>
  sealBytes(handle, aad, Buffer.from(JSON.stringify(record), 'utf8'));
const openRecord = (handle: Buffer, aad: string, data: Buffer): unknown => {
  const plain = openBytes(handle, aad, data);
  return plain === undefined ? undefined : JSON.parse(plain.toString('utf8'));
};

const fixed = (byte: number) => (n: number) => Buffer.alloc(n, byte);

function handleBytes(): Buffer {
  const bytes = parseHandle(newHandle(randomBytes));
  if (bytes === undefined) throw new Error('newHandle produced an unparsable handle');
  return bytes;
}

describe('newHandle / parseHandle', () => {
  it('makes 43 base64url characters from 32 random bytes, and parses them back', () => {
    const handle = newHandle(fixed(0xab));
    expect(handle).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(parseHandle(handle)).toEqual(Buffer.alloc(HANDLE_BYTES, 0xab));
  });

  it('refuses a random source that returns the wrong length', () => {
    expect(() => newHandle(() => Buffer.alloc(16))).toThrow(RangeError);
  });

  it.each([
    ['empty', ''],
    ['one short', 'A'.repeat(42)],
    ['one long', 'A'.repeat(44)],
    ['padding', `${'A'.repeat(42)}=`],
    ['standard base64 alphabet', `${'A'.repeat(42)}+`],
    ['whitespace', ` ${'A'.repeat(42)}`],
    ['non-canonical spare bits', `${'A'.repeat(42)}B`],
    ['non-ASCII', `${'A'.repeat(42)}é`],
  ])('returns undefined for %s', (_name, value) => {
    expect(parseHandle(value)).toBeUndefined();
  });

  it('returns undefined for non-strings', () => {
    expect(parseHandle(undefined as unknown as string)).toBeUndefined();
    expect(parseHandle(42 as unknown as string)).toBeUndefined();
  });
});

describe('handleId', () => {
  it('is the SHA-256 of the handle bytes, stable, and not the handle', () => {
    const bytes = handleBytes();
    const id = handleId(bytes);
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(id).toBe(createHash('sha256').update(bytes).digest('base64url'));
    expect(handleId(Buffer.from(bytes))).toBe(id);
    expect(id).not.toBe(bytes.toString('base64url'));
    expect(handleId(handleBytes())).not.toBe(id);
  });
});

describe('sealBytes / openBytes', () => {
  const record = { session: 'S'.repeat(1024), username: 'u-1', kind: 'SIGN_IN', sends: 1, attempts: 0 };

  it('round-trips a record under the same handle and profile', () => {
    const handle = handleBytes();
    expect(openRecord(handle, 'shop', sealRecord(handle, 'shop', record))).toEqual(record);
  });

  it('uses a fresh IV each time, so two seals of one record differ', () => {
    const handle = handleBytes();
    expect(sealRecord(handle, 'shop', record).equals(sealRecord(handle, 'shop', record))).toBe(false);
  });

  it('stays compact: 29 bytes over the JSON', () => {
    const handle = handleBytes();
    const sealed = sealRecord(handle, 'shop', record);
    expect(sealed.length).toBe(Buffer.byteLength(JSON.stringify(record)) + 29);
  });

  it('does not open under another client profile (aad)', () => {
    const handle = handleBytes();
    expect(openRecord(handle, 'other-shop', sealRecord(handle, 'shop', record))).toBeUndefined();
  });

  it('does not open under another handle', () => {
    expect(openRecord(handleBytes(), 'shop', sealRecord(handleBytes(), 'shop', record))).toBeUndefined();
  });

  it('returns undefined for any flipped bit (version, IV, body, tag)', () => {
    const handle = handleBytes();
    const sealed = sealRecord(handle, 'shop', record);
    for (const index of [0, 1, 12, 13, Math.floor(sealed.length / 2), sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[index] = (tampered[index] ?? 0) ^ 0x01;
      expect(openRecord(handle, 'shop', tampered), `byte ${index}`).toBeUndefined();
    }
  });

  it('returns undefined for truncated or empty data and for a short handle', () => {
    const handle = handleBytes();
    const sealed = sealRecord(handle, 'shop', record);
    expect(openRecord(handle, 'shop', sealed.subarray(0, sealed.length - 1))).toBeUndefined();
    expect(openRecord(handle, 'shop', Buffer.alloc(0))).toBeUndefined();
    expect(openRecord(handle.subarray(0, 16), 'shop', sealed)).toBeUndefined();
  });

  it('keeps the record out of the sealed bytes', () => {
    const handle = handleBytes();
    const sealed = sealRecord(handle, 'shop', { session: 'MARKER-session-in-clear' });
    expect(sealed.includes('MARKER')).toBe(false);
  });
});

describe('recordKey', () => {
  const salt = Buffer.from('otpgate handle salt', 'utf8');
  const info = Buffer.from('otpgate handle record v1', 'utf8');

  it('is HKDF-SHA256 of the handle: the same bytes as hkdfSync, so stored records keep opening', () => {
    for (let i = 0; i < 50; i++) {
      const handle = randomBytes(HANDLE_BYTES);
      expect(recordKey(handle)).toEqual(Buffer.from(hkdfSync('sha256', handle, salt, info, 32)));
    }
  });

  it('matches a pinned value (any change of derivation would orphan every pending handle)', () => {
    expect(recordKey(Buffer.alloc(HANDLE_BYTES, 0xab)).toString('hex')).toBe(
      'cc071a64eec42f86bb7b70755231f1acda856bcb6ac642208269c29d92029592',
    );
  });
});
