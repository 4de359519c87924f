import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { PasswordlessPool, PasswordlessPoolOptions } from './emulator.js';
import type { QuotaCategory } from './quotas.js';
import { DEFAULT_BEHAVIOUR, type EmulatorBehaviour, type FirstAuthFactor } from './state.js';

/** A bad command line or config file: the bin prints the message and exits with status 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CliOptions {
  /** @default DEFAULT_PORT (4002), or the PORT environment variable */
  port: number;
  /** @default '127.0.0.1' */
  host: string;
  /** @default 'us-east-1' */
  region: string;
  /** The pool to create at start; false with `--no-pool`. */
  pool: PasswordlessPoolOptions | false;
  /** Print the endpoint and ids as one JSON line on stdout (the human summary goes to stderr). */
  printJson: boolean;
  quotas: Partial<Record<QuotaCategory, number>>;
  behaviour: Partial<EmulatorBehaviour>;
  /** Daily email cap of the default Cognito sender; undefined: no cap. */
  emailQuota?: number;
  help: boolean;
}

/**
 * The emulator's usual port, beside otpgate's gateway (4000) and demo page (4001). Not 9229, which
 * earlier versions used: that is Node's inspector port, taken by any `node --inspect` on the machine.
 */
export const DEFAULT_PORT = 4002;

export const USAGE = `Usage: cognito-emulator [options]

A local Amazon Cognito user-pool API with passwordless sign-in, for the AWS SDK and CLI.

  --port <n>                 TCP port (default 4002, or $PORT; 0 picks a free one)
  --host <addr>              interface to listen on (default 127.0.0.1)
  --region <name>            region in pool ids (default us-east-1)
  --config <pool.json>       pool and client settings: {poolName, clientName, generateSecret,
                             authSessionValidity, preventUserExistenceErrors, allowedFirstAuthFactors,
                             webAuthn}
  --pool-name <name>         \\
  --client-name <name>        |
  --secret                    | override the config file; the default is a passwordless pool
  --session-validity <min>    | (EMAIL_OTP and SMS_OTP, ALLOW_USER_AUTH, 3-minute sessions,
  --prevent-user-existence-errors ENABLED|LEGACY  | PreventUserExistenceErrors ENABLED)
  --factors <A,B,...>        /  first factors, e.g. PASSWORD,EMAIL_OTP
  --passkey-rp-id <id>       turn passkeys on: WEB_AUTHN joins the factors, with this relying-party
                             id (e.g. localhost); config file: webAuthn {relyingPartyId, userVerification}
  --passkey-user-verification required|preferred   (default preferred)
  --no-pool                  start with no pool at all
  --quota <Category=n>       requests per second, e.g. UserAuthentication=120 (repeatable)
  --behaviour <key=value>    an undocumented-Cognito choice, e.g. wrongCodesPerSession=5 (repeatable)
  --email-quota <n>          emails a day per pool on the default sender (default: no cap)
  --print-json               print {endpoint, region, userPoolId, clientId, ...} as JSON on stdout
  -h, --help                 this text
`;

// A record rather than a list so the compiler notices a category added to quotas.ts.
const QUOTA_CATEGORIES: Record<QuotaCategory, true> = {
  UserAuthentication: true,
  UserCreation: true,
  UserAccountRecovery: true,
  UserRead: true,
  UserToken: true,
  UserUpdate: true,
  UserList: true,
  UserPoolRead: true,
  UserPoolUpdate: true,
  UserPoolCreate: true,
};
const FACTORS: readonly FirstAuthFactor[] = ['PASSWORD', 'EMAIL_OTP', 'SMS_OTP', 'WEB_AUTHN'];
const CONFIG_KEYS = [
  'poolName',
  'clientName',
  'generateSecret',
  'authSessionValidity',
  'preventUserExistenceErrors',
  'allowedFirstAuthFactors',
  'webAuthn',
] as const;

function userVerification(value: unknown, where: string): 'required' | 'preferred' {
  if (value === 'required' || value === 'preferred') return value;
  throw new UsageError(`${where} must be required or preferred, got ${JSON.stringify(value)}.`);
}

