import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import {
  CognitoIdentityProviderClient,
  type CognitoIdentityProviderClientConfig,
} from '@aws-sdk/client-cognito-identity-provider';
import { createCognitoClient } from '@otpgate/cognito-otp';
import { emailOtpAnswer, emailOtpStart } from './lib/cognito.js';
import { keepAliveAgent, requestJson, runPool } from './lib/http.js';
import { SDK_VARIANTS, type SdkFloorCommand, type SdkVariant, userEmail } from './lib/protocol.js';

/**
 * The floor under every gateway mutation: the one Cognito call it must make, through the AWS SDK
 * client the engine builds (`createCognitoClient`, variant `engine`), and nothing else. A process of
 * its own, forked by run.ts, whose CPU run.ts reads around each command exactly as it reads the
 * gateway's; so "SDK call alone" and "gateway mutation" are measured the same way.
 *
 * The other variants are the before/after of each client setting `createCognitoClient` uses, side by
 * side in the same process: `before` is the client as the engine built it before (maxAttempts 1, the
 * middleware cache, socket timeouts, everything else the SDK's default), and each other variant is
 * `before` plus one setting. run.ts measures them in alternation, so each setting's saving is read
 * against the same machine state.
 *
 * `initiate` makes InitiateAuth calls (USER_AUTH, EMAIL_OTP, with UserContextData, as startSignIn
 * does) and keeps the Sessions; `codes` reads every code from the mailbox in one request (run.ts does
 * not measure it); `respond` answers each kept Session with its code (as verifyOtp does).
 */

const agent = keepAliveAgent(64);
const clients = new Map<SdkVariant, CognitoIdentityProviderClient>();
let kept: Array<{ email: string; session: string; code?: string }> = [];

type Target = { region: string; emulator: string };

/** What each variant adds to `before`; `engine` is createCognitoClient itself. */
const SETTINGS: Record<
  Exclude<SdkVariant, 'engine' | 'before'>,
  (target: Target) => Partial<CognitoIdentityProviderClientConfig>
