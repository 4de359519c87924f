import { isIPv4, isIPv6 } from 'node:net';

/** The bucket of every value that is not an IP address: garbage shares one budget, it never gets its own. */
export const INVALID_IP_KEY = 'invalid';

/**
 * The per-IP limit key of a client address. IPv4 as is; an IPv4-mapped IPv6 address (::ffff:a.b.c.d)
 * as its IPv4; other IPv6 addresses grouped by /64, since one subscriber usually owns a whole /64 and
 * could otherwise rotate through 2^64 addresses. Surrounding brackets and a zone id are dropped.
 * Anything else maps to one fixed bucket. Never throws.
 */
export function ipKey(ip: string): string {
  if (typeof ip !== 'string') return INVALID_IP_KEY;
  let value = ip.trim();
  if (value.startsWith('[') && value.endsWith(']')) value = value.slice(1, -1);
  const zone = value.indexOf('%');
  if (zone >= 0) value = value.slice(0, zone);
  if (isIPv4(value)) return value;
  if (!isIPv6(value)) return INVALID_IP_KEY;
  const groups = ipv6Groups(value);
  if (groups === undefined) return INVALID_IP_KEY;
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = groups;
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) {
    return `${g6 >> 8}.${g6 & 0xff}.${g7 >> 8}.${g7 & 0xff}`;
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/**
 * The IPv6 network of `prefixBits` (48 or 56) that a client address belongs to, e.g.
 * `2001:db8:1::/48`; undefined for IPv4 (and IPv4-mapped) addresses and anything that is not an IP.
 * One site or provider customer usually owns a /56 or /48, so budgets on these tiers stop one network
 * from rotating through its /64s.
 */
export function ipv6Network(ip: string, prefixBits: 48 | 56): string | undefined {
  const key = ipKey(ip);
  if (!key.endsWith('::/64')) return undefined;
  const groups = key
    .slice(0, -'::/64'.length)
    .split(':')
    .map((group) => Number.parseInt(group, 16));
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0] = groups;
  const tail = prefixBits === 48 ? [] : [g3 & 0xff00];
  return `${[g0, g1, g2, ...tail].map((group) => group.toString(16)).join(':')}::/${prefixBits}`;
}

/** The eight 16-bit groups of a valid IPv6 address (`::` expanded, a trailing dotted IPv4 converted). */
function ipv6Groups(address: string): number[] | undefined {
  const toGroups = (part: string): number[] => {
    if (part === '') return [];
    const groups: number[] = [];
    for (const piece of part.split(':')) {
      if (piece.includes('.')) {
        const [a = 0, b = 0, c = 0, d = 0] = piece.split('.').map(Number);
        groups.push((a << 8) | b, (c << 8) | d);
      } else {
        groups.push(Number.parseInt(piece, 16));
      }
    }
    return groups;
  };
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const head = toGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? toGroups(halves[1] ?? '') : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...tail];
  return groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff)
    ? groups
    : undefined;
}
