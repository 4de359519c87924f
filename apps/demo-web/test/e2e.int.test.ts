import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestGateway, type TestGateway } from '@otpgate/gateway/testing';
import { freePort } from '@otpgate/testing';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoServer, startDemoServer } from '../server/demo-server.js';

/**
 * The demo page in Debian's Chromium, end to end: Vite builds the page, its own static server
 * (server/demo-server.ts, which local mode uses too) serves it on its own origin (so every call crosses CORS, as from a real storefront), and the
 * test gateway (emulator + gateway) answers. Codes are read from the emulator's dev mailbox page.
 *
 * Time: the gateway's clock is manual and the page's `Date.now()` is pinned to it with Playwright's
 * `clock.setFixedTime`, so "Resend code in 0:30" is exact and moving both clocks together replaces
 * waiting 30 s for the resend window.
 *
 * Screenshots of every step, desktop and phone width, go to a temporary folder; with
 * UPDATE_SCREENSHOTS=1 (`pnpm --filter @otpgate/demo-web screenshots`) to docs/screenshots for the README.
 */

const DEMO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCS_SCREENSHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
/** The machine notes' headless flags: no GPU, no QUIC, nothing that calls home. */
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const EMAIL = 'yuki@example.com';

let workDir: string;
/** The email form's card with no message, to compare against once messages appear. */
let emailCard: { x: number; y: number; width: number; height: number };
let shotsDir: string;
let gw: TestGateway;
let demo: DemoServer;
let context: BrowserContext;
let page: Page;
let mailbox: Page;
/** Every answer of the demo page's origin that was not a success (a missing favicon, say). */
const failedRequests: string[] = [];

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'otpgate-e2e-'));
  shotsDir = process.env.UPDATE_SCREENSHOTS ? DOCS_SCREENSHOTS : join(workDir, 'screenshots');
  await mkdir(shotsDir, { recursive: true });
  const outDir = join(workDir, 'dist');
  await build({
    root: DEMO_ROOT,
    configFile: join(DEMO_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });

  // The page's origin must be known to the profile before the gateway starts: reserve a port for it.
  const port = await freePort();
  gw = await startTestGateway({ profiles: { shop: { allowedOrigins: [`http://127.0.0.1:${port}`] } } });
  demo = await startDemoServer({
    root: outDir,
    graphqlUrl: `${gw.url}/graphql`,
    clientName: 'shop',
    mailboxUrl: `${gw.emulator.url}/_dev/mailbox`,
    port,
  });

  context = await chromium.launchPersistentContext(join(workDir, 'profile'), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: DESKTOP,
    deviceScaleFactor: 1,
    locale: 'en-GB',
    timezoneId: 'UTC',
  });
  // The mailbox's Copy button writes the clipboard; the demo page reads it on paste.
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await context.clock.setFixedTime(gw.clock.now());
  page = context.pages()[0] ?? (await context.newPage());
  page.on('response', (response) => {
    if (response.url().startsWith(demo.url) && response.status() >= 400) {
      failedRequests.push(`${response.status()} ${response.url()}`);
    }
  });
  mailbox = await context.newPage();
});