> = {
  // Our own keep-alive agents with room for every concurrent call (the SDK's default handler makes
  // its agents lazily, per request it checks for them and for socket capacity warnings).
  agent: () => ({
    requestHandler: {
      requestTimeout: 4000,
      connectionTimeout: 1000,
      httpAgent: new HttpAgent({ keepAlive: true, maxSockets: 256 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
    },
  }),
  // A fixed endpoint: no endpoint rule set to evaluate per call.
  endpoint: (target) => ({ endpointProvider: () => ({ url: new URL(target.emulator) }) }),
  // No user-agent header: the middleware that builds and escapes it on every call is taken off the
  // stack (see client()); Cognito does not need the header.
  noUserAgent: () => ({}),
};

function client(variant: SdkVariant, target: Target): CognitoIdentityProviderClient {
  let sdk = clients.get(variant);
  if (sdk === undefined) {
    sdk = build(variant, target);
    clients.set(variant, sdk);
  }
  return sdk;
}

function build(variant: SdkVariant, target: Target): CognitoIdentityProviderClient {
  const settings = {
    region: target.region,
    endpoint: target.emulator,
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
  };
  const sdk =
    variant === 'engine'
      ? createCognitoClient(settings)
      : new CognitoIdentityProviderClient({
          ...settings,
          maxAttempts: 1,
          cacheMiddleware: true,
          requestHandler: { requestTimeout: 4000, connectionTimeout: 1000 },
          ...(variant === 'before' ? {} : SETTINGS[variant](target)),
        });
  // A renamed middleware would make this variant `before` in disguise: refuse instead.
  if (variant === 'noUserAgent' && !sdk.middlewareStack.remove('getUserAgentMiddleware')) {
    throw new Error('no getUserAgentMiddleware to remove');
  }
  return sdk;
}

// Cognito's answers as the emulator gives them (sizes alike), for the SDK-only measure.
const CANNED = {
  initiate: JSON.stringify({
    ChallengeName: 'EMAIL_OTP',
    Session: 's'.repeat(900),
    ChallengeParameters: { CODE_DELIVERY_DELIVERY_MEDIUM: 'EMAIL', CODE_DELIVERY_DESTINATION: 'u***@b***' },
  }),
  respond: JSON.stringify({
    AuthenticationResult: {
      AccessToken: 'a'.repeat(1040),
      IdToken: 'i'.repeat(1100),
      RefreshToken: 'r'.repeat(1700),
      ExpiresIn: 3600,
      TokenType: 'Bearer',
    },
    ChallengeParameters: {},
  }),
};

/**
 * The SDK's own work per call, without a socket: each variant's client with its HTTP handler swapped
 * for one that answers at once with a canned Cognito answer (the same for all). Calls run one after
 * another, variants alternating in batches; this process's CPU per variant, µs per call. Settings of
 * the HTTP handler itself (the `agent` variant) do not show here.
 */
async function sdkOnly(command: Extract<SdkFloorCommand, { cmd: 'sdkOnly' }>) {
  const totals = new Map<SdkVariant, { initiate: number; respond: number; calls: number }>();
  const canned = new Map<SdkVariant, CognitoIdentityProviderClient>();
  for (const variant of command.variants) {
    const sdk = build(variant, command);
    const handler = {
      handle: async (request: { headers: Record<string, string> }) => {
        const body = request.headers['x-amz-target']?.endsWith('.InitiateAuth')
          ? CANNED.initiate
          : CANNED.respond;
        return {
          response: {
            statusCode: 200,
            reason: 'OK',
            headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'bench' },
            body: new TextEncoder().encode(body),
          },
        };
      },
      updateHttpClientConfig: () => {},
      httpHandlerConfigs: () => ({}),
      destroy: () => {},
    };
    (sdk.config as { requestHandler: unknown }).requestHandler = handler;
    canned.set(variant, sdk);
    totals.set(variant, { initiate: 0, respond: 0, calls: 0 });
  }
  const batch = 100;
  const time = async (sdk: CognitoIdentityProviderClient, respond: boolean) => {
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < batch; i++) {
      const out = respond
        ? await sdk.send(emailOtpAnswer(command.clientId, 's'.repeat(900), userEmail(i), '12345678'))
        : await sdk.send(emailOtpStart(command.clientId, userEmail(i)));
      if (out.$metadata.httpStatusCode !== 200) throw new Error('canned call failed');
    }
    const cpu = process.cpuUsage(cpu0);
    return cpu.user + cpu.system;
  };
  for (let done = 0; done < command.calls; done += batch) {
    for (const [variant, sdk] of canned) {
      const total = totals.get(variant);
      if (total === undefined) throw new Error(`unknown variant ${variant}`);
      total.initiate += await time(sdk, false);
      total.respond += await time(sdk, true);
      total.calls += batch;
    }
  }
  return Object.fromEntries(
    [...totals].map(([variant, t]) => [
      variant,
      { initiateAuthUs: t.initiate / t.calls, respondUs: t.respond / t.calls, calls: t.calls },
    ]),
  );
}

if (SDK_VARIANTS.length !== Object.keys(SETTINGS).length + 2) throw new Error('SDK variants out of sync');

async function run(
  command: Exclude<SdkFloorCommand, { cmd: 'sdkOnly' }>,
): Promise<{ ok: number; failed: number; firstError?: string; cpuUs: number }> {
  const sdk = client(command.cmd === 'codes' ? 'engine' : command.variant, command);
  // This process's CPU over the command, read by the process itself: the same accounting as
  // /proc/<pid>/stat (all threads, user + kernel), at microsecond rather than clock-tick resolution,
  // which the variants' small differences need.
  const cpu0 = process.cpuUsage();
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
  const cpu = process.cpuUsage(cpu0);
  return { ok, failed, ...(firstError === undefined ? {} : { firstError }), cpuUs: cpu.user + cpu.system };
}

process.on('message', (message: SdkFloorCommand) => {
  (message.cmd === 'sdkOnly' ? sdkOnly(message) : run(message)).then(
    (result) => process.send?.({ ok: true, result }),
    (error: unknown) =>
      process.send?.({
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      }),
  );
});
process.on('disconnect', () => process.exit(0));
