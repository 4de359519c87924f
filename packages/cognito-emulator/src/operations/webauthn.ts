// Passkeys (WEB_AUTHN): the pool's WebAuthn settings (SetUserPoolMfaConfig / GetUserPoolMfaConfig)
// and the four token-authorised credential operations. Sign-in with a passkey lives with the other
// USER_AUTH challenges (passwordless.ts, respond-to-auth-challenge.ts). docs/passkeys.md describes the
// behaviour and the choices made where Cognito documents none.
import { randomBytes } from 'node:crypto';
import { CognitoError, invalidParameter, resourceNotFound } from '../errors.js';
import type { PoolUser, StoredPasskey, UserPool, WebAuthnConfiguration } from '../state.js';
import type { AccessTokenClaims } from '../token-service.js';
import {
  type Input,
  optionalEnum,
  optionalInteger,
  optionalObject,
  optionalString,
  requiredString,
  type StringRule,
  USER_POOL_ID,
} from '../validate.js';
import { SUPPORTED_ALGORITHMS, verifyRegistration, WebAuthnError } from '../webauthn/verify.js';
import type { OperationContext } from './context.js';
import { poolById } from './context.js';

/** Passkeys one user may hold [D]. */
export const MAX_PASSKEYS = 20;
/** CredentialCreationOptions.timeout in Cognito's documented sample, in milliseconds. */
const REGISTRATION_TIMEOUT_MS = 60_000;
const TOKEN = { pattern: /^[A-Za-z0-9\-_=.]+$/ } satisfies StringRule;
const MFA = ['OFF', 'ON', 'OPTIONAL'] as const;

/** The relying-party id passkeys of this pool are made for; undefined when none is configured. */
export const relyingPartyId = (pool: UserPool): string | undefined => pool.webAuthn?.relyingPartyId;

/** Whether the pool offers passkeys at all: WEB_AUTHN is a first factor and the tier is not Lite. */
export const webAuthnEnabled = (pool: UserPool): boolean =>
  pool.featurePlan !== 'LITE' && pool.allowedFirstAuthFactors.includes('WEB_AUTHN');

export const userVerificationOf = (pool: UserPool) => pool.webAuthn?.userVerification ?? 'preferred';

/** The user's passkeys made for the pool's current relying-party id (a changed id orphans the others). */
export function usablePasskeys(pool: UserPool, user: PoolUser): StoredPasskey[] {
  const rpId = relyingPartyId(pool);
  return rpId === undefined ? [] : (user.passkeys ?? []).filter((p) => p.relyingPartyId === rpId);
}

const notEnabled = () =>
  new CognitoError('WebAuthnNotEnabledException', 'The passkey feature is not enabled for this user pool.');

/**
 * Checks a pool's first factors and MFA setting together, as CreateUserPool and SetUserPoolMfaConfig
 * both need: WEB_AUTHN needs another factor beside it [D] and, with MFA required, the
 * MULTI_FACTOR_WITH_USER_VERIFICATION factor configuration [R: the messages real pools answered].
 */
export function checkWebAuthnFactor(
  factors: readonly string[],
  mfa: string,
  webAuthn: WebAuthnConfiguration | undefined,
  operation: 'pool' | 'mfa-config',
): void {
  if (!factors.includes('WEB_AUTHN')) return;
  if (factors.length < 2) {
    throw invalidParameter(
      'WEB_AUTHN must be accompanied by at least one other AllowedFirstAuthFactors option.',
    );
  }
  if (mfa === 'ON' && webAuthn?.factorConfiguration !== 'MULTI_FACTOR_WITH_USER_VERIFICATION') {
    throw invalidParameter(
      operation === 'pool'
        ? 'WEB_AUTHN cannot be used as an auth factor when MFA is enabled if not configured for MFA.'
        : 'Cannot set WebAuthn factor configuration to SINGLE_FACTOR if MFA is required and WebAuthn is an allowed first auth factor',
    );
  }
}

function describeWebAuthn(config: WebAuthnConfiguration): object {
  return {
    RelyingPartyId: config.relyingPartyId,
    UserVerification: config.userVerification,
    FactorConfiguration: config.factorConfiguration,
  };
}

