import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, type HandleRecord } from './record.js';

const createdAt = Date.UTC(2026, 11, 5, 9, 30);

/** A pending email sign-in as startSignIn stores it, with a Session the size of Cognito's. */
function signIn(overrides: Partial<HandleRecord> = {}): HandleRecord {
  return {
    v: 1,
    kind: 'SIGN_IN',
    username: 'yamada.taro@example.com',
    inputField: 'email',
    channel: 'EMAIL',
    session: `AYAB${randomBytes(720).toString('base64')}`,
    sessionExpiresAt: createdAt + 180_000,
    challenge: 'EMAIL_OTP',
    medium: 'EMAIL',
    destination: 'y***@e***',
    destinationKey: randomBytes(32).toString('base64url'),
    accountKey: randomBytes(32).toString('base64url'),
    sends: 1,
    createdAt,
    sentAt: createdAt,
    expiresAt: createdAt + 180_000,
    resendAvailableAt: createdAt + 30_000,
    fake: false,
    ...overrides,
  };
}

describe('encodeRecord / decodeRecord', () => {
  it('round-trips a sign-in record, the Session as its bytes', () => {
    const record = signIn();
    const encoded = encodeRecord(record);
    expect(decodeRecord(encoded)).toEqual(record);
    // The Session's 964 base64 characters take 723 bytes, and the names and times shrink.
    const json = Buffer.byteLength(JSON.stringify(record));
    expect(encoded.length).toBeLessThan(json - 400);
    expect(encoded.includes(Buffer.from(record.session as string))).toBe(false);
  });

  it('round-trips a sign-up record with both Sessions, a passkey record, and optional fields', () => {
    const signUp = signIn({
      kind: 'SIGN_UP',
      challenge: undefined,
      confirmed: true,
      confirmSession: `AYAB${randomBytes(600).toString('base64')}`,
      confirmSessionExpiresAt: createdAt + 300_000,
      locale: 'ja-JP',
      challengeUsername: '7d1e9c3a-5b2f-4e8a-9c1d-2f3a4b5c6d7e',
    });
    delete signUp.challenge;
    expect(decodeRecord(encodeRecord(signUp))).toEqual(signUp);
    const passkey = signIn({ challenge: 'WEB_AUTHN', passkey: true, rpId: 'shop.example', fake: true });
    delete passkey.accountKey;
    expect(decodeRecord(encodeRecord(passkey))).toEqual(passkey);
  });

  it('keeps a Session that is not canonical base64 as text, exactly', () => {
    for (const session of ['not base64!', 'AYAB-_', 'QUJD\n', 'QUI', '']) {
      const record = signIn({ session });
      expect(decodeRecord(encodeRecord(record))?.session).toBe(session);
    }
  });

  it('reads the plain JSON layout of handles issued before it (rolling deploy)', () => {
    const record = signIn();
    expect(decodeRecord(Buffer.from(JSON.stringify(record)))).toEqual(record);
  });

  it('refuses what is not a whole record: truncated, extended, unknown layout, wrong shape', () => {
    const encoded = encodeRecord(signIn());
    expect(decodeRecord(encoded.subarray(0, encoded.length - 1))).toBeUndefined();
    expect(decodeRecord(Buffer.concat([encoded, Buffer.of(0)]))).toBeUndefined();
    expect(decodeRecord(encoded.subarray(0, 2))).toBeUndefined();
    expect(decodeRecord(Buffer.concat([Buffer.of(0x03), encoded.subarray(1)]))).toBeUndefined();
    expect(decodeRecord(Buffer.alloc(0))).toBeUndefined();
    expect(decodeRecord(undefined)).toBeUndefined();
    const json = Buffer.from(JSON.stringify({ k: 'SIGN_IN', n: 'a' }));
    const head = Buffer.of(0x02, 0, 0);
    head.writeUInt16BE(json.length, 1);
    expect(decodeRecord(Buffer.concat([head, json]))).toBeUndefined();
    expect(decodeRecord(Buffer.from('{"v":1'))).toBeUndefined();
  });
});
