import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { createOtpEngine, type OtpLogEntry, type OtpStore } from '@otpgate/cognito-otp';
import type { Logger } from 'pino';
import type { ClientProfile } from './config.js';
import type { GatewayEngine } from './context.js';
import type { GatewayMetrics } from './http/metrics.js';

export interface EngineSettings {
  profiles: Readonly<Record<string, ClientProfile>>;
  /** The Cognito client of a region (one per region, shared). */
  cognitoClientFor: (region: string) => CognitoIdentityProviderClient;
  store: OtpStore;
  /** Keys the HMAC of identifiers; the same on every replica. */
  hmacSecret: string;
  /** Per-call Cognito timeout, ms. @default the engine's */
  cognitoTimeoutMs?: number;
  /** Epoch ms; tests share one with the store and the emulator. @default Date.now */
  clock?: { now(): number };
  logger: Logger;
  metrics: GatewayMetrics;
}

/** Engine codes that mean Cognito (or the way to it, or our pool settings) failed, whoever asked. */
const COGNITO_FAILURES: ReadonlySet<string> = new Set([
  'UPSTREAM_UNAVAILABLE',
  'SERVICE_UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
]);

/**
 * The `outcome` label of a Cognito call: `error` only when Cognito itself failed (throttled, 5xx,
 * timeout, network, a misconfigured pool or client). What Cognito answered about an account (unknown
 * or unconfirmed user, wrong or expired code, existing address, revoked token, lockout) is `ok`: the
 * client's answer hides some of it (an unconfirmed account gets a made-up challenge), so a label must
 * not tell it either.
 */
export function cognitoOutcome(entry: OtpLogEntry): 'ok' | 'error' {
  if (entry.event !== 'cognito.error') return 'ok';
  if (entry.signal !== undefined) return 'ok';
  return entry.errorCode !== undefined && !COGNITO_FAILURES.has(entry.errorCode) ? 'ok' : 'error';
}

/**
 * The engine for the gateway's profiles: each profile's Cognito and limit settings, nothing of HTTP.
 * Its structured events (which never carry identifiers) go to pino, and its Cognito call timings to
 * the latency histogram.
 */
export function createEngine(settings: EngineSettings): GatewayEngine {
  const list = Object.values(settings.profiles);
  const first = list[0];
  if (!first) throw new TypeError('createEngine: no client profile');
  const profiles = Object.fromEntries(
    list.map((profile) => [
      profile.name,
      {
        userPoolId: profile.userPoolId,
        clientId: profile.clientId,
        region: profile.region,
        onExistingUser: profile.onExistingUser,
        cognitoClient: settings.cognitoClientFor(profile.region),
        ...(profile.clientSecret !== undefined && { clientSecret: profile.clientSecret }),
        ...(profile.authSessionValiditySeconds !== undefined && {
          authSessionValiditySeconds: profile.authSessionValiditySeconds,
        }),
        ...(profile.signUpHandleTtlSeconds !== undefined && {
          signUpHandleTtlSeconds: profile.signUpHandleTtlSeconds,
        }),
        ...(profile.limits !== undefined && { limits: profile.limits }),
        webAuthnOrigins: profile.webAuthnOrigins,
      },
    ]),
  );
  const { logger, metrics } = settings;
  const onEvent = (entry: OtpLogEntry) => {
    if (
      (entry.event === 'cognito.call' || entry.event === 'cognito.error') &&
      entry.durationMs !== undefined
    ) {
      metrics.cognitoDuration.observe(
        { step: entry.cognitoStep ?? 'unknown', outcome: cognitoOutcome(entry) },
        entry.durationMs / 1000,
      );
    }
    // Most entries are debug (one per Cognito call): skip building the line when it would be dropped.
    // (A pino-like logger without isLevelEnabled, as some hosts and tests pass, gets every entry.)
    if (typeof logger.isLevelEnabled === 'function' && !logger.isLevelEnabled(entry.level)) return;
    const { level, event, ...fields } = entry;
    logger[level]({ source: 'engine', ...fields }, event);
  };
  return createOtpEngine({
    cognitoClient: settings.cognitoClientFor(first.region),
    profiles,
    store: settings.store,
    hmacSecret: settings.hmacSecret,
    logger: onEvent,
    ...(settings.cognitoTimeoutMs !== undefined && { cognitoTimeoutMs: settings.cognitoTimeoutMs }),
    ...(settings.clock !== undefined && { clock: settings.clock }),
  });
}
