import type { UpdateUserPoolRequest, UserPoolType } from '@aws-sdk/client-cognito-identity-provider';
import { CONSOLE, pass, problem } from './check-builders.js';
import { createUserPoolCommand, updateUserPoolCommand } from './commands.js';
import type { Check } from './types.js';

const NEW_POOL =
  'Cannot be changed on an existing user pool: create a new one (infra/: `npx cdk deploy` makes it with every ' +
  'setting otpgate needs), point the profiles at it and migrate the users.';

export type DescribedPool = UserPoolType & { Id: string };

/** The changes that mend every failing, changeable pool setting: one command fixes them all. */
function poolChanges(pool: DescribedPool): Partial<UpdateUserPoolRequest> {
  const changes: Partial<UpdateUserPoolRequest> = {};
  if (pool.UserPoolTier === 'LITE') changes.UserPoolTier = 'ESSENTIALS';
  const factors = pool.Policies?.SignInPolicy?.AllowedFirstAuthFactors ?? ['PASSWORD'];
  if (!factors.includes('EMAIL_OTP')) {
    changes.Policies = {
      ...pool.Policies,
      SignInPolicy: { AllowedFirstAuthFactors: [...factors, 'EMAIL_OTP'] },
    };
  }
  // OPTIONAL rather than OFF: users who set MFA up keep it.
  if (pool.MfaConfiguration === 'ON') changes.MfaConfiguration = 'OPTIONAL';
  const verified = pool.AutoVerifiedAttributes ?? [];
  if (!verified.includes('email')) changes.AutoVerifiedAttributes = [...verified, 'email'];
  return changes;
}

