import {
  type AuthStep,
  type Challenge,
  type CodeStep as CodeStepName,
  isOtpgateError,
  type OtpgateClient,
  OtpgateError,
  type PasskeyError,
  passkeysSupported,
  type User,
} from '@otpgate/client';
import { useState } from 'react';
import { CodeStep } from './CodeStep.js';
import type { DemoConfig } from './config.js';
import { EmailStep, type Flow } from './EmailStep.js';
import { describeError, describePasskeyError, PASSKEY_WAITING } from './messages.js';
import type { NoticeData } from './Notice.js';
import { PasskeyStep } from './PasskeyStep.js';
import { asPasskeyFailure, passkeyAvailability } from './passkey-support.js';
import { SignedIn } from './SignedIn.js';
import { useCountdown } from './use-countdown.js';

type Screen =
  | { name: 'email'; notice: NoticeData | null }
  | {
      name: 'code';
      step: CodeStepName;
      challenge: Challenge;
      resendAt: number;
      notice: NoticeData | null;
    }
  | { name: 'passkey'; notice: NoticeData | null }
  | { name: 'signed-in'; user: User | null; expiresIn: number; method: SignInMethod };

type SignInMethod = 'code' | 'passkey';

const asError = (error: unknown) =>
  isOtpgateError(error) ? error : new OtpgateError('INTERNAL_SERVER_ERROR', String(error));

/**
 * The notice for a failure. A wait the gateway names (RATE_LIMITED, UPSTREAM_UNAVAILABLE) counts down
 * live and holds back what it `blocks` until zero: pressing the button earlier would only be refused.
 */
function errorNotice(error: OtpgateError, blocks: 'send' | 'verify'): NoticeData {
  const { text } = describeError(error);
  const seconds = error.retryAfterSeconds;
  if (seconds === undefined || seconds <= 0) return { tone: 'error', text };
  return {
    tone: 'error',
    text,
    countdown: {
      until: Date.now() + seconds * 1000,
      blocks,
      text: (left) => describeError(error, left).text,
    },
  };
}

/**
 * The sign-in page as one small state machine over the client's AuthStep: email -> code (or the
 * browser's passkey prompt) -> signed in. Every transition is a client call; every failure becomes a
 * message from messages.ts. A passkey sign-in that fails or is cancelled offers the code instead.
 */
