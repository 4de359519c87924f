import { describe, expect, it } from 'vitest';
import { demoBrowser } from './browser.js';

/**
 * The code flows of the demo page in Chromium (setup and helpers: browser.ts): sign-up, sign-out, the
 * gateway's refusals on the email form, sign-in with a wrong code, resend. Passkeys: passkeys.int.test.ts.
 */

const EMAIL = 'yuki@example.com';
const b = demoBrowser();
const { advance, shoot, codeFromMailbox, focused, cardBox, codeBoxes, alert, status } = b;

/** The email form's card with no message, to compare against once messages appear. */
let emailCard: { x: number; y: number; width: number; height: number };

/** The row of code boxes spans exactly the width of the buttons under it. */
async function expectBoxesAsWideAsButtons() {
  const row = await b.page.locator('fieldset.otp').boundingBox();
  const button = await b.page.locator('.actions .primary').boundingBox();
  const last = await codeBoxes().last().boundingBox();
  expect(row && button && last).toBeTruthy();
  if (!row || !button || !last) return;
  expect(Math.abs(row.width - button.width)).toBeLessThanOrEqual(1);
  expect(Math.abs(last.x + last.width - (button.x + button.width))).toBeLessThanOrEqual(1);
}

describe('the demo page in Chromium', () => {
  it('signs up with the code from the dev mailbox, pasted, and lands signed in with `me`', async () => {
    await b.page.goto(b.url);
    await b.page.getByRole('heading', { name: 'Sign in or create an account' }).waitFor();
    expect(await focused()).toBe('email');
    // The page's icon is served (no 404 in the console or the log).
    expect((await b.page.request.get(new URL('/favicon.svg', b.url).href)).status()).toBe(200);
    expect(await b.page.locator('link[rel="icon"]').getAttribute('href')).toBe('/favicon.svg');
    emailCard = await cardBox();
    await shoot('01-email');

    await b.page.getByLabel('Email address').fill(EMAIL);
    await b.page.getByRole('button', { name: 'Create an account' }).click();
    await b.page.getByRole('heading', { name: 'Confirm your email' }).waitFor();
    expect(await codeBoxes().count()).toBe(6);
    expect(await codeBoxes().first().getAttribute('autocomplete')).toBe('one-time-code');
    // The address as the user typed it, not the gateway's masked form: a typo must be visible here.
    expect(await b.page.getByText('Enter the 6-digit code we sent to').textContent()).toBe(
      `Enter the 6-digit code we sent to ${EMAIL}.`,
    );
    expect(await focused()).toBe('Digit 1 of 6');
    await expectBoxesAsWideAsButtons();
    expect(await b.page.getByRole('button', { name: /^Resend code in 0:30$/ }).isDisabled()).toBe(true);
    await shoot('02-sign-up-code');

    const code = await codeFromMailbox(EMAIL, '03-dev-mailbox');
    // Paste the whole code into the first box: it spreads over the six and submits itself.
    await b.page.bringToFront();
    await codeBoxes().first().focus();
    await b.page.keyboard.press('Control+V');
    await b.page.getByRole('heading', { name: "You're signed in" }).waitFor();
    expect(await b.page.getByTestId('me-email').textContent()).toBe(EMAIL);
    expect(await focused()).toBe('signed-in-title');
    expect(await b.page.getByTestId('signed-in-with').textContent()).toBe('A one-time code');
    // The gateway's `passkeys` answer for a new account (passkeys themselves: passkeys.int.test.ts).
    await b.page.getByText('You have no passkeys yet.').waitFor();
    await shoot('04-signed-in', { fullPage: true });
    expect(code).toHaveLength(6);
  });

  it('signs out back to the email form, address kept and focused', async () => {
    await b.page.getByRole('button', { name: 'Sign out' }).click();
    await status().filter({ hasText: "You've signed out." }).waitFor();
    // The message sits in space the email form always keeps for it: the card is where it was.
    expect(await cardBox()).toEqual(emailCard);
    expect(await b.page.getByLabel('Email address').inputValue()).toBe(EMAIL);
    expect(await focused()).toBe('email');
    await shoot('05-signed-out');
  });

  it('gateway refusals on the email form: RATE_LIMITED counts down with both buttons off, then USER_EXISTS', async () => {
    // One code per address per 30 s: the sign-up code went out a moment ago.
    const createAccount = b.page.getByRole('button', { name: 'Create an account' });
    const signIn = b.page.getByRole('button', { name: 'Email me a sign-in code' });
    await createAccount.click();
    const countdown = b.page.getByTestId('countdown-notice');
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
    await b.page.waitForFunction(
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
    await b.page.getByRole('button', { name: 'Email me a sign-in code' }).click();
    await b.page.getByRole('heading', { name: 'Check your email' }).waitFor();
    expect(await codeBoxes().count()).toBe(8);
    expect(await focused()).toBe('Digit 1 of 8');
    await expectBoxesAsWideAsButtons();
    const codeCard = await cardBox();
    await shoot('07-sign-in-code');

    const code = await codeFromMailbox(EMAIL);
    expect(code).toHaveLength(8);
    const wrong = code === '00000000' ? '11111111' : '00000000';
    await b.page.bringToFront();
    await b.page.keyboard.type(wrong);
    await alert().filter({ hasText: "That code isn't right. You have 2 attempts left." }).waitFor();
    // The boxes start over, focus back on the first one.
    expect(await codeBoxes().first().inputValue()).toBe('');
    expect(await focused()).toBe('Digit 1 of 8');
    expect(await codeBoxes().first().getAttribute('aria-invalid')).toBe('true');
    expect(await cardBox()).toEqual(codeCard);
    await shoot('08-wrong-code');
  });

  it('resend counts down to resendAvailableAt, then sends a new code that signs in', async () => {
    const resend = b.page.getByRole('button', { name: /^Resend code/ });
    expect(await resend.textContent()).toBe('Resend code in 0:30');
    expect(await resend.isDisabled()).toBe(true);
    await advance(12_000);
    await b.page.getByRole('button', { name: 'Resend code in 0:18' }).waitFor();
    await advance(18_000);
    await b.page.getByRole('button', { name: 'Resend code', exact: true }).waitFor();
    expect(await resend.isEnabled()).toBe(true);
    await shoot('09-resend-ready');

    const sentBefore = b.gw.emulator.messages(EMAIL).length;
    await resend.click();
    await status()
      .filter({ hasText: `We sent a new code to ${EMAIL}.` })
      .waitFor();
    expect(await resend.textContent()).toBe('Resend code in 0:30');
    expect(b.gw.emulator.messages(EMAIL)).toHaveLength(sentBefore + 1);
    expect(await focused()).toBe('Digit 1 of 8');
    await shoot('10-code-resent');

    const code = await codeFromMailbox(EMAIL);
    await b.page.bringToFront();
    await b.page.keyboard.type(code);
    await b.page.getByRole('heading', { name: "You're signed in" }).waitFor();
    expect(await b.page.getByTestId('me-email').textContent()).toBe(EMAIL);
    expect(b.failedRequests).toEqual([]);
  });
});