/** The pool-level checks of one described user pool. */
export function poolChecks(pool: DescribedPool, region: string): Check[] {
  const id = pool.Id;
  const changes = poolChanges(pool);
  const fixAll = updateUserPoolCommand(pool, region, changes);
  const checks: Check[] = [];

  const tier = pool.UserPoolTier;
  if (tier === 'ESSENTIALS' || tier === 'PLUS') {
    checks.push(pass('pool.tier', `Feature plan ${tier} includes choice-based sign-in (USER_AUTH).`));
  } else if (tier === undefined) {
    checks.push(
      problem('pool.tier', 'warn', 'DescribeUserPool did not report the feature plan (UserPoolTier).', {
        console: `${CONSOLE} ${id} > Settings > Feature plans: it must show Essentials or Plus.`,
      }),
    );
  } else {
    checks.push(
      problem(
        'pool.tier',
        'fail',
        `Feature plan is ${tier}: choice-based sign-in (USER_AUTH with EMAIL_OTP) needs ESSENTIALS or PLUS.`,
        {
          console: `${CONSOLE} ${id} > Settings > Feature plans > Change plan > Essentials (priced per monthly active user).`,
          cli: fixAll,
        },
      ),
    );
  }

  const factors = pool.Policies?.SignInPolicy?.AllowedFirstAuthFactors ?? ['PASSWORD'];
  if (factors.includes('EMAIL_OTP')) {
    checks.push(pass('pool.first-factors', `Sign-in choices include EMAIL_OTP (${factors.join(', ')}).`));
  } else {
    checks.push(
      problem(
        'pool.first-factors',
        'fail',
        `Choice-based sign-in does not offer EMAIL_OTP (first factors: ${factors.join(', ')}): no sign-in code can be sent.`,
        {
          console: `${CONSOLE} ${id} > Authentication > Sign-in > Options for choice-based sign-in > Edit > Available choices: Email message one-time password.`,
          cli: fixAll,
        },
      ),
    );
  }

  const mfa = pool.MfaConfiguration ?? 'OFF';
  const mfaConsole = `${CONSOLE} ${id} > Authentication > Sign-in > Multi-factor authentication > Edit > MFA enforcement`;
  if (mfa === 'ON') {
    checks.push(
      problem(
        'pool.mfa',
        'fail',
        'MFA is required: Cognito offers no passwordless first factor when MFA is required.',
        {
          console: `${mfaConsole}: Optional MFA (or No MFA).`,
          cli: fixAll,
        },
      ),
    );
  } else if (mfa === 'OPTIONAL') {
    checks.push(
      problem(
        'pool.mfa',
        'warn',
        'MFA is optional: users who turn MFA on can no longer sign in with a code alone.',
        {
          console: `${mfaConsole}: No MFA.`,
          cli: updateUserPoolCommand(pool, region, { ...changes, MfaConfiguration: 'OFF' }),
        },
      ),
    );
  } else {
    checks.push(pass('pool.mfa', 'MFA is off.'));
  }

  if (pool.UsernameConfiguration?.CaseSensitive === false) {
    checks.push(pass('pool.username-case', 'Usernames are case-insensitive.'));
  } else {
    checks.push(
      problem(
        'pool.username-case',
        'fail',
        'Usernames are case-sensitive: Shop@Example.com and shop@example.com would be two accounts.',
        {
          console: `${NEW_POOL} In the console: clear "Make user name case sensitive".`,
          cli: createUserPoolCommand(region),
        },
      ),
    );
  }

  if (pool.UsernameAttributes?.includes('email')) {
    checks.push(pass('pool.email-username', 'Email addresses are usernames.'));
  } else {
    const alias = pool.AliasAttributes?.includes('email');
    checks.push(
      problem(
        'pool.email-username',
        'fail',
        alias
          ? 'Email is a sign-in alias, not a username attribute: Cognito then refuses email-shaped usernames, and otpgate signs users up with their address as the username.'
          : 'Email is not a username attribute: otpgate signs users up and in with their address as the username.',
        {
          console: `${NEW_POOL} In the console: Options for sign-in identifiers: Email.`,
          cli: createUserPoolCommand(region),
        },
      ),
    );
  }

  if (pool.AutoVerifiedAttributes?.includes('email')) {
    checks.push(pass('pool.email-auto-verify', 'Cognito verifies email addresses at sign-up.'));
  } else {
    checks.push(
      problem(
        'pool.email-auto-verify',
        'fail',
        'Cognito does not verify email addresses at sign-up: no confirmation code is sent, and EMAIL_OTP needs a verified address.',
        {
          console: `${CONSOLE} ${id} > Authentication > Sign-up > Attribute verification and user account confirmation > Edit > Send email message, verify email address.`,
          cli: fixAll,
        },
      ),
    );
  }

  const email = pool.EmailConfiguration;
  if (email?.EmailSendingAccount === 'DEVELOPER') {
    checks.push(
      pass('pool.email-sender', `Email goes through Amazon SES${email.From ? ` from ${email.From}` : ''}.`),
    );
  } else {
    const account = pool.Arn?.split(':')[4] ?? 'YOUR_ACCOUNT_ID';
    checks.push(
      problem(
        'pool.email-sender',
        'warn',
        "Email goes through Cognito's default sender, about 50 emails a day per account: past that, sign-ups and sign-ins fail.",
        {
          console: `${CONSOLE} ${id} > Authentication > Authentication methods > Email > Edit > Send email with Amazon SES (a verified SES identity; SES out of its sandbox).`,
          cli: updateUserPoolCommand(pool, region, {
            ...changes,
            EmailConfiguration: {
              EmailSendingAccount: 'DEVELOPER',
              SourceArn: `arn:aws:ses:${region}:${account}:identity/YOUR_SES_IDENTITY`,
              From: 'YOUR_FROM_ADDRESS',
            },
          }),
        },
      ),
    );
  }
  // Reported by Cognito only when SES refuses its configuration: nothing to say otherwise.
  if (pool.EmailConfigurationFailure) {
    checks.push(
      problem('pool.email-delivery', 'fail', `Cognito cannot send email: ${pool.EmailConfigurationFailure}`, {
        console: `${CONSOLE} ${id} > Authentication > Authentication methods > Email: check the SES identity is verified, in this region, and SES is out of its sandbox.`,
        cli: `aws sesv2 get-email-identity --region ${region} --email-identity YOUR_SES_IDENTITY`,
      }),
    );
  }
  return checks;
}
