import type { OtpgateFrontend, OtpgateStackProps, TokenDelivery } from './otpgate-stack.js';

/** Stack props from CDK context (`-c key=value` or cdk.json `context`), less `env`. */
export type ContextProps = Omit<OtpgateStackProps, 'env'> & { stackName: string };

/** Thrown for a missing or malformed context value; names the key. */
export class ContextError extends Error {
  constructor(key: string, problem: string) {
    super(`context "${key}" ${problem}`);
    this.name = 'ContextError';
  }
}

/** `-c` values arrive as strings, cdk.json values as JSON: accept both. */
function json(key: string, value: unknown): unknown {
  if (typeof value !== 'string') return value;
  try {
    return JSON.parse(value);
  } catch {
    throw new ContextError(key, `is not valid JSON: ${value}`);
  }
}

function text(key: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '')
    throw new ContextError(key, 'must be a non-empty string');
  return value.trim();
}

function flag(key: string, value: unknown): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new ContextError(key, `must be true or false, got ${String(value)}`);
}

function frontends(value: unknown): OtpgateFrontend[] {
  if (value === undefined) {
    throw new ContextError('frontends', 'is required, e.g. -c \'frontends=[{"name":"web"},{"name":"app"}]\'');
  }
  const parsed = json('frontends', value);
  if (!Array.isArray(parsed)) throw new ContextError('frontends', 'must be a JSON array of {name, ...}');
  return parsed.map((entry, i) => {
    if (typeof entry === 'string') return { name: entry };
    if (typeof entry !== 'object' || entry === null || typeof entry.name !== 'string') {
      throw new ContextError('frontends', `entry ${i} needs a "name"`);
    }
    const { name, generateSecret, allowedOrigins, tokenDelivery, webAuthnOrigins, ...rest } = entry as Record<
      string,
      unknown
    >;
    const unknown = Object.keys(rest)[0];
    if (unknown !== undefined)
      throw new ContextError('frontends', `entry ${i} has an unknown key "${unknown}"`);
    if (
      allowedOrigins !== undefined &&
      !(Array.isArray(allowedOrigins) && allowedOrigins.every((o) => typeof o === 'string'))
    ) {
      throw new ContextError('frontends', `entry ${i}: allowedOrigins must be an array of strings`);
    }
    if (
      webAuthnOrigins !== undefined &&
      !(Array.isArray(webAuthnOrigins) && webAuthnOrigins.every((o) => typeof o === 'string'))
    ) {
      throw new ContextError('frontends', `entry ${i}: webAuthnOrigins must be an array of strings`);
    }
    return {
      name: name as string,
      ...(webAuthnOrigins !== undefined && { webAuthnOrigins: webAuthnOrigins as string[] }),
      ...(generateSecret !== undefined && { generateSecret: flag('frontends', generateSecret) ?? false }),
      ...(allowedOrigins !== undefined && { allowedOrigins: allowedOrigins as string[] }),
      ...(tokenDelivery !== undefined && { tokenDelivery: tokenDelivery as TokenDelivery }),
    };
  });
}

/**
 * Stack props from context. `get` is `app.node.tryGetContext`. Range checks are the stack's; this only
 * turns strings into the right types and names the key at fault.
 * @throws ContextError
 */
export function propsFromContext(get: (key: string) => unknown): ContextProps {
  const sesFromAddress = text('sesFromAddress', get('sesFromAddress'));
  if (sesFromAddress === undefined) {
    throw new ContextError('sesFromAddress', 'is required: the verified SES address codes are sent from');
  }
  const minutes = get('authSessionValidityMinutes');
  const relyingPartyId = text('passkeyRelyingPartyId', get('passkeyRelyingPartyId'));
  const userVerification = text('passkeyUserVerification', get('passkeyUserVerification'));
  if (userVerification !== undefined && relyingPartyId === undefined) {
    throw new ContextError(
      'passkeyUserVerification',
      'needs passkeyRelyingPartyId (which turns passkeys on)',
    );
  }
  const mfa = text('mfa', get('mfa'));
  const optional = {
    sesFromName: text('sesFromName', get('sesFromName')),
    sesVerifiedDomain: text('sesVerifiedDomain', get('sesVerifiedDomain')),
    sesRegion: text('sesRegion', get('sesRegion')),
    userPoolName: text('userPoolName', get('userPoolName')),
    enableSms: flag('enableSms', get('enableSms')),
    deletionProtection: flag('deletionProtection', get('deletionProtection')),
    authSessionValidityMinutes: minutes === undefined ? undefined : Number(minutes),
    mfa: mfa as OtpgateStackProps['mfa'],
    passkeys:
      relyingPartyId === undefined
        ? undefined
        : {
            relyingPartyId,
            ...(userVerification !== undefined && {
              userVerification: userVerification as 'required' | 'preferred',
            }),
          },
  };
  return {
    stackName: text('stackName', get('stackName')) ?? 'Otpgate',
    sesFromAddress,
    frontends: frontends(get('frontends')),
    // Only the keys that were given, so the stack's @defaults apply to the rest.
    ...Object.fromEntries(Object.entries(optional).filter(([, value]) => value !== undefined)),
  };
}
