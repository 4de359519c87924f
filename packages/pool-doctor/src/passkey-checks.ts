import type {
  GetUserPoolMfaConfigResponse,
  SetUserPoolMfaConfigRequest,
  WebAuthnConfigurationType,
} from '@aws-sdk/client-cognito-identity-provider';
import { CONSOLE, pass, problem } from './check-builders.js';
import { shellQuote, updateUserPoolCommand } from './commands.js';
import type { DescribedPool } from './pool-checks.js';
import type { Check } from './types.js';

/** A profile's WebAuthn origins, named by the profile, for the checks of its pool. */
export interface ProfileOrigins {
  profile: string;
  origins: readonly string[];
}

/** Whether the pool's passkey settings need checking: it offers WEB_AUTHN, or a profile names origins. */
export function passkeysInPlay(pool: DescribedPool, profiles: readonly ProfileOrigins[]): boolean {
  const factors = pool.Policies?.SignInPolicy?.AllowedFirstAuthFactors ?? [];
  return factors.includes('WEB_AUTHN') || profiles.some((p) => p.origins.length > 0);
}

/**
 * `aws cognito-idp set-user-pool-mfa-config` with the pool's current MFA settings and `webAuthn` on
 * top. SetUserPoolMfaConfig replaces the whole MFA configuration (an omitted MfaConfiguration means
 * OFF), so the command carries the current SMS, TOTP and email settings over.
 */
export function setMfaConfigCommand(
  userPoolId: string,
  region: string,
  current: GetUserPoolMfaConfigResponse,
  webAuthn: WebAuthnConfigurationType,
): string {
  const input: SetUserPoolMfaConfigRequest = {
    UserPoolId: userPoolId,
    ...(current.SmsMfaConfiguration && { SmsMfaConfiguration: current.SmsMfaConfiguration }),
    ...(current.SoftwareTokenMfaConfiguration && {
      SoftwareTokenMfaConfiguration: current.SoftwareTokenMfaConfiguration,
    }),
    ...(current.EmailMfaConfiguration && { EmailMfaConfiguration: current.EmailMfaConfiguration }),
    MfaConfiguration: current.MfaConfiguration ?? 'OFF',
    WebAuthnConfiguration: { ...current.WebAuthnConfiguration, ...webAuthn },
  };
  return `aws cognito-idp set-user-pool-mfa-config --region ${region} --cli-input-json ${shellQuote(JSON.stringify(input))}`;
}

/** The host of an origin the browser would send, or undefined for one that is not http(s). */
function hostOf(origin: string): { host: string; secure: boolean } | undefined {
  try {
    const url = new URL(origin);
    if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
    return { host: url.hostname.toLowerCase(), secure: url.protocol === 'https:' };
  } catch {
    return undefined;
  }
}

/**
 * Why a browser on `origin` cannot use passkeys for `rpId`, or undefined when it can. The relying-party
 * id must be the origin's host or a registrable suffix of it (shop.example serves www.shop.example),
 * and the page must be https, or http on localhost.
 */
export function originProblem(origin: string, rpId: string): string | undefined {
  const parsed = hostOf(origin);
  if (!parsed) return 'not an http(s) origin';
  const id = rpId.toLowerCase();
  if (parsed.host !== id && !parsed.host.endsWith(`.${id}`))
    return `its host is not ${id} or a subdomain of it`;
  if (!parsed.secure && parsed.host !== 'localhost')
    return 'browsers allow passkeys only on https (or localhost)';
  return undefined;
}

/** The longest domain every origin's host ends with (whole labels), as a relying-party id to suggest. */
export function suggestRelyingPartyId(origins: readonly string[]): string | undefined {
  const hosts = origins.map((o) => hostOf(o)?.host).filter((h): h is string => h !== undefined);
  const [first, ...rest] = hosts.map((h) => h.split('.').reverse());
  if (!first) return undefined;
  let shared = first;
  for (const labels of rest) {
    let n = 0;
    while (n < shared.length && n < labels.length && shared[n] === labels[n]) n += 1;
    shared = shared.slice(0, n);
  }
  const id = [...shared].reverse().join('.');
  // One label is a top-level domain (a public suffix) unless it is localhost.
  return shared.length >= 2 || id === 'localhost' ? id : undefined;
}

/**
 * The passkey checks of a pool: WEB_AUTHN offered beside another factor on a tier that has it, a
 * relying-party id that every profile's WebAuthn origins belong to, and user verification required.
 */
