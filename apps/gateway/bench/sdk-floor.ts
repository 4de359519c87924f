import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { createCognitoClient } from '@otpgate/cognito-otp';
import { emailOtpAnswer, emailOtpStart } from './lib/cognito.js';
import { keepAliveAgent, requestJson, runPool } from './lib/http.js';
import { type SdkFloorCommand, userEmail } from './lib/protocol.js';

/**
 * The floor under every gateway mutation: the one Cognito call it must make, through the AWS SDK
 * client the engine builds (`createCognitoClient`: same settings, same middleware cache), and nothing
 * else. A process of its own, forked by run.ts, whose CPU run.ts reads around each command exactly as
 * it reads the gateway's; so "SDK call alone" and "gateway mutation" are measured the same way.
 *
 * With `cacheMiddleware: false`, the same calls go through a client built as the engine built it
 * before it turned on the SDK's middleware cache: the before/after of that change, side by side.
 *
 * `initiate` makes InitiateAuth calls (USER_AUTH, EMAIL_OTP, with UserContextData, as startSignIn
 * does) and keeps the Sessions; `codes` reads every code from the mailbox in one request (run.ts does
 * not measure it); `respond` answers each kept Session with its code (as verifyOtp does).
 */

const agent = keepAliveAgent(64);
const clients = new Map<boolean, CognitoIdentityProviderClient>();
let kept: Array<{ email: string; session: string; code?: string }> = [];

async function run(command: SdkFloorCommand): Promise<{ ok: number; failed: number; firstError?: string }> {
  const cache = command.cmd === 'codes' || command.cacheMiddleware;
  let sdk = clients.get(cache);
  if (sdk === undefined) {
    const settings = {
      region: command.region,
      endpoint: command.emulator,
      credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    };
    sdk = cache
      ? createCognitoClient(settings)
      : new CognitoIdentityProviderClient({
          ...settings,
          maxAttempts: 1,
          requestHandler: { requestTimeout: 4000, connectionTimeout: 1000 },
        });
    clients.set(cache, sdk);
  }
  let ok = 0;
  let failed = 0;
  let firstError: string | undefined;
  const record = (error?: unknown) => {
    if (error === undefined) ok += 1;
    else {
      failed += 1;
      firstError ??= error instanceof Error ? error.message : String(error);
    }
  };
  switch (command.cmd) {
    case 'initiate': {
      kept = [];
      await runPool(command.count, command.concurrency, async (i) => {
        const email = userEmail(command.from + i);
        try {
          const out = await sdk.send(emailOtpStart(command.clientId, email));
          if (out.Session === undefined) throw new Error(`InitiateAuth answered ${out.ChallengeName}`);
          kept.push({ email, session: out.Session });
          record();
        } catch (error) {
          record(error);
        }
      });
      break;
    }
    case 'codes': {
      const response = await requestJson<Array<{ to: string; code: string; kind: string }>>(
        agent,
        'GET',
        `${command.emulator}/_dev/messages`,
      );
      const codes = new Map<string, string>();
      // Newest first: keep the first code seen per address.
      for (const message of response.body) {
        if (message.kind === 'SIGN_IN' && !codes.has(message.to)) codes.set(message.to, message.code);
      }
      for (const entry of kept) {
        const code = codes.get(entry.email);
        if (code === undefined) record(new Error(`no code for ${entry.email}`));
        else {
          entry.code = code;
          record();
        }
      }
      break;
    }
    case 'respond': {
      const batch = kept;
      kept = [];
      await runPool(batch.length, command.concurrency, async (i) => {
        const { email, session, code } = batch[i]!;
        try {
          const out = await sdk.send(emailOtpAnswer(command.clientId, session, email, code ?? ''));
          if (out.AuthenticationResult === undefined)
            throw new Error('RespondToAuthChallenge gave no tokens');
          record();
        } catch (error) {
          record(error);
        }
      });
      break;
    }
  }
  return { ok, failed, ...(firstError === undefined ? {} : { firstError }) };
}

process.on('message', (message: SdkFloorCommand) => {
  run(message).then(
    (result) => process.send?.({ ok: true, result }),
    (error: unknown) =>
      process.send?.({
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  );
});
process.on('disconnect', () => process.exit(0));
