import { randomBytes } from 'node:crypto';
import { CognitoError, invalidParameter, resourceNotFound } from '../errors.js';
import type {
  AppClient,
  FeaturePlan,
  FirstAuthFactor,
  MfaConfiguration,
  TokenUnit,
  UserPool,
} from '../state.js';
import { DEFAULT_BEHAVIOUR } from '../state.js';
import {
  CLIENT_ID,
  type Input,
  optionalArray,
  optionalBoolean,
  optionalEnum,
  optionalInteger,
  optionalObject,
  requiredString,
  USER_POOL_ID,
} from '../validate.js';
import { clientById, type OperationContext, poolById } from './context.js';
import { checkWebAuthnFactor } from './webauthn.js';

const FEATURE_PLANS = ['LITE', 'ESSENTIALS', 'PLUS'] as const;
const FIRST_FACTORS = ['PASSWORD', 'EMAIL_OTP', 'SMS_OTP', 'WEB_AUTHN'] as const;
const MFA = ['OFF', 'ON', 'OPTIONAL'] as const;
const AUTH_FLOWS = [
  'ADMIN_NO_SRP_AUTH',
  'CUSTOM_AUTH_FLOW_ONLY',
  'USER_PASSWORD_AUTH',
  'ALLOW_ADMIN_USER_PASSWORD_AUTH',
  'ALLOW_CUSTOM_AUTH',
  'ALLOW_USER_PASSWORD_AUTH',
  'ALLOW_USER_SRP_AUTH',
  'ALLOW_REFRESH_TOKEN_AUTH',
  'ALLOW_USER_AUTH',
] as const;
const UNITS = ['seconds', 'minutes', 'hours', 'days'] as const;
const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

function randomId(length: number, alphabet: string): string {
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

const seconds = (ms: number) => ms / 1000;

function stringList<T extends string>(input: Input, field: string, allowed: readonly T[]): T[] | undefined {
  const list = optionalArray(input, field);
  if (list === undefined) return undefined;
  return list.map((value, i) => {
    if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
      throw invalidParameter(
        `1 validation error detected: Value '${String(value)}' at '${field.charAt(0).toLowerCase()}${field.slice(1)}.${i + 1}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(', ')}]`,
      );
    }
    return value as T;
  });
}

export function createUserPool(input: Input, ctx: OperationContext): object {
  const { state } = ctx;
  const name = requiredString(input, 'PoolName', { max: 128, pattern: /^[\w\s+=,.@-]+$/ });
  const featurePlan: FeaturePlan = optionalEnum(input, 'UserPoolTier', FEATURE_PLANS) ?? 'ESSENTIALS';
  const mfaConfiguration: MfaConfiguration = optionalEnum(input, 'MfaConfiguration', MFA) ?? 'OFF';
  const policies = optionalObject(input, 'Policies') ?? {};
  const signInPolicy = optionalObject(policies, 'SignInPolicy') ?? {};
  const factors: FirstAuthFactor[] = stringList(signInPolicy, 'AllowedFirstAuthFactors', FIRST_FACTORS) ?? [
    'PASSWORD',
  ];
  checkWebAuthnFactor(factors, mfaConfiguration, undefined, 'pool');
  if (!factors.includes('PASSWORD')) {
    throw invalidParameter('AllowedFirstAuthFactors must include PASSWORD.');
  }
  if (factors.some((f) => f !== 'PASSWORD') && featurePlan === 'LITE') {
    throw new CognitoError(
      'FeatureUnavailableInTierException',
      'Choice-based sign-in factors other than PASSWORD require the ESSENTIALS or PLUS feature plan.',
    );
  }
  if (mfaConfiguration === 'ON' && factors.some((f) => f === 'EMAIL_OTP' || f === 'SMS_OTP')) {
    throw invalidParameter(
      'Passwordless first factors EMAIL_OTP and SMS_OTP cannot be used when MFA is required.',
    );
  }
  const usernameAttributes =
    stringList(input, 'UsernameAttributes', ['email', 'phone_number'] as const) ?? [];
  const autoVerifiedAttributes =
    stringList(input, 'AutoVerifiedAttributes', ['email', 'phone_number'] as const) ?? [];
  const usernameConfiguration = optionalObject(input, 'UsernameConfiguration');
  // The API's default is case-sensitive (UsernameConfigurationType: "true ... This is the default value").
  const caseSensitive =
    usernameConfiguration === undefined
      ? true
      : (optionalBoolean(usernameConfiguration, 'CaseSensitive') ?? true);
  const emailConfiguration = optionalObject(input, 'EmailConfiguration') ?? {};
  const emailSendingAccount =
    optionalEnum(emailConfiguration, 'EmailSendingAccount', ['COGNITO_DEFAULT', 'DEVELOPER'] as const) ??
    'COGNITO_DEFAULT';

  let id: string;
  do {
    id = `${state.region}_${randomId(9, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}`;
  } while (state.pools.has(id));
  const now = state.now();
  const pool: UserPool = {
    id,
    name,
    arn: `arn:aws:cognito-idp:${state.region}:000000000000:userpool/${id}`,
    region: state.region,
    featurePlan,
    mfaConfiguration,
    allowedFirstAuthFactors: factors,
    usernameCaseSensitive: caseSensitive,
    usernameAttributes,
    autoVerifiedAttributes,
    emailSendingAccount,
    dailyEmailQuota:
      emailSendingAccount === 'COGNITO_DEFAULT' ? state.defaultSenderDailyEmailQuota : undefined,
    emailsSent: { day: 0, count: 0 },
    behaviour: { ...DEFAULT_BEHAVIOUR, ...state.behaviour },
    createdAt: now,
    lastModifiedAt: now,
    users: new Map(),
    clients: new Map(),
  };
  state.pools.set(id, pool);
  ctx.tokens.createPoolKeys(pool);
  return { UserPool: describePool(pool) };
}