/** A relying-party id: a host name, no scheme or port. */
function relyingPartyId(value: unknown, where: string): string {
  if (typeof value !== 'string' || !/^[a-z0-9.-]{1,127}$/i.test(value)) {
    throw new UsageError(
      `${where} must be a host name like localhost or shop.example, got ${JSON.stringify(value)}.`,
    );
  }
  return value;
}

function integer(text: string, what: string, min: number, max: number): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${what} must be an integer from ${min} to ${max}, got "${text}".`);
  }
  return value;
}

function keyValue(text: string, flag: string): [string, string] {
  const at = text.indexOf('=');
  if (at <= 0) throw new UsageError(`${flag} takes key=value, got "${text}".`);
  return [text.slice(0, at), text.slice(at + 1)];
}

function sessionValidity(value: unknown, where: string): number {
  if (typeof value === 'number') return integer(String(value), where, 3, 15);
  if (typeof value === 'string') return integer(value, where, 3, 15);
  throw new UsageError(`${where} must be a number of minutes from 3 to 15.`);
}

function preventErrors(value: unknown, where: string): 'ENABLED' | 'LEGACY' {
  if (value === 'ENABLED' || value === 'LEGACY') return value;
  throw new UsageError(`${where} must be ENABLED or LEGACY, got ${JSON.stringify(value)}.`);
}

function factors(value: unknown, where: string): FirstAuthFactor[] {
  const list = typeof value === 'string' ? value.split(',').map((f) => f.trim()) : value;
  if (!Array.isArray(list) || list.length === 0) throw new UsageError(`${where} must list first factors.`);
  for (const factor of list) {
    if (!FACTORS.includes(factor as FirstAuthFactor)) {
      throw new UsageError(`${where}: unknown factor ${JSON.stringify(factor)}; use ${FACTORS.join(', ')}.`);
    }
  }
  return list as FirstAuthFactor[];
}

function nonEmptyString(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`${where} must be a non-empty string.`);
  return value;
}

/** Reads and checks the `--config` file; unknown keys are refused so a typo does not pass silently. */
export function readPoolConfig(path: string, read: (path: string) => string): PasswordlessPoolOptions {
  let parsed: unknown;
  try {
    parsed = JSON.parse(read(path));
  } catch (error) {
    throw new UsageError(`--config ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`--config ${path}: expected a JSON object.`);
  }
  const config = parsed as Record<string, unknown>;
  const unknown = Object.keys(config).filter((key) => !(CONFIG_KEYS as readonly string[]).includes(key));
  if (unknown.length > 0) {
    throw new UsageError(
      `--config ${path}: unknown key(s) ${unknown.join(', ')}; known: ${CONFIG_KEYS.join(', ')}.`,
    );
  }
  const where = (key: string) => `--config ${path}: ${key}`;
  const pool: PasswordlessPoolOptions = {};
  if (config.poolName !== undefined) pool.poolName = nonEmptyString(config.poolName, where('poolName'));
  if (config.clientName !== undefined)
    pool.clientName = nonEmptyString(config.clientName, where('clientName'));
  if (config.generateSecret !== undefined) {
    if (typeof config.generateSecret !== 'boolean')
      throw new UsageError(`${where('generateSecret')} must be a boolean.`);
    pool.generateSecret = config.generateSecret;
  }
  if (config.authSessionValidity !== undefined) {
    pool.authSessionValidity = sessionValidity(config.authSessionValidity, where('authSessionValidity'));
  }
  if (config.preventUserExistenceErrors !== undefined) {
    pool.preventUserExistenceErrors = preventErrors(
      config.preventUserExistenceErrors,
      where('preventUserExistenceErrors'),
    );
  }
  if (config.allowedFirstAuthFactors !== undefined) {
    pool.allowedFirstAuthFactors = factors(config.allowedFirstAuthFactors, where('allowedFirstAuthFactors'));
  }
  if (config.webAuthn !== undefined) {
    const webAuthn = config.webAuthn as Record<string, unknown> | null;
    if (typeof webAuthn !== 'object' || webAuthn === null)
      throw new UsageError(`${where('webAuthn')} must be an object.`);
    pool.webAuthn = {
      relyingPartyId: relyingPartyId(webAuthn.relyingPartyId, where('webAuthn.relyingPartyId')),
      ...(webAuthn.userVerification !== undefined && {
        userVerification: userVerification(webAuthn.userVerification, where('webAuthn.userVerification')),
      }),
    };
  }
  return pool;
}

