#!/usr/bin/env node
// Runs the README's start command (`npm start`) the way a new user does, in the current clone, and
// checks what they would see: the banner's three URLs, a sign-up through GraphQL with the code from the
// dev mailbox, the demo page and its icon, then Ctrl-C (SIGINT to the whole process group, as a
// terminal sends it): exit status 0 and no error, stack, warning or "ELIFECYCLE" in the output.
// .ci/run calls it first, in a fresh clone, so it also covers the install and build from nothing.
//
// Ports: PORT, DEMO_PORT, EMULATOR_PORT and METRICS_PORT are 0 (free ports) so a busy machine cannot
// fail it; the banner says where each landed.
import { spawn } from 'node:child_process';

const START_TIMEOUT_MS = 15 * 60_000;
const started = Date.now();
const child = spawn('npm', ['start'], {
  detached: true, // its own process group, like a terminal's foreground job
  env: { ...process.env, PORT: '0', DEMO_PORT: '0', EMULATOR_PORT: '0', METRICS_PORT: '0' },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let output = '';
child.stdout.on('data', (chunk) => {
  output += chunk;
});
child.stderr.on('data', (chunk) => {
  output += chunk;
});
const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));

function fail(why) {
  process.stderr.write(`start-smoke: ${why}\n--- output ---\n${output.slice(-6000)}\n`);
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {}
  process.exit(1);
}
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const url = (label) => new RegExp(`${label}:\\s+(http\\S+)`).exec(output)?.[1];

let gotExit;
exited.then((code) => {
  gotExit = code;
});
while (!(url('GraphQL') && url('Demo page') && url('Dev mailbox'))) {
  if (gotExit !== undefined) fail(`npm start exited (${gotExit}) before its banner`);
  if (Date.now() - started > START_TIMEOUT_MS) fail('no banner in time');
  await sleep(200);
}
const ready = Date.now() - started;
const graphql = url('GraphQL');
const demo = url('Demo page');
const mailbox = url('Dev mailbox');
const messages = mailbox.replace(/\/_dev\/mailbox$/, '/_dev/messages');

async function gql(query) {
  const response = await fetch(graphql, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query }),
  });
  const body = await response.json();
  if (body.errors) fail(`GraphQL errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const email = `smoke${Date.now()}@example.com`;
const signUp = await gql(`mutation { signUp(input: {email: "${email}"}) { nextStep challenge { handle } } }`);
if (signUp.signUp.nextStep !== 'CONFIRM_SIGN_UP') fail(`signUp answered ${JSON.stringify(signUp)}`);
const sent = await (await fetch(`${messages}?to=${encodeURIComponent(email)}`)).json();
if (!/^\d{6}$/.test(sent[0]?.code ?? '')) fail(`no code in the dev mailbox: ${JSON.stringify(sent)}`);
const confirm = await gql(
  `mutation { confirmSignUp(input: {handle: "${signUp.signUp.challenge.handle}", code: "${sent[0].code}"}) { nextStep } }`,
);
if (confirm.confirmSignUp.nextStep !== 'DONE') fail(`confirmSignUp answered ${JSON.stringify(confirm)}`);

const page = await fetch(demo);
const html = await page.text();
if (page.status !== 200 || !html.includes(`content="${graphql}"`)) fail(`demo page: ${page.status}`);
const icon = await fetch(new URL('/favicon.svg', demo));
if (icon.status !== 200) fail(`demo page icon: ${icon.status}`);
if ((await fetch(mailbox)).status !== 200) fail('dev mailbox page did not answer 200');

process.kill(-child.pid, 'SIGINT');
const timer = setTimeout(() => fail('still running 20 s after SIGINT'), 20_000);
const code = await exited;
clearTimeout(timer);
if (code !== 0) fail(`exit status ${code} after SIGINT, expected 0`);
// An operator-facing notice the AWS SDK prints on Node < 22 is the one tolerated line.
const noise = output
  .split('\n')
  .filter((line) => /ELIFECYCLE|Error\b|^\s+at |Warning|WARN\b|[Dd]eprecat/.test(line))
  .filter(
    (line) =>
      !(Number(process.versions.node.split('.')[0]) < 22 && /AWS SDK for JavaScript|NodeVersion/i.test(line)),
  );
if (noise.length > 0) fail(`unexpected lines:\n${noise.join('\n')}`);
process.stdout.write(
  `start-smoke: npm start ready in ${(ready / 1000).toFixed(1)} s on Node ${process.versions.node}; sign-up, demo page, mailbox OK; Ctrl-C exit 0, clean output\n`,
);
