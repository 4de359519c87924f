import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { redisCommand, startRedis } from '../src/redis.js';

const answers = (port: number) =>
  redisCommand(port, ['PING'], 300).then(
    () => true,
    () => false,
  );

describe('startRedis', () => {
  it('runs its own server on a free port (never 6379), restarts on the same port, and is gone after dispose', async () => {
    let port: number;
    {
      await using redis = await startRedis();
      port = redis.port;
      expect(port).not.toBe(6379);
      expect(redis.url).toBe(`redis://127.0.0.1:${port}`);
      expect(await redisCommand(port, ['PING'])).toBe('PONG');
      expect(await redisCommand(port, ['INFO', 'persistence'])).toContain('aof_enabled:0');

      await redis.stop();
      expect(redis.running).toBe(false);
      expect(await answers(port)).toBe(false);
      await redis.start();
      expect(redis.running).toBe(true);
      expect(redis.port).toBe(port);
      expect(await redisCommand(port, ['PING'])).toBe('PONG');
    }
    expect(await answers(port)).toBe(false);
  });

  it('fails clearly when the binary is missing', async () => {
    await expect(startRedis({ binary: 'redis-server-not-installed' })).rejects.toThrow(
      'redis-server-not-installed not found: apt-get install -y redis-server',
    );
  });

  it('leaves no server behind when the process that started it is killed', async () => {
    // Run the harness in a separate Node process (compiled to plain JS: Node 20 runs no TypeScript),
    // SIGKILL that process, and watch its server go.
    const dir = mkdtempSync(join(tmpdir(), 'otpgate-harness-'));
    try {
      // redis.ts and the process helper it imports, as plain ES modules side by side.
      writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
      for (const name of ['redis', 'process']) {
        const source = readFileSync(fileURLToPath(new URL(`../src/${name}.ts`, import.meta.url)), 'utf8');
        const compiled = ts.transpileModule(source, {
          compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
        }).outputText;
        writeFileSync(join(dir, `${name}.js`), compiled);
      }
      writeFileSync(
        join(dir, 'main.mjs'),
        `import { startRedis } from './redis.js';
const redis = await startRedis();
process.stdout.write(String(redis.port) + '\\n');
setInterval(() => {}, 1000);`,
      );
      // TMPDIR: the killed process cannot remove its server's directory, so keep it inside ours.
      const child = spawn(process.execPath, [join(dir, 'main.mjs')], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, TMPDIR: dir },
      });
      const port = await new Promise<number>((resolve, reject) => {
        child.stdout.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
        child.once('exit', (code) => reject(new Error(`harness process exited early with ${code}`)));
      });
      expect(await answers(port)).toBe(true);
      child.kill('SIGKILL');
      await expect.poll(() => answers(port), { timeout: 3_000, interval: 50 }).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
