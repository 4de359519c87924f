import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestGateway, type TestGateway } from '@otpgate/gateway/testing';
import { freePort } from '@otpgate/testing';
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, expect } from 'vitest';
import { type DemoServer, startDemoServer } from '../server/demo-server.js';

/**
 * The demo page in Debian's Chromium, end to end, for the browser tests (e2e.int.test.ts,
 * passkeys.int.test.ts): Vite builds the page, its own static server (server/demo-server.ts, which
 * local mode uses too) serves it on its own origin (so every call crosses CORS, as from a real
 * storefront), and the test gateway (emulator + gateway) answers. Codes are read from the emulator's
 * dev mailbox page.
 *
 * The page is opened as `http://localhost:<port>`: `localhost` is the pool's passkey relying party
 * (an IP address cannot be one), and that origin is the profile's only allowed and WebAuthn origin.
 *
 * Time: the gateway's clock is manual and the page's `Date.now()` is pinned to it with Playwright's
 * `clock.setFixedTime`, so "Resend code in 0:30" is exact and moving both clocks together replaces
 * waiting 30 s for the resend window.
 *
 * Screenshots, desktop and phone width, go to a temporary folder; with UPDATE_SCREENSHOTS=1
 * (`pnpm --filter @otpgate/demo-web screenshots`) to docs/screenshots for the README.
 */

const DEMO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCS_SCREENSHOTS = fileURLToPath(new URL('../../../docs/screenshots/', import.meta.url));
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
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

export interface DemoBrowser {
  /** Set once the suite's beforeAll ran. */
  readonly gw: TestGateway;
  readonly demo: DemoServer;
  readonly context: BrowserContext;
  /** The demo page's tab. */
  readonly page: Page;
  /** `http://localhost:<port>/`: the demo page's address. */
  readonly url: string;
  /** Every answer of the demo page's origin that was not a success (a missing favicon, say). */
  readonly failedRequests: string[];
  /** Moves the gateway's and the page's clocks together. */
  advance(ms: number): Promise<void>;
  /**
   * Desktop and phone screenshots of the page as it is; at phone width nothing may overflow sideways.
   * `fullPage` for screens taller than the window (the signed-in card with its passkeys).
   */
  shoot(name: string, options?: { fullPage?: boolean }): Promise<void>;
  /** The newest code sent to `to`, read off the dev mailbox page (and copied with its Copy button). */
  codeFromMailbox(to: string, shot?: string): Promise<string>;
  /** Names the focused element: its aria-label, else its id, else its text. */
  focused(): Promise<string>;
  /** The card's box: it must not move or grow when a message appears (its space is reserved). */
  cardBox(): Promise<{ x: number; y: number; width: number; height: number }>;
  codeBoxes(): Locator;
  alert(): Locator;
  status(): Locator;
}

/**
 * The demo page, the test gateway and Chromium for one test file: started in beforeAll, closed in
 * afterAll. Properties are read inside tests (they are set by then), functions may be taken at once.
 */
export function demoBrowser(): DemoBrowser {
  let workDir: string | undefined;
  let shotsDir = '';
  let gw: TestGateway | undefined;
  let demo: DemoServer | undefined;
  let context: BrowserContext | undefined;
  let page: Page | undefined;
  let mailbox: Page | undefined;
  let url = '';
  const failedRequests: string[] = [];
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('demoBrowser: used before its beforeAll ran');
    return value;
  };

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
    const origin = `http://localhost:${port}`;
    gw = await startTestGateway({
      profiles: {
        shop: {
          allowedOrigins: [origin],
          webAuthnOrigins: [origin],
          pool: { webAuthn: { relyingPartyId: 'localhost', userVerification: 'required' } },
        },
      },
    });
    demo = await startDemoServer({
      root: outDir,
      graphqlUrl: `${gw.url}/graphql`,
      clientName: 'shop',
      mailboxUrl: `${gw.emulator.url}/_dev/mailbox`,
      port,
    });
    url = `${origin}/`;

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
      if (response.url().startsWith(url) && response.status() >= 400) {
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

  const pageOf = () => ready(page);

  async function shoot(name: string, { fullPage = false } = {}) {
    const tab = pageOf();
    await tab.bringToFront();
    const options = { animations: 'disabled', fullPage } as const;
    await tab.screenshot({ path: join(shotsDir, `${name}-desktop.png`), ...options });
    await tab.setViewportSize(PHONE);
    const overflow = await tab.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${name}: horizontal overflow at phone width`).toBeLessThanOrEqual(0);
    await tab.screenshot({ path: join(shotsDir, `${name}-phone.png`), ...options });
    await tab.setViewportSize(DESKTOP);
  }

  async function codeFromMailbox(to: string, shot?: string): Promise<string> {
    const box = ready(mailbox);
    await box.goto(`${ready(gw).emulator.url}/_dev/mailbox?to=${encodeURIComponent(to)}`);
    const newest = box.locator('#messages tbody tr').first();
    const code = (await newest.locator('code.code').textContent())?.trim() ?? '';
    expect(code).toMatch(/^\d{6,8}$/);
    await newest.getByRole('button', { name: /^Copy code/ }).click();
    await box
      .getByRole('status')
      .filter({ hasText: `Copied ${code}.` })
      .waitFor();
    if (shot) {
      await box.bringToFront();
      await box.screenshot({ path: join(shotsDir, `${shot}-desktop.png`), animations: 'disabled' });
      // A phone: nothing wider than the screen, and the address on one line, not broken every few letters.
      await box.setViewportSize(PHONE);
      const width = await box.evaluate(() => document.documentElement.scrollWidth);
      expect(width, 'dev mailbox: horizontal overflow at 390 px').toBeLessThanOrEqual(PHONE.width);
      const address = await newest.locator('td.to').evaluate((cell) => {
        const range = document.createRange();
        range.selectNodeContents(cell);
        return { lines: range.getClientRects().length, text: cell.textContent };
      });
      expect(address).toEqual({ lines: 1, text: to });
      await box.screenshot({ path: join(shotsDir, `${shot}-phone.png`), animations: 'disabled' });
      await box.setViewportSize(DESKTOP);
    }
    return code;
  }

  return {
    get gw() {
      return ready(gw);
    },
    get demo() {
      return ready(demo);
    },
    get context() {
      return ready(context);
    },
    get page() {
      return pageOf();
    },
    get url() {
      return ready(url || undefined);
    },
    failedRequests,
    async advance(ms: number) {
      ready(gw).clock.advance(ms);
      await ready(context).clock.setFixedTime(ready(gw).clock.now());
    },
    shoot,
    codeFromMailbox,
    focused: () =>
      pageOf().evaluate(() => {
        const element = document.activeElement;
        return element?.getAttribute('aria-label') || element?.id || element?.textContent || '';
      }),
    async cardBox() {
      const box = await pageOf().locator('.card').boundingBox();
      if (!box) throw new Error('no .card on the page');
      return box;
    },
    codeBoxes: () => pageOf().getByRole('textbox', { name: /^Digit \d of \d$/ }),
    alert: () => pageOf().getByRole('alert'),
    status: () => pageOf().locator('[role="status"]'),
  };
}
