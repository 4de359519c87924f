import { randomBytes, randomFillSync } from 'node:crypto';

/** Bytes drawn from the operating system's CSPRNG at a time, and the largest request served from them. */
const POOL_BYTES = 4096;
const LARGEST_POOLED = 128;

let pool = Buffer.alloc(0);
let used = 0;

/**
 * `crypto.randomBytes(n)`, served from a pool filled 4 KB at a time. Every step asks for a few small
 * random values (a handle, an IV, a lock token), and each `randomBytes` call is a job of its own in
 * Node; one fill per ~100 requests costs a fraction of that. Every byte is handed out once, copied out
 * of the pool (never a view of it), and larger requests go straight to `randomBytes`.
 */
export function pooledRandomBytes(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0 || n > LARGEST_POOLED) return randomBytes(n);
  if (used + n > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafeSlow(POOL_BYTES));
    used = 0;
  }
  const out = Buffer.allocUnsafe(n);
  pool.copy(out, 0, used, used + n);
  pool.fill(0, used, used + n);
  used += n;
  return out;
}
