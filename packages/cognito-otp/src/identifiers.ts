import { createHmac } from 'node:crypto';
import { domainToASCII } from 'node:url';
import type { DeliveryMedium } from './types.js';

/**
 * Sign-in identifiers: normalising and validating what users type, masking it for display, and the
 * keyed hashes under which limits count it. Nothing here does I/O.
 */

/** A normalised email address or E.164 phone number, as it goes to Cognito. */
export type Identifier = { kind: 'email'; value: string } | { kind: 'phone'; value: string };

const MAX_EMAIL = 254;
const MAX_LOCAL = 64;
/** RFC 5322 dot-atom characters; quoted local parts are refused (Cognito's own pattern refuses most). */
const LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)$/;
const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/**
 * Lowercase letters, digits, hyphens and dots, the last label starting with a letter (so the WHATWG
 * host parser cannot read the domain as an IPv4 address), and no `xn--` label (whose punycode it
 * checks): a domain that `domainToASCII` returns as it is.
 */
const PLAIN_DOMAIN = /^(?:[a-z0-9-]*\.)*[a-z][a-z0-9-]*$/;

/**
 * The domain as `domainToASCII` writes it (IDNA, UTS #46). Nearly every address's domain is plain
 * ASCII already, which that mapping returns unchanged: those skip it (a test pins the equality).
 */
export function asciiDomain(lowercased: string): string {
  return PLAIN_DOMAIN.test(lowercased) && !lowercased.includes('xn--')
    ? lowercased
    : domainToASCII(lowercased);
}

/**
 * The address lower-cased (whole address: the pool's usernames are case-insensitive and the limit key
 * must not change with case), with an internationalised domain in its ASCII (punycode) form, or
 * undefined when it is not a plain mailbox address.
 */
export function normaliseEmail(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const trimmed = input.trim().normalize('NFC');
  if (trimmed.length === 0 || trimmed.length > MAX_EMAIL * 4) return undefined;
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at !== trimmed.indexOf('@')) return undefined;
  const local = trimmed.slice(0, at).toLowerCase();
  const domain = asciiDomain(trimmed.slice(at + 1).toLowerCase());
  if (local.length > MAX_LOCAL || !LOCAL.test(local) || domain === '') return undefined;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return undefined;
  if (!TLD.test(labels[labels.length - 1] ?? '')) return undefined;
  const address = `${local}@${domain}`;
  return address.length <= MAX_EMAIL ? address : undefined;
}

/** Separators people type inside phone numbers; anything else makes the number invalid. */
const PHONE_SEPARATORS = /[\s().-]/g;
/** E.164: a plus, a country code not starting with 0, at most 15 digits in all (7 at least, in practice). */
const E164 = /^\+[1-9][0-9]{6,14}$/;

/** The number in E.164 (`+819012345678`) with spaces, dots, dashes and parentheses removed, or undefined. */
export function normalisePhone(input: unknown): string | undefined {
  if (typeof input !== 'string' || input.length > 64) return undefined;
  const compact = input.trim().replace(PHONE_SEPARATORS, '');
  return E164.test(compact) ? compact : undefined;
}

/** `yuki@example.com` -> `y***@e***`: the format Cognito uses, and the only one the engine answers with. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf('@');
  return `${address.charAt(0)}***@${address.charAt(at + 1)}***`;
}

/** `+819012345678` -> `+********5678`: the plus, one star per hidden digit, the last four digits. */
export function maskPhone(phone: string): string {
  const digits = phone.slice(1);
  return `+${'*'.repeat(Math.max(digits.length - 4, 0))}${digits.slice(-4)}`;
}

/** The masked destination of an identifier on its own channel. */
export function maskIdentifier(identifier: Identifier): string {
  return identifier.kind === 'email' ? maskEmail(identifier.value) : maskPhone(identifier.value);
}

/**
 * Cognito's masked destination redrawn in the engine's format, so that a real answer and one the
 * engine makes up for an unknown address can never be told apart by format (Cognito's exact masking
 * is not part of its contract). Undefined when the value has nothing to redraw from.
 */
export function redrawMask(medium: DeliveryMedium, masked: string | undefined): string | undefined {
  if (masked === undefined) return undefined;
  if (medium === 'EMAIL') {
    const at = masked.indexOf('@');
    const first = masked.charAt(0);
    const domain = masked.charAt(at + 1);
    if (at <= 0 || first === '*' || domain === '' || domain === '*') return undefined;
    return `${first.toLowerCase()}***@${domain.toLowerCase()}***`;
  }
  const body = masked.replace(/^\+/, '');
  const last4 = body.slice(-4);
  if (!/^[0-9]{4}$/.test(last4) || !/^[0-9*]+$/.test(body) || body.length > 15) return undefined;
  return `+${'*'.repeat(Math.max(body.length - 4, 0))}${last4}`;
}

/**
 * Keyed hashes of identifiers. Limits and records hold only these, so a store dump reveals no
 * address; the same secret across replicas makes every replica count the same address under one key.
 */
export interface IdentifierKeys {
  /** The limit key of a destination: HMAC-SHA256 (base64url) of kind and normalised value. */
  destinationKey(identifier: Identifier): string;
  /**
   * The masked destination shown for a code on `medium`: the identifier itself, masked, on its own
   * channel; on the other channel (a phone number asked for an email code, an email for an SMS code)
   * a fixed stand-in, CROSS_CHANNEL_MASK, for every address, known or not. Showing the account's
   * real other address, even masked, would tell whoever knows one identifier something of the other
   * (an email's initials, a phone's last digits and length), and a made-up one would differ from it.
   */
  plausibleMask(identifier: Identifier, medium: DeliveryMedium): string;
  /** The key per-account budgets count under: HMAC-SHA256 (base64url) of the account's Cognito `sub`. */
  accountKey(sub: string): string;
}

/** What a code sent to the account's other channel shows as its destination: nothing of that address. */
export const CROSS_CHANNEL_MASK: Readonly<Record<DeliveryMedium, string>> = Object.freeze({
  EMAIL: '***@***',
  SMS: '+***********',
});

export function identifierKeys(secret: Buffer): IdentifierKeys {
  // One derived key per purpose, so the values of one use say nothing about another's.
  const derive = (purpose: string) => createHmac('sha256', secret).update(`otpgate/${purpose}/v1`).digest();
  const destinationSecret = derive('destination');
  const accountSecret = derive('account');
  const tag = (identifier: Identifier) => `${identifier.kind}:${identifier.value}`;
  return {
    destinationKey: (identifier) =>
      createHmac('sha256', destinationSecret).update(tag(identifier)).digest('base64url'),
    accountKey: (sub) => createHmac('sha256', accountSecret).update(sub).digest('base64url'),
    plausibleMask(identifier, medium) {
      if (medium === 'EMAIL' && identifier.kind === 'email') return maskEmail(identifier.value);
      if (medium === 'SMS' && identifier.kind === 'phone') return maskPhone(identifier.value);
      return CROSS_CHANNEL_MASK[medium];
    },
  };
}