function mfaConfigOut(pool: UserPool): object {
  return {
    MfaConfiguration: pool.mfaConfiguration,
    WebAuthnConfiguration: pool.webAuthn ? describeWebAuthn(pool.webAuthn) : undefined,
  };
}

/**
 * SetUserPoolMfaConfig {UserPoolId, MfaConfiguration?, WebAuthnConfiguration?}. MfaConfiguration
 * replaces the pool's, an omitted one meaning OFF, as Cognito treats the call as a full replace [R].
 * An omitted WebAuthnConfiguration leaves the pool's as it was [I]; a given one replaces it, with
 * UserVerification defaulting to `preferred` and FactorConfiguration to `SINGLE_FACTOR` [D]. SMS,
 * TOTP and email MFA settings are accepted and not stored (the emulator sends no MFA codes).
 * @throws ResourceNotFoundException, InvalidParameterException, FeatureUnavailableInTierException
 */
export function setUserPoolMfaConfig(input: Input, ctx: OperationContext): object {
  const pool = poolById(ctx.state, requiredString(input, 'UserPoolId', USER_POOL_ID));
  const mfa = optionalEnum(input, 'MfaConfiguration', MFA) ?? 'OFF';
  for (const field of ['SmsMfaConfiguration', 'SoftwareTokenMfaConfiguration', 'EmailMfaConfiguration']) {
    optionalObject(input, field);
  }
  const given = optionalObject(input, 'WebAuthnConfiguration');
  let webAuthn = pool.webAuthn;
  if (given !== undefined) {
    const factorConfiguration =
      optionalEnum(given, 'FactorConfiguration', [
        'SINGLE_FACTOR',
        'MULTI_FACTOR_WITH_USER_VERIFICATION',
      ] as const) ?? 'SINGLE_FACTOR';
    if (factorConfiguration !== 'SINGLE_FACTOR' && pool.featurePlan === 'LITE') {
      throw new CognitoError(
        'FeatureUnavailableInTierException',
        'Passkey MFA requires the ESSENTIALS or PLUS feature plan.',
      );
    }
    webAuthn = {
      relyingPartyId: optionalString(given, 'RelyingPartyId', { max: 127 }),
      userVerification:
        optionalEnum(given, 'UserVerification', ['required', 'preferred'] as const) ?? 'preferred',
      factorConfiguration,
    };
  }
  if (mfa === 'ON' && pool.allowedFirstAuthFactors.some((f) => f === 'EMAIL_OTP' || f === 'SMS_OTP')) {
    throw invalidParameter(
      'Passwordless first factors EMAIL_OTP and SMS_OTP cannot be used when MFA is required.',
    );
  }
  checkWebAuthnFactor(pool.allowedFirstAuthFactors, mfa, webAuthn, 'mfa-config');
  pool.mfaConfiguration = mfa;
  pool.webAuthn = webAuthn;
  pool.lastModifiedAt = ctx.state.now();
  return mfaConfigOut(pool);
}

/**
 * GetUserPoolMfaConfig {UserPoolId}: MfaConfiguration, and WebAuthnConfiguration once it was set.
 * @throws ResourceNotFoundException, InvalidParameterException
 */
export function getUserPoolMfaConfig(input: Input, ctx: OperationContext): object {
  return mfaConfigOut(poolById(ctx.state, requiredString(input, 'UserPoolId', USER_POOL_ID)));
}

/** The access token's user, for the four credential operations. */
function signedInUser(
  input: Input,
  ctx: OperationContext,
): { pool: UserPool; user: PoolUser; claims: AccessTokenClaims } {
  const { pool, user, claims } = ctx.tokens.verifyAccessToken(
    requiredString(input, 'AccessToken', TOKEN),
    ctx.baseUrl,
  );
  return { pool, user, claims };
}

const tooMany = () =>
  new CognitoError('LimitExceededException', `A user can register at most ${MAX_PASSKEYS} passkeys.`);

