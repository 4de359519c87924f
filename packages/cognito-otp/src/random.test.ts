import { describe, expect, it } from 'vitest';
import { pooledRandomBytes } from './random.js';

describe('pooledRandomBytes', () => {
  it('returns the asked number of bytes, each draw different, across pool refills', () => {
    const seen = new Set<string>();
    // 2,000 draws of 32 bytes: 64 KB, sixteen pool fills.
    for (let i = 0; i < 2_000; i++) {
      const bytes = pooledRandomBytes(32);
      expect(bytes.length).toBe(32);
      seen.add(bytes.toString('hex'));
    }
    expect(seen.size).toBe(2_000);
    expect(pooledRandomBytes(0).length).toBe(0);
    expect(pooledRandomBytes(1_000).length).toBe(1_000);
  });

  it('hands out copies: changing one draw changes no other, and bytes look uniform', () => {
    const a = pooledRandomBytes(16);
    const before = Buffer.from(a);
    const b = pooledRandomBytes(16);
    b.fill(0);
    expect(a.equals(before)).toBe(true);
    // Over 64 KB every byte value turns up, about 256 times each (a chi-square bound far from flaky).
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 512; i++)
      for (const byte of pooledRandomBytes(128)) counts[byte] = (counts[byte] ?? 0) + 1;
    const chi = counts.reduce((sum, c) => sum + (c - 256) ** 2 / 256, 0);
    expect(Math.min(...counts)).toBeGreaterThan(150);
    expect(chi).toBeLessThan(400);
  });
});
