import type { TestGateway } from '../src/testing.js';
import type { StepData } from './operations.js';

/**
 * One flow mutation over HTTP as a client at `ip` (through a trusted proxy's X-Forwarded-For; the test
 * gateway must trust loopback), optionally through another profile: the step and the first error.
 */
export async function stepAs(
  gw: TestGateway,
  query: string,
  input: Record<string, unknown>,
  ip: string,
  profile?: string,
) {
  const response = await gw.graphql<Record<string, StepData>>(
    query,
    { input },
    { headers: { 'x-forwarded-for': ip }, ...(profile !== undefined && { profile }) },
  );
  const data = response.body.data ? Object.values(response.body.data)[0] : undefined;
  return { step: data, error: response.body.errors?.[0] };
}