/**
 * StartWebAuthnRegistration {AccessToken}: CredentialCreationOptions (a JSON document) shaped like
 * Cognito's documented sample. The challenge is bound to the user and the token's app client, lives
 * `behaviour.webAuthnRegistrationSeconds`, and replaces any earlier one of the user [I].
 * @throws NotAuthorizedException, WebAuthnNotEnabledException, WebAuthnConfigurationMissingException,
 *   LimitExceededException (already 20 passkeys)
 */
export function startWebAuthnRegistration(input: Input, ctx: OperationContext): object {
  const { pool, user, claims } = signedInUser(input, ctx);
  if (!webAuthnEnabled(pool)) throw notEnabled();
  const rpId = relyingPartyId(pool);
  if (rpId === undefined) {
    throw new CognitoError(
      'WebAuthnConfigurationMissingException',
      'The user pool has no relying party id configured and no domain to take one from.',
    );
  }
  const passkeys = user.passkeys ?? [];
  if (passkeys.length >= MAX_PASSKEYS) throw tooMany();
  const challenge = randomBytes(16).toString('base64url');
  user.pendingRegistration = {
    challenge,
    clientId: claims.client_id,
    relyingPartyId: rpId,
    expiresAt: ctx.state.now() + pool.behaviour.webAuthnRegistrationSeconds * 1000,
  };
  return {
    CredentialCreationOptions: {
      authenticatorSelection: {
        requireResidentKey: true,
        residentKey: 'required',
        userVerification: userVerificationOf(pool),
      },
      challenge,
      excludeCredentials: passkeys.map((p) => ({ id: p.credentialId, type: 'public-key' })),
      pubKeyCredParams: SUPPORTED_ALGORITHMS.map((alg) => ({ alg, type: 'public-key' })),
      rp: { id: rpId, name: rpId },
      timeout: REGISTRATION_TIMEOUT_MS,
      user: {
        displayName: user.username,
        id: Buffer.from(user.sub).toString('base64url'),
        name: user.username,
      },
    },
  };
}

const friendlyName = (attachment: StoredPasskey['attachment']) =>
  attachment === 'platform'
    ? 'Platform passkey'
    : attachment === 'cross-platform'
      ? 'Roaming passkey'
      : 'Passkey';

/**
 * CompleteWebAuthnRegistration {AccessToken, Credential}: Credential is a RegistrationResponseJSON
 * object. The pending challenge is spent by any attempt that answers it, successful or not.
 * @throws NotAuthorizedException, WebAuthnNotEnabledException, WebAuthnChallengeNotFoundException,
 *   WebAuthnClientMismatchException, WebAuthnOriginNotAllowedException,
 *   WebAuthnRelyingPartyMismatchException, WebAuthnCredentialNotSupportedException,
 *   InvalidParameterException "Credential data is not valid", LimitExceededException
 */
export async function completeWebAuthnRegistration(input: Input, ctx: OperationContext): Promise<object> {
  const { pool, user, claims } = signedInUser(input, ctx);
  const credential: unknown = input.Credential;
  if (credential === undefined || credential === null) {
    throw invalidParameter(
      "1 validation error detected: Value at 'credential' failed to satisfy constraint: Member must not be null",
    );
  }
  if (!webAuthnEnabled(pool)) throw notEnabled();
  const pending = user.pendingRegistration;
  if (!pending || pending.expiresAt <= ctx.state.now()) {
    user.pendingRegistration = undefined;
    throw new CognitoError(
      'WebAuthnChallengeNotFoundException',
      'The challenge from StartWebAuthnRegistration was not found or has expired.',
    );
  }
  if (pending.clientId !== claims.client_id) {
    throw new CognitoError(
      'WebAuthnClientMismatchException',
      'The access token is for a different client than the one of the StartWebAuthnRegistration request.',
    );
  }
  let verified: Awaited<ReturnType<typeof verifyRegistration>>;
  try {
    verified = await verifyRegistration(credential, {
      challenge: pending.challenge,
      relyingPartyId: pending.relyingPartyId,
      userVerification: userVerificationOf(pool),
      extraOrigins: pool.behaviour.webAuthnExtraOrigins,
    });
  } catch (error) {
    // Anything but a different challenge spends the pending one: the caller must Start again.
    if (!(error instanceof WebAuthnError) || error.failure !== 'challenge')
      user.pendingRegistration = undefined;
    throw registrationError(error);
  }
  user.pendingRegistration = undefined;
  user.passkeys ??= [];
  const passkeys = user.passkeys;
  if (passkeys.length >= MAX_PASSKEYS) throw tooMany();
  for (const other of pool.users.values()) {
    if (other.passkeys?.some((p) => p.credentialId === verified.credentialId)) {
      throw invalidParameter('Credential data is not valid: this credential is already registered.');
    }
  }
  user.passkeySeq = (user.passkeySeq ?? 0) + 1;
  passkeys.push({
    ...verified,
    relyingPartyId: pending.relyingPartyId,
    friendlyName: friendlyName(verified.attachment),
    createdAt: ctx.state.now(),
    seq: user.passkeySeq,
  });
  return {};
}

