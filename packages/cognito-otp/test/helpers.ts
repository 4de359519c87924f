import { randomBytes } from 'node:crypto';
import type { TestEngine } from '@otpgate/testing';
import type { Cluster, Redis } from 'ioredis';
import { expect } from 'vitest';
import { OtpError, type OtpErrorCode } from '../src/errors.js';
import type { AuthStep, AuthTokens, Challenge } from '../src/types.js';

/** A fresh address per test, so tests sharing a Redis never share a destination budget. */
export function newEmail(tag = 'user'): string {
  return `${tag}.${randomBytes(4).toString('hex')}@example.com`;
}

/** A fresh E.164 number (+1 555 01xx xxxx style, 11 digits). */
export function newPhone(): string {
  return `+1555${String(randomBytes(4).readUInt32BE() % 10_000_000).padStart(7, '0')}`;
}

/** Awaits `promise`, which must reject with OtpError `code` (and the given extras). Returns the error. */
export async function expectOtpError(
  promise: Promise<unknown>,
  code: OtpErrorCode,
  extra: Partial<Pick<OtpError, 'field' | 'attemptsRemaining' | 'retryAfterSeconds' | 'scope'>> = {},
): Promise<OtpError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  expect(caught, `expected OtpError ${code}`).toBeInstanceOf(OtpError);
  const error = caught as OtpError;
  expect({ code: error.code, ...pick(error, extra) }).toEqual({ code, ...extra });
  return error;
}

function pick(error: OtpError, extra: object): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(extra).map((key) => [key, (error as unknown as Record<string, unknown>)[key]]),
  );
}

export function challengeOf(step: AuthStep): Challenge {
  if (step.nextStep === 'DONE') throw new Error('expected a challenge, got DONE');
  return step.challenge;
}

export function tokensOf(step: AuthStep): AuthTokens {
  if (step.nextStep !== 'DONE') throw new Error(`expected DONE, got ${step.nextStep}`);
  return step.tokens;
}

/** A wrong code of the right format for a handle expecting `code` (never equal to it). */
export function wrongCodeFor(code: string): string {
  const last = Number(code.at(-1));
  return `${code.slice(0, -1)}${(last + 1) % 10}`;
}

/** signUp + confirmSignUp: a confirmed user, signed in once. */
export async function registeredUser(
  t: TestEngine,
  email: string,
  phoneNumber?: string,
): Promise<{ tokens: AuthTokens }> {
  const step = await t.engine.signUp(
    { email, ...(phoneNumber === undefined ? {} : { phoneNumber }) },
    t.ctx(),
  );
  const done = await t.engine.confirmSignUp(
    { handle: challengeOf(step).handle, code: t.lastCode(email) },
    t.ctx(),
  );
  return { tokens: tokensOf(done) };
}

export interface DumpedKey {
  key: string;
  type: string;
  /** Every byte stored under the key: string value, hash fields and values, and DUMP. */
  bytes: Buffer[];
}

/** Every key under `prefix` on every master, with type and value, as raw bytes. */
export async function dumpRedis(redis: Redis | Cluster, prefix: string): Promise<DumpedKey[]> {
  const nodes: Redis[] =
    'nodes' in redis && redis.isCluster ? (redis as Cluster).nodes('master') : [redis as Redis];
  const out: DumpedKey[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scanBuffer(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 200);
      cursor = String(next);
      for (const key of keys) {
        const type = await node.type(key);
        const bytes: Buffer[] = [key];
        if (type === 'string') {
          const value = await node.getBuffer(key);
          if (value) bytes.push(value);
        } else if (type === 'hash') {
          const hash = await node.hgetallBuffer(key);
          for (const [field, value] of Object.entries(hash)) bytes.push(Buffer.from(field), value);
        }
        const dumped = await node.dumpBuffer(key);
        if (dumped) bytes.push(dumped);
        out.push({ key: key.toString('utf8'), type, bytes });
      }
    } while (cursor !== '0');
  }
  return out;
}

/** The secrets that must never be stored in clear: each as it would appear in a dump. */
export function expectNoSecrets(dump: DumpedKey[], secrets: string[]): void {
  for (const entry of dump) {
    for (const bytes of entry.bytes) {
      for (const secret of secrets) {
        expect(
          bytes.includes(Buffer.from(secret)),
          `"${entry.key}" (${entry.type}) holds a secret in clear`,
        ).toBe(false);
      }
    }
  }
}