/** One `--behaviour key=value`, typed after the default it replaces. */
function behaviourEntry(text: string): Partial<EmulatorBehaviour> {
  const [key, raw] = keyValue(text, '--behaviour');
  if (!Object.hasOwn(DEFAULT_BEHAVIOUR, key)) {
    throw new UsageError(
      `--behaviour: unknown key ${key}; known: ${Object.keys(DEFAULT_BEHAVIOUR).join(', ')}.`,
    );
  }
  const name = key as keyof EmulatorBehaviour;
  const current = DEFAULT_BEHAVIOUR[name];
  if (Array.isArray(current))
    return {
      [name]: raw
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean),
    };
  if (typeof current === 'number') return { [name]: integer(raw, `--behaviour ${key}`, 0, 10 * 365 * 86400) };
  if (typeof current === 'boolean') {
    if (raw !== 'true' && raw !== 'false') throw new UsageError(`--behaviour ${key} must be true or false.`);
    return { [name]: raw === 'true' };
  }
  const allowed = STRING_BEHAVIOURS[name as keyof typeof STRING_BEHAVIOURS] ?? [];
  if (!allowed.includes(raw))
    throw new UsageError(`--behaviour ${key} must be one of ${allowed.join(', ')}.`);
  return { [name]: raw };
}

/** The values each string-valued behaviour takes (the numeric and boolean ones are typed by their default). */
const STRING_BEHAVIOURS: Partial<Record<keyof EmulatorBehaviour, readonly string[]>> = {
  mfaRestriction: ['error', 'select-challenge'],
  autoSignInWindowFrom: ['sign-up', 'confirmation'],
};

/**
 * The command line and environment as options. Flags override the config file, which overrides the
 * defaults. Throws UsageError naming the bad value.
 */
export function parseCliArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
  read: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): CliOptions {
  let values: ReturnType<typeof parse>['values'];
  // `pnpm start -- --print-json` and `npm start -- ...` hand the separator on: a leading `--` only ends
  // the runner's options, not ours.
  const args = argv[0] === '--' ? argv.slice(1) : argv;
  try {
    values = parse(args).values;
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }

  const portText = values.port ?? env.PORT;
  const port =
    portText === undefined || portText === '' ? DEFAULT_PORT : integer(portText, '--port', 0, 65535);

  let pool: PasswordlessPoolOptions | false =
    values.config === undefined ? {} : readPoolConfig(values.config, read);
  if (values['pool-name'] !== undefined) pool.poolName = nonEmptyString(values['pool-name'], '--pool-name');
  if (values['client-name'] !== undefined)
    pool.clientName = nonEmptyString(values['client-name'], '--client-name');
  if (values.secret) pool.generateSecret = true;
  if (values['session-validity'] !== undefined) {
    pool.authSessionValidity = sessionValidity(values['session-validity'], '--session-validity');
  }
  if (values['prevent-user-existence-errors'] !== undefined) {
    pool.preventUserExistenceErrors = preventErrors(
      values['prevent-user-existence-errors'],
      '--prevent-user-existence-errors',
    );
  }
  if (values.factors !== undefined) pool.allowedFirstAuthFactors = factors(values.factors, '--factors');
  if (values['passkey-rp-id'] !== undefined) {
    pool.webAuthn = { relyingPartyId: relyingPartyId(values['passkey-rp-id'], '--passkey-rp-id') };
  }
  if (values['passkey-user-verification'] !== undefined) {
    if (!pool.webAuthn) throw new UsageError('--passkey-user-verification needs --passkey-rp-id.');
    pool.webAuthn = {
      ...pool.webAuthn,
      userVerification: userVerification(values['passkey-user-verification'], '--passkey-user-verification'),
    };
  }
  if (values['no-pool']) {
    if (values.config !== undefined || Object.keys(pool).length > 0) {
      throw new UsageError('--no-pool cannot be combined with --config or pool settings.');
    }
    pool = false;
  }

  const quotas: Partial<Record<QuotaCategory, number>> = {};
  for (const entry of values.quota ?? []) {
    const [category, raw] = keyValue(entry, '--quota');
    if (!Object.hasOwn(QUOTA_CATEGORIES, category)) {
      throw new UsageError(
        `--quota: unknown category ${category}; known: ${Object.keys(QUOTA_CATEGORIES).join(', ')}.`,
      );
    }
    quotas[category as QuotaCategory] = integer(raw, `--quota ${category}`, 1, 1_000_000);
  }
  let behaviour: Partial<EmulatorBehaviour> = {};
  for (const entry of values.behaviour ?? []) behaviour = { ...behaviour, ...behaviourEntry(entry) };

  return {
    port,
    host: values.host === undefined ? '127.0.0.1' : nonEmptyString(values.host, '--host'),
    region: values.region === undefined ? 'us-east-1' : region(values.region),
    pool,
    printJson: values['print-json'] ?? false,
    quotas,
    behaviour,
    emailQuota:
      values['email-quota'] === undefined
        ? undefined
        : integer(values['email-quota'], '--email-quota', 0, 1_000_000),
    help: values.help ?? false,
  };
}

