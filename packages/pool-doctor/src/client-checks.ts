import type { ExplicitAuthFlowsType, UserPoolClientType } from '@aws-sdk/client-cognito-identity-provider';
import { CONSOLE, pass, problem } from './check-builders.js';
import { readSecretCommand, updateUserPoolClientCommand } from './commands.js';
import type { Check, ProfileToCheck } from './types.js';

/** The engine's sign-in handle life when a profile does not set one (@otpgate/cognito-otp options.ts). */
const ENGINE_DEFAULT_SESSION_SECONDS = 180;
/** What the fixes set AuthSessionValidity to when it sits at Cognito's 3-minute minimum. */
const SUGGESTED_SESSION_MINUTES = 5;

export type DescribedClient = UserPoolClientType & { UserPoolId: string; ClientId: string };

/** The legacy flow names Cognito refuses to mix with the ALLOW_ ones. */
const LEGACY_FLOWS: Partial<Record<ExplicitAuthFlowsType, ExplicitAuthFlowsType>> = {
  ADMIN_NO_SRP_AUTH: 'ALLOW_ADMIN_USER_PASSWORD_AUTH',
  USER_PASSWORD_AUTH: 'ALLOW_USER_PASSWORD_AUTH',
  CUSTOM_AUTH_FLOW_ONLY: 'ALLOW_CUSTOM_AUTH',
};

function fixedFlows(current: readonly ExplicitAuthFlowsType[]): ExplicitAuthFlowsType[] {
  const flows = new Set<ExplicitAuthFlowsType>(current.map((flow) => LEGACY_FLOWS[flow] ?? flow));
  flows.add('ALLOW_USER_AUTH');
  flows.add('ALLOW_REFRESH_TOKEN_AUTH');
  return [...flows];
}

