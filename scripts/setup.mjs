#!/usr/bin/env node
// First step of `npm start` and `npm test` (and so of `pnpm start` / `pnpm test`): everything a fresh
// machine with Node and npm needs, then nothing on the next run. Plain Node: it runs before any
// dependency is installed.
//
//   node scripts/setup.mjs          pnpm 10 (through npm when missing), then pnpm install
//   node scripts/setup.mjs --test   also the Debian tools the tests drive: redis-server, redis-cli, the
//                                   AWS CLI and Chromium at /usr/bin/chromium (apt-get when root)
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const forTests = process.argv.includes('--test');

const say = (text) => process.stderr.write(`setup: ${text}\n`);
function fail(text) {
  say(text);
  process.exit(1);
}
/** Runs a command with the terminal attached; false when it could not start or failed. */
function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: 'inherit', cwd: root, ...options });
  return result.status === 0;
}
const onPath = (command) =>
  spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
function versionOf(command) {
  const result = spawnSync(command, ['--version'], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) {
  fail(`Node ${process.versions.node} is too old: otpgate needs Node 20.19 or later (tested on 20 and 24).`);
}

if (forTests) {
  // What the tests run for real: Debian package -> the command it provides.
  const tools = [
    ['redis-server', () => onPath('redis-server')],
    ['redis-tools', () => onPath('redis-cli')],
    ['awscli', () => onPath('aws')],
    ['chromium', () => existsSync('/usr/bin/chromium')],
  ];
  const missing = tools.filter(([, present]) => !present()).map(([name]) => name);
  if (missing.length > 0) {
    const line = `apt-get install -y ${missing.join(' ')}`;
    if (process.getuid?.() !== 0 || !onPath('apt-get')) {
      fail(`the tests need ${missing.join(', ')}; install them first (Debian: sudo ${line})`);
    }
    say(`installing ${missing.join(' ')}`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    if (
      !run('apt-get', ['update', '-qq'], { env }) ||
      !run('apt-get', ['install', '-y', '-qq', ...missing], { env })
    ) {
      fail(`apt-get could not install ${missing.join(' ')}`);
    }
  }
}

// pnpm 10 exactly: pnpm 11 needs Node 22, and corepack's signature check fails on some machines.
if (!versionOf('pnpm')?.startsWith('10.')) {
  say('installing pnpm 10 (npm install -g pnpm@10)');
  if (
    !run('npm', ['install', '-g', '--no-fund', '--no-audit', 'pnpm@10']) ||
    !versionOf('pnpm')?.startsWith('10.')
  ) {
    fail('could not install pnpm 10; install it yourself (npm install -g pnpm@10) and run this again');
  }
}

if (!run('pnpm', ['install', '--frozen-lockfile', '--prefer-offline'])) fail('pnpm install failed');