function region(text: string): string {
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(text))
    throw new UsageError(`--region: "${text}" is not a region name.`);
  return text;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      region: { type: 'string' },
      config: { type: 'string' },
      'pool-name': { type: 'string' },
      'client-name': { type: 'string' },
      secret: { type: 'boolean' },
      'session-validity': { type: 'string' },
      'prevent-user-existence-errors': { type: 'string' },
      factors: { type: 'string' },
      'passkey-rp-id': { type: 'string' },
      'passkey-user-verification': { type: 'string' },
      'no-pool': { type: 'boolean' },
      quota: { type: 'string', multiple: true },
      behaviour: { type: 'string', multiple: true },
      'email-quota': { type: 'string' },
      'print-json': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

export interface StartedSummary {
  endpoint: string;
  region: string;
  mailbox: string;
  userPoolId?: string;
  clientId?: string;
  clientSecret?: string;
}

export function summary(
  endpoint: string,
  region: string,
  pool: PasswordlessPool | undefined,
): StartedSummary {
  return {
    endpoint,
    region,
    mailbox: `${endpoint}/_dev/mailbox`,
    userPoolId: pool?.userPoolId,
    clientId: pool?.clientId,
    clientSecret: pool?.clientSecret,
  };
}

/** The human-readable banner, with a first AWS CLI command to paste. */
export function banner(s: StartedSummary): string {
  const lines = [`cognito-emulator listening on ${s.endpoint}`, `  region      ${s.region}`];
  if (s.userPoolId) lines.push(`  pool id     ${s.userPoolId}`);
  if (s.clientId) lines.push(`  client id   ${s.clientId}`);
  if (s.clientSecret) lines.push(`  secret      ${s.clientSecret}  (SECRET_HASH required)`);
  lines.push(`  mailbox     ${s.mailbox}`);
  if (s.clientId) {
    lines.push(
      '',
      'Try (any dummy credentials will do):',
      `  AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local aws cognito-idp sign-up --endpoint-url ${s.endpoint} --region ${s.region} \\`,
      `    --client-id ${s.clientId} --username you@example.com --user-attributes Name=email,Value=you@example.com${s.clientSecret ? ' --secret-hash <hash>' : ''}`,
    );
  } else {
    lines.push(
      '',
      'No pool created (--no-pool): create one with aws cognito-idp create-user-pool --endpoint-url ...',
    );
  }
  return `${lines.join('\n')}\n`;
}
