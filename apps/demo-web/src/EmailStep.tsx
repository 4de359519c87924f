import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Notice, type NoticeData } from './Notice.js';
import { PasskeyHint } from './PasskeyHint.js';
import type { PasskeyAvailability } from './passkey-support.js';

/** What the email form's buttons start: a sign-in code, an account, or a passkey sign-in. */
export type Flow = 'SIGN_IN' | 'SIGN_UP' | 'PASSKEY';

export interface EmailStepProps {
  email: string;
  notice: NoticeData | null;
  busy: boolean;
  /** A wait from the gateway is counting down: the two code buttons would send a code, so both wait. */
  blocked: boolean;
  /** Whether "Sign in with a passkey" can work here; off with a sentence saying why when not. */
  passkeys: PasskeyAvailability;
  onSubmit(email: string, flow: Flow): void;
}

const FLOWS: readonly string[] = ['SIGN_IN', 'SIGN_UP', 'PASSKEY'] satisfies Flow[];

/**
 * The first screen: one email field and three ways on. Enter (the form's first button) signs in with
 * a code, the common case; "Sign in with a passkey" uses the browser's passkey instead (it sends
 * nothing, so a send countdown does not hold it back); "Create an account" signs up.
 */
export function EmailStep({ email, notice, busy, blocked, passkeys, onSubmit }: EmailStepProps) {
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
    const flow = (FLOWS.includes(submitter?.value ?? '') ? submitter?.value : 'SIGN_IN') as Flow;
    const trimmed = value.trim();
    // The gateway checks the address too (BAD_USER_INPUT, field "email"); this only saves a round trip.
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(trimmed)) {
      setProblem({ tone: 'error', text: 'Enter a valid email address, like name@example.com.' });
      input.current?.focus();
      return;
    }
    setProblem(null);
    if (flow === 'PASSKEY' ? passkeys.usable : !blocked) onSubmit(trimmed, flow);
  };

  return (
    <form className="card" onSubmit={submit} noValidate aria-busy={busy}>
      <h1 id="email-title">Sign in or create an account</h1>
      <p className="lead">No password needed: we email you a one-time code, or you use a passkey.</p>
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
        <button
          className="secondary"
          type="submit"
          name="flow"
          value="PASSKEY"
          disabled={busy || !passkeys.usable}
          {...(!passkeys.usable && { 'aria-describedby': 'passkey-hint' })}
        >
          Sign in with a passkey
        </button>
        <button className="secondary" type="submit" name="flow" value="SIGN_UP" disabled={busy || blocked}>
          Create an account
        </button>
      </div>
      <PasskeyHint id="passkey-hint" availability={passkeys} ceremony="sign-in" />
    </form>
  );
}
