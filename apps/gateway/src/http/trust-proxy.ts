import { GatewayConfigError, trustEntryProblem } from '../env.js';

/**
 * Fastify's `trustProxy` for the gateway's setting: a hop count (the n closest hops) or the proxies'
 * addresses/CIDRs. Without either, the client IP is the socket's peer, whatever headers say.
 * @throws GatewayConfigError (key `trustProxy`) for an entry trustEntryProblem refuses or a bad count
 */
export function trustProxyOption(
  trust: number | readonly string[] | undefined,
): false | string[] | ((address: string, hop: number) => boolean) {
  if (trust === undefined) return false;
  if (typeof trust === 'number') {
    if (!Number.isInteger(trust) || trust < 0) {
      throw new GatewayConfigError('trustProxy', 'a hop count must be a whole number, 0 or more');
    }
    return (_address, hop) => hop < trust;
  }
  for (const entry of trust) {
    const problem = trustEntryProblem(entry);
    if (problem !== undefined) throw new GatewayConfigError('trustProxy', problem);
  }
  return [...trust];
}