afterAll(async () => {
  await context?.close();
  await demo?.close();
  await gw?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** Moves the gateway's and the page's clocks together. */
async function advance(ms: number) {
  gw.clock.advance(ms);
  await context.clock.setFixedTime(gw.clock.now());
}

/** Desktop and phone screenshots of the page as it is; at phone width nothing may overflow sideways. */
async function shoot(name: string) {
  await page.bringToFront();
  await page.screenshot({ path: join(shotsDir, `${name}-desktop.png`), animations: 'disabled' });
  await page.setViewportSize(PHONE);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${name}: horizontal overflow at phone width`).toBeLessThanOrEqual(0);
  await page.screenshot({ path: join(shotsDir, `${name}-phone.png`), animations: 'disabled' });
  await page.setViewportSize(DESKTOP);
}

/** The card's box: it must not move or grow when a message appears (its space is reserved). */
const cardBox = async () => {
  const box = await page.locator('.card').boundingBox();
  if (!box) throw new Error('no .card on the page');
  return box;
};

/** The row of code boxes spans exactly the width of the buttons under it. */
async function expectBoxesAsWideAsButtons() {
  const row = await page.locator('fieldset.otp').boundingBox();
  const button = await page.locator('.actions .primary').boundingBox();
  const last = await codeBoxes().last().boundingBox();
  expect(row && button && last).toBeTruthy();
  if (!row || !button || !last) return;
  expect(Math.abs(row.width - button.width)).toBeLessThanOrEqual(1);
  expect(Math.abs(last.x + last.width - (button.x + button.width))).toBeLessThanOrEqual(1);
}

/** The accessible name (aria-label or id) of the focused element. */
const focused = () =>
  page.evaluate(() => {
    const element = document.activeElement;
    return element?.getAttribute('aria-label') ?? element?.id ?? element?.textContent ?? '';
  });

/** The newest code sent to `to`, read off the dev mailbox page (and copied with its Copy button). */
async function codeFromMailbox(to: string, shot?: string): Promise<string> {
  await mailbox.goto(`${gw.emulator.url}/_dev/mailbox?to=${encodeURIComponent(to)}`);
  const newest = mailbox.locator('#messages tbody tr').first();
  const code = (await newest.locator('code.code').textContent())?.trim() ?? '';
  expect(code).toMatch(/^\d{6,8}$/);
  await newest.getByRole('button', { name: /^Copy code/ }).click();
  await mailbox
    .getByRole('status')
    .filter({ hasText: `Copied ${code}.` })
    .waitFor();
  if (shot) {
    await mailbox.bringToFront();
    await mailbox.screenshot({ path: join(shotsDir, `${shot}-desktop.png`), animations: 'disabled' });
    // A phone: nothing wider than the screen, and the address on one line, not broken every few letters.
    await mailbox.setViewportSize(PHONE);
    const width = await mailbox.evaluate(() => document.documentElement.scrollWidth);
    expect(width, 'dev mailbox: horizontal overflow at 390 px').toBeLessThanOrEqual(PHONE.width);
    const address = await newest.locator('td.to').evaluate((cell) => {
      const range = document.createRange();
      range.selectNodeContents(cell);
      return { lines: range.getClientRects().length, text: cell.textContent };
    });
    expect(address).toEqual({ lines: 1, text: to });
    await mailbox.screenshot({ path: join(shotsDir, `${shot}-phone.png`), animations: 'disabled' });
    await mailbox.setViewportSize(DESKTOP);
  }
  return code;
}

const codeBoxes = () => page.getByRole('textbox', { name: /^Digit \d of \d$/ });
const alert = () => page.getByRole('alert');
const status = () => page.locator('[role="status"]');

describe('the demo page in Chromium', () => {
  it('signs up with the code from the dev mailbox, pasted, and lands signed in with `me`', async () => {
    await page.goto(demo.url);
    await page.getByRole('heading', { name: 'Sign in or create an account' }).waitFor();
    expect(await focused()).toBe('email');
    // The page's icon is served (no 404 in the console or the log).
    expect((await page.request.get(new URL('/favicon.svg', demo.url).href)).status()).toBe(200);
    expect(await page.locator('link[rel="icon"]').getAttribute('href')).toBe('/favicon.svg');
    emailCard = await cardBox();
    await shoot('01-email');

    await page.getByLabel('Email address').fill(EMAIL);
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByRole('heading', { name: 'Confirm your email' }).waitFor();
    expect(await codeBoxes().count()).toBe(6);
    expect(await codeBoxes().first().getAttribute('autocomplete')).toBe('one-time-code');
    // The address as the user typed it, not the gateway's masked form: a typo must be visible here.
    expect(await page.getByText('Enter the 6-digit code we sent to').textContent()).toBe(
      `Enter the 6-digit code we sent to ${EMAIL}.`,
    );
    expect(await focused()).toBe('Digit 1 of 6');
    await expectBoxesAsWideAsButtons();
    expect(await page.getByRole('button', { name: /^Resend code in 0:30$/ }).isDisabled()).toBe(true);
    await shoot('02-sign-up-code');

    const code = await codeFromMailbox(EMAIL, '03-dev-mailbox');
    // Paste the whole code into the first box: it spreads over the six and submits itself.
    await page.bringToFront();
    await codeBoxes().first().focus();
    await page.keyboard.press('Control+V');
    await page.getByRole('heading', { name: "You're signed in" }).waitFor();
    expect(await page.getByTestId('me-email').textContent()).toBe(EMAIL);
    expect(await focused()).toBe('signed-in-title');
    await shoot('04-signed-in');
    expect(code).toHaveLength(6);
  });

  it('signs out back to the email form, address kept and focused', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await status().filter({ hasText: "You've signed out." }).waitFor();
    // The message sits in space the email form always keeps for it: the card is where it was.
    expect(await cardBox()).toEqual(emailCard);
    expect(await page.getByLabel('Email address').inputValue()).toBe(EMAIL);
    expect(await focused()).toBe('email');
    await shoot('05-signed-out');
  });

  it('gateway refusals on the email form: RATE_LIMITED counts down with both buttons off, then USER_EXISTS', async () => {
    // One code per address per 30 s: the sign-up code went out a moment ago.
    const createAccount = page.getByRole('button', { name: 'Create an account' });
    const signIn = page.getByRole('button', { name: 'Email me a sign-in code' });
    await createAccount.click();
    const countdown = page.getByTestId('countdown-notice');
    await countdown.filter({ hasText: /^Too many requests\. Try again in \d+ seconds\.$/ }).waitFor();
    const first = Number(/in (\d+) seconds/.exec((await countdown.textContent()) ?? '')?.[1]);
    expect(first).toBeGreaterThan(10);
    // Screen readers get the message once, in the alert; the ticking copy is hidden from them.
    expect(await alert().textContent()).toContain(`Too many requests. Try again in ${first} seconds.`);
    expect(await countdown.getAttribute('aria-hidden')).toBe('true');
    expect(await createAccount.isDisabled()).toBe(true);
    expect(await signIn.isDisabled()).toBe(true);
    expect(await focused()).toBe('email');
    expect(await cardBox()).toEqual(emailCard);
    await shoot('06-rate-limited');

    // It counts down live...
    await advance(10_000);
    await countdown.filter({ hasText: `Try again in ${first - 10} seconds.` }).waitFor();
    expect(await createAccount.isDisabled()).toBe(true);
    // ...and at zero the message goes and both buttons come back.
    await advance((first - 10) * 1000);
    // (The message and the buttons each follow the clock on their own quarter-second tick.)
    await page.waitForFunction(
      () =>
        document.querySelectorAll('.notice-error').length === 0 &&
        [...document.querySelectorAll<HTMLButtonElement>('.actions button')].every((b) => !b.disabled),
    );
    expect(await createAccount.isEnabled()).toBe(true);
    expect(await signIn.isEnabled()).toBe(true);

    await createAccount.click();
    await alert().filter({ hasText: 'There is already an account with this email.' }).waitFor();
    expect(await focused()).toBe('email');
    expect(await cardBox()).toEqual(emailCard);
    await shoot('06-user-exists');
  });

  it('signs in again: 8 boxes, a countdown to resendAvailableAt, and a wrong code shows its message', async () => {
    // Straight from USER_EXISTS, without moving the clock: a refused sign-up sends nothing, so it
    // leaves the address's send slot to the sign-in it suggests.
    await page.getByRole('button', { name: 'Email me a sign-in code' }).click();
    await page.getByRole('heading', { name: 'Check your email' }).waitFor();
    expect(await codeBoxes().count()).toBe(8);
    expect(await focused()).toBe('Digit 1 of 8');
    await expectBoxesAsWideAsButtons();
    const codeCard = await cardBox();
    await shoot('07-sign-in-code');

    const code = await codeFromMailbox(EMAIL);
    expect(code).toHaveLength(8);
    const wrong = code === '00000000' ? '11111111' : '00000000';
    await page.bringToFront();
    await page.keyboard.type(wrong);
    await alert().filter({ hasText: "That code isn't right. You have 2 attempts left." }).waitFor();
    // The boxes start over, focus back on the first one.
    expect(await codeBoxes().first().inputValue()).toBe('');
    expect(await focused()).toBe('Digit 1 of 8');
    expect(await codeBoxes().first().getAttribute('aria-invalid')).toBe('true');
    expect(await cardBox()).toEqual(codeCard);
    await shoot('08-wrong-code');
  });

  it('resend counts down to resendAvailableAt, then sends a new code that signs in', async () => {
    const resend = page.getByRole('button', { name: /^Resend code/ });
    expect(await resend.textContent()).toBe('Resend code in 0:30');
    expect(await resend.isDisabled()).toBe(true);
    await advance(12_000);
    await page.getByRole('button', { name: 'Resend code in 0:18' }).waitFor();
    await advance(18_000);
    await page.getByRole('button', { name: 'Resend code', exact: true }).waitFor();
    expect(await resend.isEnabled()).toBe(true);
    await shoot('09-resend-ready');

    const sentBefore = gw.emulator.messages(EMAIL).length;
    await resend.click();
    await status()
      .filter({ hasText: `We sent a new code to ${EMAIL}.` })
      .waitFor();
    expect(await resend.textContent()).toBe('Resend code in 0:30');
    expect(gw.emulator.messages(EMAIL)).toHaveLength(sentBefore + 1);
    expect(await focused()).toBe('Digit 1 of 8');
    await shoot('10-code-resent');

    const code = await codeFromMailbox(EMAIL);
    await page.bringToFront();
    await page.keyboard.type(code);
    await page.getByRole('heading', { name: "You're signed in" }).waitFor();
    expect(await page.getByTestId('me-email').textContent()).toBe(EMAIL);
    expect(failedRequests).toEqual([]);
  });
});
