#!/usr/bin/env node
// The CDK app. Context in, one stack out; everything else is in lib/ (tested without the CLI).
import { App } from 'aws-cdk-lib';
import { ContextError, propsFromContext } from '../lib/context.js';
import { OtpgateStack, OtpgateStackPropsError } from '../lib/otpgate-stack.js';

const app = new App();
try {
  const { stackName, ...props } = propsFromContext((key) => app.node.tryGetContext(key));
  new OtpgateStack(app, stackName, {
    ...props,
    // The CLI fills these from the AWS profile. The region is needed offline too (SES identity ARN):
    // set AWS_REGION or pass -c sesRegion=... when no profile is configured.
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    description: 'otpgate: Cognito user pool and app clients for passwordless EMAIL_OTP sign-in',
  });
  app.synth();
} catch (error) {
  if (error instanceof ContextError || error instanceof OtpgateStackPropsError) {
    process.stderr.write(`otpgate infra: ${error.message}\n`);
    process.exit(1);
  }
  throw error;
}
