import type { CDPSession } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { PASSKEY_REFUSED, passkeyAddedText } from '../src/messages.js';
import { demoBrowser } from './browser.js';

/**
 * Passkeys on the demo page in Chromium (setup and helpers: browser.ts), driven by a CDP virtual
 * authenticator: a platform authenticator (CTAP2, internal transport) with discoverable credentials
 * and user verification, as a phone or laptop with a screen lock is. The emulator verifies every
 * attestation and assertion for real; the test checks the page's text, the gateway's answers (the
 * list the page shows) and the authenticator's own state (its credentials and their sign counter).
 */

const EMAIL = 'aiko@example.com';
const NOBODY = 'nobody@example.com';
const b = demoBrowser();
const { advance, shoot, codeFromMailbox, focused, codeBoxes, alert, status } = b;

let cdp: CDPSession;
let authenticatorId: string;

interface VirtualCredential {
  credentialId: string;
  isResidentCredential: boolean;
  rpId: string;
  signCount: number;
}

/** The credentials the virtual authenticator holds (its own view, not the gateway's). */
async function credentials(): Promise<VirtualCredential[]> {
  const answer = (await cdp.send('WebAuthn.getCredentials', { authenticatorId })) as {
    credentials: VirtualCredential[];
  };
  return answer.credentials;
}

/** CDP gives credential ids in base64; WebAuthn JSON (and so the gateway) in base64url. */
const base64url = (base64: string) => base64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

const heading = (name: string) => b.page.getByRole('heading', { name, level: 1 });
const button = (name: string | RegExp) => b.page.getByRole('button', { name });
const passkeyItems = () => b.page.locator('.passkey-list li');

