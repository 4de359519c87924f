import type { Challenge, CodeStep as CodeStepName } from '@otpgate/client';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { Notice, type NoticeData } from './Notice.js';
import { OtpInput, type OtpInputHandle } from './OtpInput.js';
import { formatClock, useCountdown } from './use-countdown.js';

export interface CodeStepProps {
  step: CodeStepName;
  challenge: Challenge;
  /** Where the code went, as the user typed it (the challenge's own destination is masked). */
  address: string;
  /** When the resend button comes alive, epoch ms: the challenge's `resendAvailableAt`, or later after a RATE_LIMITED. */
  resendAt: number;
  notice: NoticeData | null;
  busy: boolean;
  /** A wait from the gateway (RATE_LIMITED on a verify) is counting down: no code is checked until zero. */
  verifyBlocked: boolean;
  onVerify(code: string): void;
  onResend(): void;
  onBack(): void;
}

const TITLES: Record<CodeStepName, string> = {
  CONFIRM_SIGN_UP: 'Confirm your email',
  CONFIRM_SIGN_IN_WITH_EMAIL_CODE: 'Check your email',
  CONFIRM_SIGN_IN_WITH_SMS_CODE: 'Check your phone',
};

/** The code screen: N boxes, verify, a resend button that counts down, and a way back. */
export function CodeStep(props: CodeStepProps) {
  const { step, challenge, address, resendAt, notice, busy, verifyBlocked, onVerify, onResend, onBack } =
    props;
  const [code, setCode] = useState('');
  const boxes = useRef<OtpInputHandle>(null);
  const wait = useCountdown(resendAt);
  const error = notice?.tone === 'error';

  // A new notice (wrong code, new code sent) starts the entry over: empty boxes, focus on the first.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs per notice object, on purpose.
  useEffect(() => {
    setCode('');
    boxes.current?.focus(0);
  }, [notice, challenge.handle]);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (code.length === challenge.codeLength) {
      if (!verifyBlocked) onVerify(code);
    } else boxes.current?.focus();
  };

  const { medium } = challenge.delivery;
  return (
    <form className="card" onSubmit={submit} aria-busy={busy}>
      <h1>{TITLES[step]}</h1>
      <p className="lead" id="code-instructions">
        Enter the {challenge.codeLength}-digit code we sent {medium === 'SMS' ? 'by text to' : 'to'}{' '}
        <strong className="destination">{address}</strong>.
      </p>
      <OtpInput
        ref={boxes}
        length={challenge.codeLength}
        value={code}
        onChange={setCode}
        onComplete={(full) => {
          if (!verifyBlocked) onVerify(full);
        }}
        labelledBy="code-instructions"
        {...(error && { errorId: 'code-notice' })}
        disabled={busy}
      />
      <Notice id="code-notice" notice={notice} />
      <div className="actions">
        <button
          className="primary"
          type="submit"
          disabled={busy || verifyBlocked || code.length !== challenge.codeLength}
        >
          {step === 'CONFIRM_SIGN_UP' ? 'Confirm and sign in' : 'Sign in'}
        </button>
        <button className="secondary" type="button" onClick={onResend} disabled={busy || wait > 0}>
          {wait > 0 ? (
            <>
              Resend code in <span className="countdown">{formatClock(wait)}</span>
            </>
          ) : (
            'Resend code'
          )}
        </button>
      </div>
      <button className="link" type="button" onClick={onBack}>
        Use a different email
      </button>
    </form>
  );
}
