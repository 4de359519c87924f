import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Notice, type NoticeData } from './Notice.js';

export type Flow = 'SIGN_IN' | 'SIGN_UP';

export interface EmailStepProps {
  email: string;
  notice: NoticeData | null;
  busy: boolean;
  /** A wait from the gateway is counting down: both buttons would send a code, so both wait. */
  blocked: boolean;
  onSubmit(email: string, flow: Flow): void;
}

/**
 * The first screen: one email field and two ways on. Enter (the form's first button) signs in, the
 * common case; "Create an account" signs up.
 */
export function EmailStep({ email, notice, busy, blocked, onSubmit }: EmailStepProps) {
  const [value, setValue] = useState(email);
  const [problem, setProblem] = useState<NoticeData | null>(null);
  const input = useRef<HTMLInputElement>(null);
  const shown = problem ?? notice;

  // On arrival, and again with every notice from the gateway: the buttons were disabled while the
  // request ran, which drops focus to the page, and the field is what the user fixes next.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs per notice object, on purpose.
  useEffect(() => {
    input.current?.focus();
  }, [notice]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const submitter = (event.nativeEvent as SubmitEvent).submitter as HTMLButtonElement | null;
    const flow: Flow = submitter?.value === 'SIGN_UP' ? 'SIGN_UP' : 'SIGN_IN';
    const trimmed = value.trim();
    // The gateway checks the address too (BAD_USER_INPUT, field "email"); this only saves a round trip.
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed)) {
      setProblem({ tone: 'error', text: 'Enter a valid email address, like name@example.com.' });
      input.current?.focus();
      return;
    }
    setProblem(null);
    if (!blocked) onSubmit(trimmed, flow);
  };

  return (
    <form className="card" onSubmit={submit} noValidate aria-busy={busy}>
      <h1 id="email-title">Sign in or create an account</h1>
      <p className="lead">No password needed: we email you a one-time code.</p>
      <label className="field" htmlFor="email">
        <span>Email address</span>
        <input
          ref={input}
          id="email"
          name="email"
          type="email"
          inputMode="email"
          autoComplete="email"
          autoCapitalize="none"
          spellCheck={false}
          placeholder="name@example.com"
          value={value}
          aria-invalid={shown?.tone === 'error'}
          aria-describedby="email-notice"
          onChange={(event) => setValue(event.target.value)}
        />
      </label>
      <Notice id="email-notice" notice={shown} />
      <div className="actions">
        <button className="primary" type="submit" name="flow" value="SIGN_IN" disabled={busy || blocked}>
          Email me a sign-in code
        </button>
        <button className="secondary" type="submit" name="flow" value="SIGN_UP" disabled={busy || blocked}>
          Create an account
        </button>
      </div>
    </form>
  );
}
