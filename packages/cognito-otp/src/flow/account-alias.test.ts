import { describe, expect, it } from 'vitest';
import { identifierKeys } from '../identifiers.js';
import { ACCOUNT_ALIAS_TTL_MS, accountAliasOf } from './account-alias.js';

const keys = identifierKeys(Buffer.alloc(32, 7));
const jwt = (claims: object) =>
  `${Buffer.from('{"alg":"RS256"}').toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.sig`;
const emailKey = keys.destinationKey({ kind: 'email', value: 'yuki@example.com' });
const phoneKey = keys.destinationKey({ kind: 'phone', value: '+15550100123' });

describe('accountAliasOf', () => {
  it('links every verified address (normalised) and the proven one to the keyed sub', () => {
    const alias = accountAliasOf(
      keys,
      jwt({
        sub: 'abc',
        email: 'Yuki@Example.com',
        email_verified: true,
        phone_number: '+15550100123',
        phone_number_verified: 'true',
      }),
    );
    expect(alias).toEqual({
      identifierKeys: [emailKey, phoneKey],
      accountKey: keys.accountKey('abc'),
      ttlMs: ACCOUNT_ALIAS_TTL_MS,
    });
    expect(alias?.accountKey).not.toContain('abc');
  });

  it('leaves unverified addresses out, keeps the one the code went to', () => {
    const token = jwt({
      sub: 'abc',
      email: 'yuki@example.com',
      email_verified: false,
      phone_number: '+15550100123',
    });
    expect(accountAliasOf(keys, token)).toBeUndefined();
    expect(accountAliasOf(keys, token, phoneKey)?.identifierKeys).toEqual([phoneKey]);
  });

  it('answers undefined for a token it cannot read, or without a sub', () => {
    expect(accountAliasOf(keys, 'not-a-jwt', emailKey)).toBeUndefined();
    expect(accountAliasOf(keys, 'a.%%%.c', emailKey)).toBeUndefined();
    expect(
      accountAliasOf(keys, jwt({ email: 'yuki@example.com', email_verified: true }), emailKey),
    ).toBeUndefined();
  });

  it("takes the caller's key for its own identifier and computes the others", () => {
    let computed = 0;
    const counting = {
      ...keys,
      destinationKey: (identifier: Parameters<typeof keys.destinationKey>[0]) => {
        computed++;
        return keys.destinationKey(identifier);
      },
    };
    const token = jwt({
      sub: 'abc',
      email: 'Yuki@Example.com',
      email_verified: true,
      phone_number: '+15550100123',
      phone_number_verified: true,
    });
    const known = { identifier: { kind: 'email', value: 'yuki@example.com' } as const, key: emailKey };
    expect(accountAliasOf(counting, token, emailKey, known)?.identifierKeys).toEqual([emailKey, phoneKey]);
    expect(computed).toBe(1);
    // Same value under another kind is not the same identifier.
    computed = 0;
    const phoneAsEmail = { identifier: { kind: 'email', value: '+15550100123' } as const, key: 'wrong' };
    expect(accountAliasOf(counting, token, undefined, phoneAsEmail)?.identifierKeys).toEqual([
      emailKey,
      phoneKey,
    ]);
    expect(computed).toBe(2);
  });
});
