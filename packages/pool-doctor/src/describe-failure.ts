import { CONSOLE, problem } from './check-builders.js';
import { shellQuote } from './commands.js';
import type { Check } from './types.js';

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

const CREDENTIAL_ERRORS = new Set([
  'AccessDeniedException',
  'UnauthorizedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'ExpiredTokenException',
  'CredentialsProviderError',
]);
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'ETIMEDOUT',
  'ECONNRESET',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/** A Describe* call that failed, as a fail check naming the cause and its fix. */
export function describeFailure(
  id: string,
  operation: 'DescribeUserPool' | 'DescribeUserPoolClient' | 'GetUserPoolMfaConfig',
  target: { userPoolId: string; clientId?: string; region: string },
  error: unknown,
): Check {
  const e = (error ?? {}) as SdkError;
  const name = e.name ?? 'Error';
  const what =
    target.clientId === undefined
      ? `user pool ${target.userPoolId}`
      : `app client ${target.clientId} of user pool ${target.userPoolId}`;
  const detail = `${operation}: ${name}${e.message ? `: ${e.message}` : ''}`;
  const { region, userPoolId } = target;

  if (name === 'ResourceNotFoundException') {
    return problem(id, 'fail', `The ${what} does not exist in ${region} (${detail}).`, {
      console:
        target.clientId === undefined
          ? `${CONSOLE} (region ${region}): copy the pool id into the profile's userPoolId (and its region, if the pool is elsewhere).`
          : `${CONSOLE} ${userPoolId} > Applications > App clients: copy the client id into the profile's clientId.`,
      cli:
        target.clientId === undefined
          ? `aws cognito-idp list-user-pools --region ${region} --max-results 60`
          : `aws cognito-idp list-user-pool-clients --region ${region} --user-pool-id ${userPoolId}`,
    });
  }
  if (CREDENTIAL_ERRORS.has(name)) {
    const policy = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['cognito-idp:DescribeUserPool', 'cognito-idp:DescribeUserPoolClient'],
          Resource: `arn:aws:cognito-idp:${region}:*:userpool/${userPoolId}`,
        },
      ],
    };
    return problem(id, 'fail', `The AWS credentials in use may not read the ${what} (${detail}).`, {
      console:
        'IAM console > Roles (or Users) > the identity running otpgate > Add permissions > Create inline policy: ' +
        `allow cognito-idp:DescribeUserPool and cognito-idp:DescribeUserPoolClient on the pool (check the identity with \`aws sts get-caller-identity\`).`,
      cli: `aws iam put-role-policy --role-name YOUR_ROLE_NAME --policy-name otpgate-pool-doctor --policy-document ${shellQuote(JSON.stringify(policy))}`,
    });
  }
  const network =
    e.$metadata?.httpStatusCode === undefined &&
    (NETWORK_CODES.has(e.code ?? '') ||
      name === 'TimeoutError' ||
      /ECONNREFUSED|ENOTFOUND|timed? ?out/i.test(e.message ?? ''));
  if (network) {
    return problem(id, 'fail', `Cannot reach Cognito in ${region} to read the ${what} (${detail}).`, {
      console: `Check outbound HTTPS to cognito-idp.${region}.amazonaws.com (or the endpoint override, COGNITO_ENDPOINT / --endpoint).`,
      cli: `aws cognito-idp describe-user-pool --region ${region} --user-pool-id ${userPoolId} --query UserPool.Id`,
    });
  }
  return problem(id, 'fail', `Reading the ${what} failed (${detail}).`, {
    console: 'Run the doctor again; if it keeps failing, the error above names the cause.',
    cli: `aws cognito-idp describe-user-pool --region ${region} --user-pool-id ${userPoolId}`,
  });
}