export function App({ client, config }: { client: OtpgateClient; config: DemoConfig }) {
  const [email, setEmail] = useState('');
  // Decided once: a browser does not gain WebAuthn, nor a page its name, while it is open.
  const [passkeys] = useState(() => passkeyAvailability(window.location, passkeysSupported()));
  const [screen, setScreen] = useState<Screen>({ name: 'email', notice: null });
  const [busy, setBusy] = useState(false);
  const notice = screen.name === 'signed-in' ? null : screen.notice;
  // Seconds left of the current notice's wait; while above zero, the buttons it blocks are disabled.
  const waiting = useCountdown(notice?.countdown?.until ?? 0) > 0;
  const blocked = (what: 'send' | 'verify') => waiting && notice?.countdown?.blocks === what;

  /** Runs one call with the page marked busy; failures go to `onError` as `convert` makes them. */
  async function attempt<E>(
    call: () => Promise<void>,
    convert: (error: unknown) => E,
    onError: (error: E) => void,
  ) {
    setBusy(true);
    try {
      await call();
    } catch (error) {
      onError(convert(error));
    } finally {
      setBusy(false);
    }
  }
  /** A code-flow call: failures as OtpgateError. */
  const run = (call: () => Promise<void>, onError: (error: OtpgateError) => void) =>
    attempt(call, asError, onError);
  /** A passkey call: failures from the gateway (OtpgateError) or the browser (PasskeyError). */
  const runPasskey = (call: () => Promise<void>, onError: (error: OtpgateError | PasskeyError) => void) =>
    attempt(call, asPasskeyFailure, onError);

  const restart = (notice: NoticeData | null) => setScreen({ name: 'email', notice });

  /** The screen for a step: a code to enter, or (DONE) the signed-in view with `me`. */
  async function show(step: AuthStep, notice: NoticeData | null, method: SignInMethod = 'code') {
    if (step.nextStep === 'DONE') {
      const user = await client.me();
      setScreen({ name: 'signed-in', user, expiresIn: step.tokens.expiresIn, method });
      return;
    }
    setScreen({
      name: 'code',
      step: step.nextStep,
      challenge: step.challenge,
      resendAt: step.challenge.resendAvailableAt.getTime(),
      notice,
    });
  }

  /**
   * Passkey sign-in for `address`: startSignIn(PASSKEY), the browser's prompt, verifyPasskey. Every
   * failure stays on the passkey card with its message and the code as the way on.
   */
  const signInWithPasskey = (address: string) => {
    setEmail(address);
    setScreen({ name: 'passkey', notice: { tone: 'info', text: PASSKEY_WAITING } });
    void runPasskey(
      async () => show(await client.signInWithPasskey({ email: address }), null, 'passkey'),
      (error) => {
        const { text, effect } = describePasskeyError(error, 'sign-in');
        if (effect === 'restart') restart({ tone: 'error', text });
        else setScreen({ name: 'passkey', notice: { tone: 'error', text } });
      },
    );
  };

  const start = (address: string, flow: Flow) => {
    if (flow === 'PASSKEY') return signInWithPasskey(address);
    setEmail(address);
    void run(
      async () => {
        const step =
          flow === 'SIGN_UP'
            ? await client.signUp({ email: address })
            : await client.startSignIn({ email: address });
        await show(step, null);
      },
      (error) => setScreen({ name: 'email', notice: errorNotice(error, 'send') }),
    );
  };

  const verify = (code: string) => {
    if (screen.name !== 'code') return;
    const { step, challenge } = screen;
    void run(
      async () => {
        const input = { handle: challenge.handle, code };
        const next =
          step === 'CONFIRM_SIGN_UP' ? await client.confirmSignUp(input) : await client.verifyOtp(input);
        // confirmSignUp signs in with Cognito's session; past its window the gateway sends a sign-in code.
        await show(next, {
          tone: 'info',
          text: 'Your email is confirmed. We sent you a sign-in code to finish.',
        });
      },
      (error) => {
        const { text, effect } = describeError(error);
        if (effect === 'restart') restart({ tone: 'error', text });
        else setScreen({ ...screen, notice: errorNotice(error, 'verify') });
      },
    );
  };

  const resend = () => {
    if (screen.name !== 'code') return;
    void run(
      async () => {
        const next = await client.resendOtp({ handle: screen.challenge.handle });
        await show(next, {
          tone: 'info',
          text: `We sent a new code to ${shownAddress(screen.challenge)}.`,
        });
      },
      (error) => {
        const { text, effect } = describeError(error);
        if (effect === 'restart') return restart({ tone: 'error', text });
        // The gateway's clock decides: its retryAfterSeconds replaces our countdown's target.
        const resendAt =
          error.code === 'RATE_LIMITED' && error.retryAfterSeconds !== undefined
            ? Date.now() + error.retryAfterSeconds * 1000
            : screen.resendAt;
        setScreen({ ...screen, resendAt, notice: errorNotice(error, 'send') });
      },
    );
  };

  /**
   * Where the code went, as the user typed it: the gateway's masked form (`y***@e***`) hides the very
   * typo the user needs to see. A phone number (SMS) is shown as the gateway gives it.
   */
  const shownAddress = (challenge: Challenge) =>
    challenge.delivery.medium === 'EMAIL' && email !== '' ? email : challenge.delivery.destination;

  const signOut = () => {
    void run(
      async () => {
        await client.signOut();
        restart({ tone: 'info', text: "You've signed out." });
      },
      // The client forgets the tokens even when the gateway could not be told.
      (error) => restart({ tone: 'error', text: `Signed out on this device. ${describeError(error).text}` }),
    );
  };

  return (
    <div className="page">
      <header className="brand">
        <span className="logo" aria-hidden="true">
          L
        </span>
        <span className="brand-name">Lumen &amp; Co.</span>
      </header>
      <main>
        {screen.name === 'email' && (
          <EmailStep
            email={email}
            notice={screen.notice}
            busy={busy}
            blocked={blocked('send')}
            passkeys={passkeys}
            onSubmit={start}
          />
        )}
        {screen.name === 'passkey' && (
          <PasskeyStep
            address={email}
            notice={screen.notice}
            busy={busy}
            onRetry={() => signInWithPasskey(email)}
            onUseCode={() => start(email, 'SIGN_IN')}
            onBack={() => restart(null)}
          />
        )}
        {screen.name === 'code' && (
          <CodeStep
            step={screen.step}
            challenge={screen.challenge}
            address={shownAddress(screen.challenge)}
            resendAt={screen.resendAt}
            notice={screen.notice}
            busy={busy}
            verifyBlocked={blocked('verify')}
            onVerify={verify}
            onResend={resend}
            onBack={() => restart(null)}
          />
        )}
        {screen.name === 'signed-in' && (
          <SignedIn
            client={client}
            user={screen.user}
            expiresIn={screen.expiresIn}
            method={screen.method}
            passkeys={passkeys}
            busy={busy}
            onSignOut={signOut}
            onSessionEnded={(text) => restart({ tone: 'error', text })}
          />
        )}
      </main>
      <footer className="footer">
        <span>Demo storefront on otpgate</span>
        {config.mailboxUrl && (
          <a href={config.mailboxUrl} target="_blank" rel="noopener noreferrer">
            Local mode: open the dev mailbox
          </a>
        )}
      </footer>
    </div>
  );
}
