import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { ManualClock } from '../src/clock.js';
import {
  type Emulator,
  type EmulatorOptions,
  type PasswordlessPoolOptions,
  startEmulator,
} from '../src/emulator.js';

/** A real AWS SDK client pointed at the emulator, with dummy credentials and no retries. */
export function sdkFor(emulator: Emulator, maxAttempts = 1): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint: emulator.url,
    region: emulator.region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts,
  });
}

export interface Harness extends AsyncDisposable {
  emulator: Emulator;
  clock: ManualClock;
  sdk: CognitoIdentityProviderClient;
  poolId: string;
  clientId: string;
  clientSecret?: string;
  /** The newest code sent to `to`; throws when there is none. */
  lastCode(to: string): string;
}

/** An emulator on a free port with a ManualClock and a ready passwordless pool; `await using` stops it. */
export async function harness(
  pool: PasswordlessPoolOptions = {},
  options: Omit<EmulatorOptions, 'clock' | 'port'> = {},
): Promise<Harness> {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  const emulator = await startEmulator({ ...options, clock, port: 0 });
  const { userPoolId, clientId, clientSecret } = await emulator.createPasswordlessPool(pool);
  const sdk = sdkFor(emulator);
  return {
    emulator,
    clock,
    sdk,
    poolId: userPoolId,
    clientId,
    clientSecret,
    lastCode(to) {
      const message = emulator.messages(to)[0];
      if (!message) throw new Error(`no code was sent to ${to}`);
      return message.code;
    },
    async [Symbol.asyncDispose]() {
      sdk.destroy();
      await emulator.close();
    },
  };
}