/** The checks of one described app client, seen from one profile (its secret, its handle life). */
export function clientChecks(client: DescribedClient, profile: ProfileToCheck, region: string): Check[] {
  const { UserPoolId: poolId, ClientId: clientId } = client;
  const appClient = `${CONSOLE} ${poolId} > Applications > App clients > ${client.ClientName ?? clientId}`;
  const editInfo = `${appClient} > App client information > Edit`;
  const flows = client.ExplicitAuthFlows ?? [];
  const required = {
    ExplicitAuthFlows: fixedFlows(flows),
    PreventUserExistenceErrors: 'ENABLED',
    EnableTokenRevocation: true,
  } as const;
  const fixAll = updateUserPoolClientCommand(client, region, required);
  const checks: Check[] = [];

  for (const [id, flow, why] of [
    [
      'client.user-auth',
      'ALLOW_USER_AUTH',
      'choice-based sign-in (USER_AUTH) is refused, so no code is ever sent',
    ],
    [
      'client.refresh-token-auth',
      'ALLOW_REFRESH_TOKEN_AUTH',
      'tokens cannot be refreshed, so users are signed out when the access token expires',
    ],
  ] as const) {
    if (flows.includes(flow)) {
      checks.push(pass(id, `Authentication flows include ${flow}.`));
    } else {
      checks.push(
        problem(id, 'fail', `Authentication flows lack ${flow}: ${why}.`, {
          console: `${editInfo} > Authentication flows: ${flow === 'ALLOW_USER_AUTH' ? 'Choice-based sign-in: ALLOW_USER_AUTH' : 'Get new user tokens from existing authenticated sessions: ALLOW_REFRESH_TOKEN_AUTH'}.`,
          cli: fixAll,
        }),
      );
    }
  }

  if (client.PreventUserExistenceErrors === 'ENABLED') {
    checks.push(pass('client.user-existence-errors', 'PreventUserExistenceErrors is ENABLED.'));
  } else {
    checks.push(
      problem(
        'client.user-existence-errors',
        'fail',
        `PreventUserExistenceErrors is ${client.PreventUserExistenceErrors ?? 'LEGACY'}: Cognito answers UserNotFoundException, telling anyone which addresses have accounts.`,
        {
          console: `${editInfo} > Advanced security configurations > Prevent user existence errors: on.`,
          cli: fixAll,
        },
      ),
    );
  }

  if (client.EnableTokenRevocation === true) {
    checks.push(pass('client.token-revocation', 'Token revocation is on.'));
  } else {
    checks.push(
      problem(
        'client.token-revocation',
        'fail',
        'Token revocation is off: signOut cannot revoke refresh tokens, which stay valid until they expire.',
        {
          console: `${editInfo} > Advanced security configurations > Enable token revocation: on.`,
          cli: fixAll,
        },
      ),
    );
  }

  // Cognito's default when the field is absent.
  const minutes = client.AuthSessionValidity ?? 3;
  if (minutes <= 3) {
    checks.push(
      problem(
        'client.auth-session-validity',
        'warn',
        'AuthSessionValidity is 3 minutes, the minimum: users whose email arrives late lose their code.',
        {
          console: `${editInfo} > Authentication flow session duration: ${SUGGESTED_SESSION_MINUTES} minutes or more (up to 15); then set the profile's "authSessionValiditySeconds" to match.`,
          cli: updateUserPoolClientCommand(client, region, {
            ...required,
            AuthSessionValidity: SUGGESTED_SESSION_MINUTES,
          }),
        },
      ),
    );
  } else {
    checks.push(pass('client.auth-session-validity', `AuthSessionValidity is ${minutes} minutes.`));
  }

  const profileSeconds = profile.authSessionValiditySeconds ?? ENGINE_DEFAULT_SESSION_SECONDS;
  if (profileSeconds === minutes * 60) {
    checks.push(
      pass(
        'profile.auth-session-validity',
        `The profile's sign-in handles live as long as Cognito's session (${profileSeconds} s).`,
      ),
    );
  } else {
    checks.push(
      problem(
        'profile.auth-session-validity',
        'warn',
        `The profile's sign-in handles live ${profileSeconds} s${profile.authSessionValiditySeconds === undefined ? ' (the default)' : ''} but Cognito's session lasts ${minutes * 60} s: ` +
          (profileSeconds < minutes * 60
            ? 'users lose time they have.'
            : 'late codes fail with an expired session.'),
        {
          console: `In the gateway's profiles file (OTPGATE_CONFIG), profile "${profile.name}": "authSessionValiditySeconds": ${minutes * 60}.`,
        },
      ),
    );
  }

  const readSecret = readSecretCommand(poolId, clientId, region);
  const where = `profile "${profile.name}" of the gateway's profiles file ("clientSecret"), or COGNITO_CLIENT_SECRET`;
  if (client.ClientSecret === undefined) {
    checks.push(
      profile.clientSecret === undefined
        ? pass('client.secret', 'The app client has no secret and the profile has none.')
        : problem(
            'client.secret',
            'warn',
            'The profile has a clientSecret but the app client has no secret.',
            {
              console: `Remove "clientSecret" from ${where}.`,
            },
          ),
    );
  } else if (profile.clientSecret === undefined) {
    checks.push(
      problem(
        'client.secret',
        'fail',
        'The app client has a secret the profile does not know: Cognito refuses every call without its SECRET_HASH.',
        {
          console: `${appClient} > App client information > Client secret > Show; put it in ${where}.`,
          cli: readSecret,
        },
      ),
    );
  } else if (profile.clientSecret !== client.ClientSecret) {
    checks.push(
      problem(
        'client.secret',
        'fail',
        "The profile's clientSecret is not the app client's: Cognito refuses every call (wrong SECRET_HASH).",
        {
          console: `${appClient} > App client information > Client secret > Show; put it in ${where}.`,
          cli: readSecret,
        },
      ),
    );
  } else {
    checks.push(pass('client.secret', "The profile has the app client's secret."));
  }
  return checks;
}