export function describePool(pool: UserPool): object {
  return {
    Id: pool.id,
    Name: pool.name,
    Arn: pool.arn,
    UserPoolTier: pool.featurePlan,
    Policies: { SignInPolicy: { AllowedFirstAuthFactors: [...pool.allowedFirstAuthFactors] } },
    MfaConfiguration: pool.mfaConfiguration,
    UsernameAttributes: pool.usernameAttributes.length > 0 ? [...pool.usernameAttributes] : undefined,
    AutoVerifiedAttributes:
      pool.autoVerifiedAttributes.length > 0 ? [...pool.autoVerifiedAttributes] : undefined,
    UsernameConfiguration: { CaseSensitive: pool.usernameCaseSensitive },
    EmailConfiguration: { EmailSendingAccount: pool.emailSendingAccount },
    EstimatedNumberOfUsers: pool.users.size,
    CreationDate: seconds(pool.createdAt),
    LastModifiedDate: seconds(pool.lastModifiedAt),
  };
}

export function describeUserPool(input: Input, ctx: OperationContext): object {
  const pool = poolById(ctx.state, requiredString(input, 'UserPoolId', USER_POOL_ID));
  return { UserPool: describePool(pool) };
}

const UNIT_SECONDS: Record<TokenUnit, number> = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };

/** A default validity, given in seconds, expressed in the unit the client chose. */
const inUnit = (defaultSeconds: number, unit: TokenUnit) =>
  Math.max(1, Math.round(defaultSeconds / UNIT_SECONDS[unit]));

function validity(
  input: Input,
  field: string,
  unit: TokenUnit,
  min: number,
  max: number,
): number | undefined {
  const value = optionalInteger(input, field, 1, Number.MAX_SAFE_INTEGER);
  if (value === undefined) return undefined;
  const inSeconds = value * UNIT_SECONDS[unit];
  if (inSeconds < min || inSeconds > max) {
    throw invalidParameter(`${field} must be between ${min} and ${max} seconds; got ${value} ${unit}.`);
  }
  return value;
}

