import type { OtpgateClient, Passkey } from '@otpgate/client';
import { useEffect, useState } from 'react';
import { describePasskeyError, passkeyAddedText } from './messages.js';
import { Notice, type NoticeData } from './Notice.js';
import { PasskeyHint } from './PasskeyHint.js';
import { asPasskeyFailure, type PasskeyAvailability } from './passkey-support.js';

export interface PasskeysProps {
  client: OtpgateClient;
  availability: PasskeyAvailability;
  /** The access token was refused (UNAUTHENTICATED): back to the email form with this message. */
  onSessionEnded(text: string): void;
}

/**
 * The signed-in user's passkeys, as the gateway lists them: add one (the browser creates it, the
 * gateway registers it), see each by name and date, delete one. The list is read again from the
 * gateway after every change, never patched locally.
 */
export function Passkeys({ client, availability, onSessionEnded }: PasskeysProps) {
  const [list, setList] = useState<Passkey[] | null>(null);
  const [notice, setNotice] = useState<NoticeData | null>(null);
  const [busy, setBusy] = useState(false);

  function fail(error: unknown) {
    const { text, effect } = describePasskeyError(asPasskeyFailure(error), 'registration');
    if (effect === 'restart') onSessionEnded(text);
    else setNotice({ tone: 'error', text });
  }

  // biome-ignore lint/correctness/useExhaustiveDependencies: once per signed-in screen, on purpose.
  useEffect(() => {
    let shown = true;
    client.passkeys().then(
      (passkeys) => shown && setList(passkeys),
      (error: unknown) => shown && fail(error),
    );
    return () => {
      shown = false;
    };
  }, [client]);

  async function change(action: () => Promise<string>) {
    setBusy(true);
    try {
      const text = await action();
      setList(await client.passkeys());
      setNotice({ tone: 'info', text });
    } catch (error) {
      fail(error);
    } finally {
      setBusy(false);
    }
  }

  const add = () =>
    change(async () => {
      const passkey = await client.registerPasskey();
      return `Passkey added: ${passkey.name}. Next time, sign in with it instead of a code.`;
    });

  const remove = (passkey: Passkey) =>
    change(async () => {
      const deleted = await client.deletePasskey({ id: passkey.id });
      return deleted ? `Passkey deleted: ${passkey.name}.` : 'That passkey was already gone.';
    });

  return (
    <section className="passkeys" aria-labelledby="passkeys-title" aria-busy={busy}>
      <h2 id="passkeys-title">Passkeys</h2>
      <p className="lead">Sign in with your fingerprint, face or screen lock instead of a code.</p>
      {list === null ? null : list.length === 0 ? (
        <p className="empty">You have no passkeys yet.</p>
      ) : (
        <ul className="passkey-list" aria-label="Your passkeys">
          {list.map((passkey) => {
            const added = passkeyAddedText(passkey.createdAt);
            return (
              <li key={passkey.id} data-credential-id={passkey.id}>
                <span className="passkey-text">
                  <span className="passkey-name">{passkey.name}</span>
                  <span className="passkey-date">{added}</span>
                </span>
                <button
                  className="danger"
                  type="button"
                  onClick={() => void remove(passkey)}
                  disabled={busy}
                  aria-label={`Delete ${passkey.name}, ${added.toLowerCase()}`}
                >
                  Delete
                </button>
              </li>
            );
          })}
        </ul>
      )}
      <Notice id="passkeys-notice" notice={notice} reserve={false} />
      <button
        className="secondary"
        type="button"
        onClick={() => void add()}
        disabled={busy || !availability.usable}
        {...(!availability.usable && { 'aria-describedby': 'add-passkey-hint' })}
      >
        Add a passkey
      </button>
      <PasskeyHint id="add-passkey-hint" availability={availability} ceremony="registration" />
    </section>
  );
}
