// Plain JavaScript, like the rest of this package. Runs a README's code the way a reader would: the
// snippet as written, in its own Node process, so a README that drifts from the code fails a test.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Kills the snippet when the test process that started it is gone (even after SIGKILL): an orphan
 * would hold ports and Redis connections. It polls the parent pid instead of using stdin, which the
 * snippet may read.
 */
const ORPHAN_GUARD =
  'data:text/javascript,const p=process.ppid;setInterval(()=>{if(process.ppid!==p)process.kill(process.pid,"SIGKILL")},500).unref();';

/** @param {string} readmePath @param {number} [index] */
export function readmeSnippet(readmePath, index = 0) {
  const blocks = [...readFileSync(readmePath, 'utf8').matchAll(/^```ts\n([\s\S]*?)^```$/gm)];
  const block = blocks[index]?.[1];
  if (block === undefined) throw new Error(`${readmePath} has no \`\`\`ts block number ${index + 1}`);
  return block;
}

/** @param {string} code @param {import('./readme.d.ts').RunSnippetOptions} options */
export async function runSnippet(code, options) {
  const file = join(options.cwd, `.readme-snippet-${randomBytes(4).toString('hex')}.ts`);
  writeFileSync(file, code);
  const child = spawn(
    process.execPath,
    ['--conditions=@otpgate/source', '--import', 'tsx', '--import', ORPHAN_GUARD, file],
    {
      cwd: options.cwd,
      // Nothing of the test's environment but PATH: a developer's AWS or Redis settings never leak in.
      env: { PATH: process.env.PATH, NODE_NO_WARNINGS: '1', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  const prompts = [...(options.prompts ?? [])];
  child.stdout.on('data', async (chunk) => {
    stdout += chunk.toString('utf8');
    while (prompts[0]?.when.test(stdout)) {
      const prompt = prompts.shift();
      child.stdin.write(`${await prompt.answer(stdout)}\n`);
    }
  });
  child.stderr.on('data', (chunk) => {
    stderr += chunk.toString('utf8');
  });
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timer;
  try {
    const exitCode = await new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve(code ?? signal));
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the snippet ran past ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
      }, timeoutMs);
    });
    return { exitCode, stdout, stderr };
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(file, { force: true });
  }
}