export function createUserPoolClient(input: Input, ctx: OperationContext): object {
  const { state } = ctx;
  const pool = poolById(state, requiredString(input, 'UserPoolId', USER_POOL_ID));
  const clientName = requiredString(input, 'ClientName', { max: 128, pattern: /^[\w\s+=,.@-]+$/ });
  const explicitAuthFlows = stringList(input, 'ExplicitAuthFlows', AUTH_FLOWS) ?? [
    'ALLOW_REFRESH_TOKEN_AUTH',
    'ALLOW_USER_SRP_AUTH',
    'ALLOW_CUSTOM_AUTH',
  ];
  // Cognito refuses a mix of the legacy names and the ALLOW_ ones rather than guessing what was meant.
  const legacy = explicitAuthFlows.filter((flow) => !flow.startsWith('ALLOW_'));
  if (legacy.length > 0 && legacy.length < explicitAuthFlows.length) {
    throw invalidParameter(
      'ExplicitAuthFlows cannot mix legacy values (ADMIN_NO_SRP_AUTH, CUSTOM_AUTH_FLOW_ONLY, USER_PASSWORD_AUTH) with ALLOW_ values.',
    );
  }
  const authSessionValidity = optionalInteger(input, 'AuthSessionValidity', 3, 15) ?? 3;
  const preventUserExistenceErrors =
    optionalEnum(input, 'PreventUserExistenceErrors', ['ENABLED', 'LEGACY'] as const) ?? 'LEGACY';
  const enableTokenRevocation = optionalBoolean(input, 'EnableTokenRevocation') ?? true;
  const units = optionalObject(input, 'TokenValidityUnits') ?? {};
  const accessUnit = optionalEnum(units, 'AccessToken', UNITS) ?? 'hours';
  const idUnit = optionalEnum(units, 'IdToken', UNITS) ?? 'hours';
  const refreshUnit = optionalEnum(units, 'RefreshToken', UNITS) ?? 'days';
  const accessToken = validity(input, 'AccessTokenValidity', accessUnit, 300, 86400);
  const idToken = validity(input, 'IdTokenValidity', idUnit, 300, 86400);
  const refreshToken = validity(input, 'RefreshTokenValidity', refreshUnit, 3600, 10 * 365 * 86400);

  let clientId: string;
  do {
    clientId = randomId(26, ALNUM);
  } while (state.clientIndex.has(clientId));
  const now = state.now();
  const client: AppClient = {
    clientId,
    clientName,
    userPoolId: pool.id,
    clientSecret: optionalBoolean(input, 'GenerateSecret') ? randomId(51, ALNUM) : undefined,
    explicitAuthFlows,
    authSessionValidity,
    preventUserExistenceErrors,
    enableTokenRevocation,
    tokenValidity: {
      accessToken: accessToken ?? inUnit(3600, accessUnit),
      idToken: idToken ?? inUnit(3600, idUnit),
      refreshToken: refreshToken ?? inUnit(30 * 86400, refreshUnit),
      units: { AccessToken: accessUnit, IdToken: idUnit, RefreshToken: refreshUnit },
    },
    createdAt: now,
    lastModifiedAt: now,
  };
  pool.clients.set(clientId, client);
  state.clientIndex.set(clientId, pool.id);
  return { UserPoolClient: describeClient(client) };
}

export function describeClient(client: AppClient): object {
  return {
    UserPoolId: client.userPoolId,
    ClientName: client.clientName,
    ClientId: client.clientId,
    ClientSecret: client.clientSecret,
    ExplicitAuthFlows: [...client.explicitAuthFlows],
    AuthSessionValidity: client.authSessionValidity,
    PreventUserExistenceErrors: client.preventUserExistenceErrors,
    EnableTokenRevocation: client.enableTokenRevocation,
    AccessTokenValidity: client.tokenValidity.accessToken,
    IdTokenValidity: client.tokenValidity.idToken,
    RefreshTokenValidity: client.tokenValidity.refreshToken,
    TokenValidityUnits: { ...client.tokenValidity.units },
    CreationDate: seconds(client.createdAt),
    LastModifiedDate: seconds(client.lastModifiedAt),
  };
}

export function describeUserPoolClient(input: Input, ctx: OperationContext): object {
  const poolId = requiredString(input, 'UserPoolId', USER_POOL_ID);
  const clientId = requiredString(input, 'ClientId', CLIENT_ID);
  poolById(ctx.state, poolId);
  const { pool, client } = clientById(ctx.state, clientId);
  // A client of another pool is as unknown here as a client that does not exist.
  if (pool.id !== poolId) throw resourceNotFound(`User pool client ${clientId} does not exist.`);
  return { UserPoolClient: describeClient(client) };
}
