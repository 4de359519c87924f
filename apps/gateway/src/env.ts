import { BlockList, isIP } from 'node:net';
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

/** A port number, or undefined when the variable is unset or empty (the caller's default applies). */
const optionalPort = optionalText.pipe(
  z.coerce.number<string | undefined>().int().min(0).max(65535).optional(),
);

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * What is wrong with one TRUST_PROXY entry (an IP address or a CIDR), or undefined when it is fine.
 * A `/0` range (or an IPv6 range holding every IPv4-mapped address) names every address: it would believe any client's X-Forwarded-For, which is `true` in
 * disguise, so a directly connected client could choose the IP its rate limits are counted under.
 */
export function trustEntryProblem(entry: string): string | undefined {
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return `"${entry}" is not an IP address or CIDR`;
  if (prefix === undefined) return undefined;
  const bits = family === 4 ? 32 : 128;
  if (!/^\d{1,3}$/.test(prefix) || Number(prefix) > bits) {
    return `the prefix of "${entry}" must be a number from 1 to ${bits}`;
  }
  if (Number(prefix) === 0 || (family === 6 && coversEveryIpv4(address, Number(prefix)))) {
    return `"${entry}" covers every address, so any client could choose its own IP through X-Forwarded-For: name the proxies in front of the gateway`;
  }
  return undefined;
}

/** True when an IPv6 range holds every IPv4-mapped address (`::ffff:0.0.0.0/96` or wider): all IPv4 clients. */
function coversEveryIpv4(address: string, prefix: number): boolean {
  const range = new BlockList();
  range.addSubnet(address, prefix, 'ipv6');
  return range.check('::ffff:0.0.0.0', 'ipv6') && range.check('::ffff:255.255.255.255', 'ipv6');
}

/**
 * TRUST_PROXY: exactly the proxies in front of the gateway, as a hop count ("1": one load balancer,
 * which every connection must pass) or a comma-separated list of their addresses and CIDRs. "true" and
 * `/0` ranges (believe anyone) are refused on purpose: any client could then choose the IP its rate
 * limits are counted under. A hop count or a range wider than the proxies has the same effect when
 * clients can also reach the gateway directly; the gateway cannot see that, docs/ARCHITECTURE.md
 * states the rule.
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
      const problem = trustEntryProblem(entry);
      if (problem !== undefined) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a hop count or comma-separated IPs/CIDRs of the proxies: ${problem}`,
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
  /** Local mode: the demo page's port. @default 4001 */
  DEMO_PORT: optionalPort,
  /** Local mode: the embedded Cognito emulator's port, which serves the dev mailbox. @default 4002 */
  EMULATOR_PORT: optionalPort,
  /** Interface to listen on. @default '0.0.0.0' */
  HOST: optionalText,
  /** Port of the metrics listener (`/metrics`), never the public one; 0 picks a free port. @default 9464 */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Interface of the metrics listener; widen it only on a private network. @default '127.0.0.1' */
  METRICS_HOST: optionalText,
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
  if (env.METRICS_PORT !== 0 && env.METRICS_PORT === env.PORT) {
    throw new GatewayConfigError(
      'METRICS_PORT',
      'must differ from PORT: metrics are never served on the public port',
    );
  }
  if (env.REDIS_URL && env.REDIS_CLUSTER_NODES) {
    throw new GatewayConfigError(
      'REDIS_CLUSTER_NODES',
      'set either REDIS_URL or REDIS_CLUSTER_NODES, not both',
    );
  }
  return env;
}
