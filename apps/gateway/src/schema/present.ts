import type { AuthStep as EngineAuthStep } from '@otpgate/cognito-otp';
import type { GatewayContext } from '../context.js';
import type { AuthStep } from './auth-step.type.js';

/**
 * An engine step as the schema shows it. For a `cookie` profile the refresh token goes into the
 * httpOnly cookie and the response's `refreshToken` is null; a refresh without rotation leaves the
 * cookie (or the client's stored token) as it is.
 */
export function presentStep(step: EngineAuthStep, context: GatewayContext): AuthStep {
  if (step.nextStep !== 'DONE') return { nextStep: step.nextStep, challenge: step.challenge, tokens: null };
  const { refreshToken, ...tokens } = step.tokens;
  const inCookie = context.profile.tokenDelivery === 'cookie';
  if (inCookie && refreshToken) context.refreshCookie.set(refreshToken);
  return {
    nextStep: 'DONE',
    challenge: null,
    tokens: { ...tokens, refreshToken: inCookie ? null : (refreshToken ?? null) },
  };
}

/** GraphQL gives null for an omitted-or-null optional field; the engine's inputs want it absent. */
export function optional<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return (value === null || value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
