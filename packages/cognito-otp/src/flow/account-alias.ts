import { type Identifier, type IdentifierKeys, normaliseEmail, normalisePhone } from '../identifiers.js';
import type { AccountAlias } from '../store/types.js';

/**
 * How long a sign-in keeps an account's addresses linked to it for the per-account budgets. Every
 * sign-in renews it; an address the account gave up stops counting for it at the latest this long
 * after its last sign-in.
 */
export const ACCOUNT_ALIAS_TTL_MS = 30 * 24 * 3600 * 1000;

/** The claims of an ID token this engine reads. */
interface IdClaims {
  sub?: unknown;
  email?: unknown;
  email_verified?: unknown;
  phone_number?: unknown;
  phone_number_verified?: unknown;
}

/** Cognito writes the `*_verified` claims as booleans; some tooling as the strings "true"/"false". */
const verified = (value: unknown) => value === true || value === 'true';

/**
 * The aliases a sign-in teaches the store, so the next sign-in with any of them counts against the
 * account's budgets as well as the address's: the address the code of this sign-in went to
 * (`provenKey`: whoever typed the code reads that address, and Cognito resolved it to this account),
 * and each VERIFIED address of the account (email, phone number) the ID token names. Cognito's OTP
 * challenges do not say whose account an address is, so a successful sign-in is the first moment the
 * engine can know.
 *
 * Unverified addresses are left out: anyone can write a victim's number into their own account's
 * attributes, and linking it would let them spend the victim's budgets through their own account.
 *
 * The ID token comes straight from Cognito's answer, so its payload is read without checking the
 * signature. undefined when the token cannot be read (the sign-in is not affected).
 *
 * `known`: an identifier whose key the caller already holds (the handle's own address), so that key is
 * not computed again: one HMAC less per sign-in.
 */
export function accountAliasOf(
  keys: IdentifierKeys,
  idToken: string,
  provenKey?: string,
  known?: { identifier: Identifier; key: string },
): AccountAlias | undefined {
  const claims = payloadOf(idToken);
  if (claims === undefined || typeof claims.sub !== 'string' || claims.sub === '') return undefined;
  const identifiers: Identifier[] = [];
  const email = verified(claims.email_verified) ? normaliseEmail(claims.email) : undefined;
  if (email !== undefined) identifiers.push({ kind: 'email', value: email });
  const phone = verified(claims.phone_number_verified) ? normalisePhone(claims.phone_number) : undefined;
  if (phone !== undefined) identifiers.push({ kind: 'phone', value: phone });
  const keyOf = (identifier: Identifier) =>
    known !== undefined &&
    known.identifier.kind === identifier.kind &&
    known.identifier.value === identifier.value
      ? known.key
      : keys.destinationKey(identifier);
  const identifierKeys = new Set(identifiers.map(keyOf));
  if (provenKey !== undefined) identifierKeys.add(provenKey);
  if (identifierKeys.size === 0) return undefined;
  return {
    identifierKeys: [...identifierKeys],
    accountKey: keys.accountKey(claims.sub),
    ttlMs: ACCOUNT_ALIAS_TTL_MS,
  };
}

function payloadOf(jwt: string): IdClaims | undefined {
  const first = jwt.indexOf('.');
  const second = jwt.indexOf('.', first + 1);
  if (first < 0 || second < 0) return undefined;
  try {
    const value: unknown = JSON.parse(
      Buffer.from(jwt.slice(first + 1, second), 'base64url').toString('utf8'),
    );
    return typeof value === 'object' && value !== null ? (value as IdClaims) : undefined;
  } catch {
    return undefined;
  }
}