export function passkeyChecks(
  pool: DescribedPool,
  region: string,
  mfaConfig: GetUserPoolMfaConfigResponse,
  profiles: readonly ProfileOrigins[],
): Check[] {
  const id = pool.Id;
  const checks: Check[] = [];
  const factors = pool.Policies?.SignInPolicy?.AllowedFirstAuthFactors ?? ['PASSWORD'];
  const tierOk = pool.UserPoolTier === 'ESSENTIALS' || pool.UserPoolTier === 'PLUS';
  const signInConsole = `${CONSOLE} ${id} > Authentication > Sign-in > Options for choice-based sign-in > Edit > Available choices: Passkey`;

  if (factors.includes('WEB_AUTHN') && factors.length > 1 && tierOk) {
    checks.push(
      pass(
        'pool.passkey-factor',
        `Sign-in choices include WEB_AUTHN beside ${factors.filter((f) => f !== 'WEB_AUTHN').join(', ')}.`,
      ),
    );
  } else {
    const withPasskey = factors.includes('WEB_AUTHN') ? factors : [...factors, 'WEB_AUTHN' as const];
    const withOther = withPasskey.length > 1 ? withPasskey : ['PASSWORD' as const, ...withPasskey];
    const reason = !tierOk
      ? `the feature plan is ${pool.UserPoolTier ?? 'unknown'}, and passkeys need ESSENTIALS or PLUS`
      : !factors.includes('WEB_AUTHN')
        ? `choice-based sign-in does not offer WEB_AUTHN (first factors: ${factors.join(', ')})`
        : 'WEB_AUTHN is the only first factor, and Cognito requires another one beside it';
    checks.push(
      problem('pool.passkey-factor', 'fail', `Passkey sign-in is off: ${reason}.`, {
        console: tierOk
          ? signInConsole
          : `${CONSOLE} ${id} > Settings > Feature plans > Essentials; then ${signInConsole}`,
        cli: updateUserPoolCommand(pool, region, {
          ...(!tierOk && { UserPoolTier: 'ESSENTIALS' }),
          Policies: { ...pool.Policies, SignInPolicy: { AllowedFirstAuthFactors: withOther } },
        }),
      }),
    );
  }

  const webAuthn = mfaConfig.WebAuthnConfiguration;
  const rpId = webAuthn?.RelyingPartyId;
  const origins = profiles.flatMap((p) => p.origins.map((origin) => ({ profile: p.profile, origin })));
  const passkeyConsole = `${CONSOLE} ${id} > Authentication > Authentication methods > Passkey > Edit`;
  const suggested = suggestRelyingPartyId(origins.map((o) => o.origin)) ?? 'YOUR_SITE_DOMAIN';
  if (!rpId) {
    checks.push(
      problem(
        'pool.passkey-relying-party',
        'fail',
        'No relying-party id is set: Cognito would use the pool domain, where the gateway’s pages are not, so browsers refuse the passkeys.',
        {
          console: `${passkeyConsole} > Third-party domain: ${suggested}.`,
          cli: setMfaConfigCommand(id, region, mfaConfig, { RelyingPartyId: suggested }),
        },
      ),
    );
  } else {
    const wrong = origins
      .map((o) => ({ ...o, why: originProblem(o.origin, rpId) }))
      .filter((o) => o.why !== undefined);
    if (origins.length === 0) {
      checks.push(
        problem(
          'pool.passkey-relying-party',
          'warn',
          `Relying-party id is ${rpId}, but no profile names WebAuthn origins, so none could be checked against it.`,
          {
            console:
              'Name the pages that offer passkeys in each profile’s webAuthnOrigins (the gateway profiles file).',
          },
        ),
      );
    } else if (wrong.length === 0) {
      checks.push(
        pass(
          'pool.passkey-relying-party',
          `Relying-party id ${rpId} covers every profile's WebAuthn origins (${origins.map((o) => o.origin).join(', ')}).`,
        ),
      );
    } else {
      const list = wrong.map((o) => `${o.origin} (profile ${o.profile}: ${o.why})`).join('; ');
      const fixable =
        suggested !== 'YOUR_SITE_DOMAIN' && origins.every((o) => !originProblem(o.origin, suggested));
      checks.push(
        problem(
          'pool.passkey-relying-party',
          'fail',
          `Relying-party id ${rpId} does not cover these WebAuthn origins: ${list}. Changing the id makes users register their passkeys again.`,
          {
            console: fixable
              ? `${passkeyConsole} > Third-party domain: ${suggested}.`
              : `Serve the passkey pages under ${rpId} (or a subdomain of it, over https), or change the profiles' webAuthnOrigins.`,
            ...(fixable && {
              cli: setMfaConfigCommand(id, region, mfaConfig, { RelyingPartyId: suggested }),
            }),
          },
        ),
      );
    }
  }

  const verification = webAuthn?.UserVerification ?? 'preferred';
  if (verification === 'required') {
    checks.push(
      pass('pool.passkey-user-verification', 'Passkeys require user verification (PIN or biometrics).'),
    );
  } else {
    checks.push(
      problem(
        'pool.passkey-user-verification',
        'warn',
        'User verification is preferred, not required: a security key without a PIN signs in on possession alone.',
        {
          console: `${passkeyConsole} > User verification: Required.`,
          cli: setMfaConfigCommand(id, region, mfaConfig, {
            ...(rpId === undefined ? { RelyingPartyId: suggested } : {}),
            UserVerification: 'required',
          }),
        },
      ),
    );
  }
  return checks;
}