beforeAll(async () => {
  cdp = await b.context.newCDPSession(b.page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const added = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  authenticatorId = added.authenticatorId;
});

describe('passkeys on the demo page, with a CDP virtual authenticator', () => {
  it('signs up with a code, adds a passkey, and lists it as the gateway registered it', async () => {
    await b.page.goto(b.url);
    await b.page.getByLabel('Email address').fill(EMAIL);
    await button('Create an account').click();
    await heading('Confirm your email').waitFor();
    const code = await codeFromMailbox(EMAIL);
    await b.page.bringToFront();
    await b.page.keyboard.type(code);
    await heading("You're signed in").waitFor();
    expect(await b.page.getByTestId('signed-in-with').textContent()).toBe('A one-time code');
    await b.page.getByText('You have no passkeys yet.').waitFor();
    expect(await credentials()).toEqual([]);

    await button('Add a passkey').click();
    await status()
      .filter({ hasText: 'Passkey added: Platform passkey. Next time, sign in with it instead of a code.' })
      .waitFor();
    const [created, ...more] = await credentials();
    expect(more).toEqual([]);
    expect(created).toMatchObject({ rpId: 'localhost', isResidentCredential: true });
    // The list is the gateway's `passkeys` answer: the credential the authenticator made, by name and date.
    expect(await passkeyItems().count()).toBe(1);
    const item = passkeyItems().first();
    expect(await item.getAttribute('data-credential-id')).toBe(base64url(created?.credentialId ?? ''));
    expect(await item.locator('.passkey-name').textContent()).toBe('Platform passkey');
    expect(await item.locator('.passkey-date').textContent()).toBe(
      passkeyAddedText(new Date(b.gw.clock.now()), 'en-GB', 'UTC'),
    );
    expect(await b.page.getByText('You have no passkeys yet.').count()).toBe(0);
    await shoot('11-passkey-added', { fullPage: true });
  });

  it('signs out; the email form offers the passkey; a prompt the device does not confirm is cancelled', async () => {
    await button('Sign out').click();
    await status().filter({ hasText: "You've signed out." }).waitFor();
    const passkey = button('Sign in with a passkey');
    expect(await passkey.isEnabled()).toBe(true);
    expect(await b.page.locator('#passkey-hint').count()).toBe(0);
    await passkey.focus();
    await shoot('12-passkey-button');

    // The device's screen lock is not passed: the browser reports a cancelled prompt.
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
    const sentBefore = b.gw.emulator.messages(EMAIL).length;
    await passkey.click();
    await heading('Sign in with a passkey').waitFor();
    await alert()
      .filter({
        hasText: 'The passkey sign-in was cancelled or not confirmed. Try again, or use a code instead.',
      })
      .waitFor();
    expect(await b.page.locator('.destination').textContent()).toBe(EMAIL);
    // The way on is the code, focused; nothing was sent in the meantime.
    await expect.poll(focused).toBe('Use a code instead');
    expect(b.gw.emulator.messages(EMAIL)).toHaveLength(sentBefore);
    await shoot('13-passkey-cancelled');
  });

  it('signs in with the passkey: the gateway verifies the assertion, and the passkey is listed', async () => {
    await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });
    const [before] = await credentials();
    const sentBefore = b.gw.emulator.messages(EMAIL).length;
    await button('Try the passkey again').click();
    await heading("You're signed in").waitFor();
    expect(await b.page.getByTestId('me-email').textContent()).toBe(EMAIL);
    expect(await b.page.getByTestId('signed-in-with').textContent()).toBe('A passkey');
    // The authenticator signed (its counter moved) and no code went out.
    const [after] = await credentials();
    expect(after?.signCount).toBeGreaterThan(before?.signCount ?? Number.POSITIVE_INFINITY);
    expect(b.gw.emulator.messages(EMAIL)).toHaveLength(sentBefore);
    await passkeyItems().first().waitFor();
    expect(await passkeyItems().count()).toBe(1);
    expect(await passkeyItems().first().getAttribute('data-credential-id')).toBe(
      base64url(after?.credentialId ?? ''),
    );
    await shoot('14-signed-in-with-passkey', { fullPage: true });
  });

  it('deletes the passkey; the next passkey sign-in is refused, and "Use a code instead" signs in', async () => {
    await button(/^Delete Platform passkey, added /).click();
    await status().filter({ hasText: 'Passkey deleted: Platform passkey.' }).waitFor();
    await b.page.getByText('You have no passkeys yet.').waitFor();
    expect(await passkeyItems().count()).toBe(0);
    // Deleted at the gateway only: the device still holds it, and will offer it.
    expect(await credentials()).toHaveLength(1);

    await button('Sign out').click();
    await status().filter({ hasText: "You've signed out." }).waitFor();
    await button('Sign in with a passkey').click();
    await heading('Sign in with a passkey').waitFor();
    await alert().filter({ hasText: PASSKEY_REFUSED }).waitFor();
    expect(await alert().textContent()).toBe(
      "That passkey didn't sign you in. Use a code instead, or try another passkey.",
    );
    await expect.poll(focused).toBe('Use a code instead');
    await shoot('15-passkey-refused');

    // The sign-up code went out moments ago (the clocks stood still): one code per address per 30 s.
    await advance(30_000);
    const sentBefore = b.gw.emulator.messages(EMAIL).length;
    await button('Use a code instead').click();
    await heading('Check your email').waitFor();
    expect(await codeBoxes().count()).toBe(8);
    expect(b.gw.emulator.messages(EMAIL)).toHaveLength(sentBefore + 1);
    const code = await codeFromMailbox(EMAIL);
    await b.page.bringToFront();
    await b.page.keyboard.type(code);
    await heading("You're signed in").waitFor();
    expect(await b.page.getByTestId('signed-in-with').textContent()).toBe('A one-time code');
  });

  it('an unknown address reads exactly like the refused passkey (no account leak)', async () => {
    await button('Sign out').click();
    await status().filter({ hasText: "You've signed out." }).waitFor();
    await b.page.getByLabel('Email address').fill(NOBODY);
    await button('Sign in with a passkey').click();
    await heading('Sign in with a passkey').waitFor();
    await alert().filter({ hasText: PASSKEY_REFUSED }).waitFor();
    expect(await alert().textContent()).toBe(PASSKEY_REFUSED);
    expect(b.gw.emulator.messages(NOBODY)).toEqual([]);
    expect(b.failedRequests).toEqual([]);
  });

  it('opened by IP address, the page keeps the passkey button off and names the address that works', async () => {
    const byIp = await b.context.newPage();
    try {
      await byIp.goto(b.url.replace('//localhost:', '//127.0.0.1:'));
      const passkey = byIp.getByRole('button', { name: 'Sign in with a passkey' });
      await passkey.waitFor();
      expect(await passkey.isDisabled()).toBe(true);
      expect(await passkey.getAttribute('aria-describedby')).toBe('passkey-hint');
      expect(await byIp.locator('#passkey-hint').textContent()).toBe(
        `Passkeys need the site's name in the address bar, not an IP address: open ${b.url.replace(/\/$/, '')}.`,
      );
    } finally {
      await byIp.close();
    }
  });

  it('in a browser without WebAuthn, the passkey button is off and the page says so', async () => {
    const bare = await b.context.newPage();
    try {
      // This tab's window has no PublicKeyCredential, as in a browser that never had WebAuthn.
      await bare.addInitScript(() => {
        delete (window as { PublicKeyCredential?: unknown }).PublicKeyCredential;
      });
      await bare.goto(b.url);
      const passkey = bare.getByRole('button', { name: 'Sign in with a passkey' });
      await passkey.waitFor();
      expect(await passkey.isDisabled()).toBe(true);
      expect(await bare.locator('#passkey-hint').textContent()).toBe(
        "This browser can't use passkeys, so sign in with a code.",
      );
      // The code path is untouched.
      expect(await bare.getByRole('button', { name: 'Email me a sign-in code' }).isEnabled()).toBe(true);
    } finally {
      await bare.close();
    }
  });
});
