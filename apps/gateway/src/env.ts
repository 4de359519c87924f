import { z } from 'zod';

/**
 * The only module that reads `process.env`. Everything else takes `Env` or options,
 * so tests build configurations without touching the process.
 */

/** Thrown for a bad environment variable or profiles file: `key` names the variable or key path. */
export class GatewayConfigError extends Error {
  constructor(
    readonly key: string,
    problem: string,
  ) {
    super(`Invalid configuration ${key}: ${problem}`);
    this.name = 'GatewayConfigError';
  }
}

const optionalText = z
  .string()
  .trim()
  .transform((value) => (value === '' ? undefined : value))
  .optional();

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * TRUST_PROXY: a hop count ("1": one load balancer in front) or a comma-separated list of addresses
 * and CIDRs whose X-Forwarded-For is believed. "true" (believe anyone) is refused on purpose: any client
 * could then choose the IP its rate limits are counted under.
 */
const trustProxy = z
  .string()
  .trim()
  .optional()
  .transform((value, ctx): number | string[] | undefined => {
    if (value === undefined || value === '') return undefined;
    if (/^\d+$/.test(value)) return Number(value);
    const entries = value.split(',').map((entry) => entry.trim());
    for (const entry of entries) {
      if (!/^[0-9a-fA-F:.]+(\/\d{1,3})?$/.test(entry)) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a hop count or comma-separated IPs/CIDRs, got "${entry}"`,
        });
        return z.NEVER;
      }
    }
    return entries;
  });

const redisClusterNodes = optionalText.transform((value, ctx) => {
  if (value === undefined) return undefined;
  const nodes = value.split(',').map((entry) => entry.trim());
  const parsed: Array<{ host: string; port: number }> = [];
  for (const node of nodes) {
    const match = /^(.+):(\d{1,5})$/.exec(node);
    const port = Number(match?.[2]);
    if (!match?.[1] || !(port > 0 && port < 65536)) {
      ctx.addIssue({ code: 'custom', message: `expected host:port, got "${node}"` });
      return z.NEVER;
    }
    parsed.push({ host: match[1].replace(/^\[(.*)\]$/, '$1'), port });
  }
  return parsed;
});

const envSchema = z.object({
  /** Gateway port. @default 4000 */
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  /** Interface to listen on. @default '0.0.0.0' */
  HOST: optionalText,
  /** Path of the profiles file (JSON) for several frontends. */
  OTPGATE_CONFIG: optionalText,
  COGNITO_REGION: optionalText,
  COGNITO_USER_POOL_ID: optionalText,
  COGNITO_CLIENT_ID: optionalText,
  COGNITO_CLIENT_SECRET: optionalText,
  /** Allowed browser origins of the single env-configured profile, comma-separated. @default none */
  OTPGATE_ALLOWED_ORIGINS: optionalText,
  /** Cognito endpoint override (the emulator). @default AWS */
  COGNITO_ENDPOINT: optionalText.pipe(z.url({ protocol: /^https?$/ }).optional()),
  /** Standalone Redis, e.g. redis://:password@host:6379/0 or rediss://… */
  REDIS_URL: optionalText.pipe(z.url({ protocol: /^rediss?$/ }).optional()),
  /** Redis Cluster seeds, comma-separated host:port. */
  REDIS_CLUSTER_NODES: redisClusterNodes,
  TRUST_PROXY: trustProxy,
  /**
   * Key of the HMAC that turns addresses into limiter keys. Every replica must use the same one or
   * limits split per replica; required outside local mode. At least 32 characters.
   */
  OTPGATE_HMAC_SECRET: optionalText.pipe(z.string().min(32, 'must be at least 32 characters').optional()),
  NODE_ENV: z.enum(['production', 'development', 'test']).default('development'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
});

export type Env = z.infer<typeof envSchema>;

/**
 * Validates an environment (default: `process.env`). Throws a GatewayConfigError naming the first bad
 * variable; never echoes a secret's value.
 */
export function readEnv(source: Record<string, string | undefined> = process.env): Env {
  const result = envSchema.safeParse(source);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = String(issue?.path[0] ?? 'environment');
    throw new GatewayConfigError(key, issue?.message ?? 'invalid');
  }
  const env = result.data;
  if (env.REDIS_URL && env.REDIS_CLUSTER_NODES) {
    throw new GatewayConfigError(
      'REDIS_CLUSTER_NODES',
      'set either REDIS_URL or REDIS_CLUSTER_NODES, not both',
    );
  }
  return env;
}
