import { type FormEvent, useEffect, useRef } from 'react';
import { Notice, type NoticeData } from './Notice.js';

export interface PasskeyStepProps {
  /** The address the passkey is for, as the user typed it. */
  address: string;
  notice: NoticeData | null;
  /** The browser's prompt is open, or the gateway is checking its answer. */
  busy: boolean;
  onRetry(): void;
  onUseCode(): void;
  onBack(): void;
}

/**
 * Passkey sign-in: the browser's own prompt does the work, this card says what is going on and, when
 * it fails or is cancelled, offers the code instead (the same address, a normal sign-in code).
 */
export function PasskeyStep({ address, notice, busy, onRetry, onUseCode, onBack }: PasskeyStepProps) {
  const heading = useRef<HTMLHeadingElement>(null);
  const useCode = useRef<HTMLButtonElement>(null);
  const failed = notice?.tone === 'error';

  useEffect(() => {
    heading.current?.focus();
  }, []);
  // After a failure the way on is the code: focus it, so Enter takes it.
  useEffect(() => {
    if (failed && !busy) useCode.current?.focus();
  }, [failed, busy]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!busy) onRetry();
  };

  return (
    <form className="card" onSubmit={submit} aria-busy={busy}>
      <h1 ref={heading} tabIndex={-1}>
        Sign in with a passkey
      </h1>
      <p className="lead">
        Use the passkey you saved for <strong className="destination">{address}</strong> on this device or
        your phone.
      </p>
      <Notice id="passkey-notice" notice={notice} />
      <div className="actions">
        <button className="primary" type="submit" disabled={busy}>
          Try the passkey again
        </button>
        <button ref={useCode} className="secondary" type="button" onClick={onUseCode} disabled={busy}>
          Use a code instead
        </button>
      </div>
      <button className="link" type="button" onClick={onBack} disabled={busy}>
        Use a different email
      </button>
    </form>
  );
}