function registrationError(error: unknown): Error {
  if (!(error instanceof WebAuthnError)) throw error;
  switch (error.failure) {
    case 'challenge':
      return new CognitoError('WebAuthnChallengeNotFoundException', error.message);
    case 'origin':
      return new CognitoError('WebAuthnOriginNotAllowedException', error.message);
    case 'relying-party':
      return new CognitoError('WebAuthnRelyingPartyMismatchException', error.message);
    case 'unsupported':
    case 'user-verification':
      return new CognitoError('WebAuthnCredentialNotSupportedException', error.message);
    default:
      return invalidParameter(
        error.message.startsWith('Credential data')
          ? error.message
          : `Credential data is not valid: ${error.message}`,
      );
  }
}

/** ListWebAuthnCredentials' opaque NextToken: the user and the last `seq` listed. */
function encodeNextToken(user: PoolUser, after: number): string {
  return Buffer.from(JSON.stringify({ s: user.sub, a: after })).toString('base64url');
}

function decodeNextToken(user: PoolUser, token: string): number {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      s?: unknown;
      a?: unknown;
    };
    if (parsed.s === user.sub && typeof parsed.a === 'number' && Number.isInteger(parsed.a)) return parsed.a;
  } catch {
    // falls through
  }
  throw invalidParameter('Invalid NextToken.');
}

/**
 * ListWebAuthnCredentials {AccessToken, NextToken?, MaxResults? 0-20}: the user's passkeys, oldest
 * first, MaxResults a page (absent or 0: 20, the most allowed) [I], CreatedAt in epoch seconds.
 * @throws NotAuthorizedException, InvalidParameterException (bad NextToken)
 */
export function listWebAuthnCredentials(input: Input, ctx: OperationContext): object {
  const { user } = signedInUser(input, ctx);
  const nextToken = optionalString(input, 'NextToken', { max: 131072, pattern: /^\S+$/ });
  const max = optionalInteger(input, 'MaxResults', 0, MAX_PASSKEYS) || MAX_PASSKEYS;
  const after = nextToken === undefined ? 0 : decodeNextToken(user, nextToken);
  const rest = (user.passkeys ?? []).filter((p) => p.seq > after);
  const page = rest.slice(0, max);
  const last = page.at(-1);
  return {
    Credentials: page.map((p) => ({
      CredentialId: p.credentialId,
      FriendlyCredentialName: p.friendlyName,
      RelyingPartyId: p.relyingPartyId,
      AuthenticatorAttachment: p.attachment,
      AuthenticatorTransports: [...p.transports],
      CreatedAt: p.createdAt / 1000,
    })),
    NextToken: rest.length > page.length && last ? encodeNextToken(user, last.seq) : undefined,
  };
}

/**
 * DeleteWebAuthnCredential {AccessToken, CredentialId}: removes one of the user's passkeys.
 * @throws NotAuthorizedException, ResourceNotFoundException (not a passkey of this user)
 */
export function deleteWebAuthnCredential(input: Input, ctx: OperationContext): object {
  const { user } = signedInUser(input, ctx);
  const id = requiredString(input, 'CredentialId', { min: 0, max: 131072 });
  const index = (user.passkeys ?? []).findIndex((p) => p.credentialId === id);
  if (index < 0) throw resourceNotFound('Credential not found.');
  user.passkeys?.splice(index, 1);
  return {};
}
