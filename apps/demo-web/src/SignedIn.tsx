import type { OtpgateClient, User } from '@otpgate/client';
import { useEffect, useRef } from 'react';
import { Passkeys } from './Passkeys.js';
import type { PasskeyAvailability } from './passkey-support.js';

export interface SignedInProps {
  client: OtpgateClient;
  user: User | null;
  /** Lifetime of the access token, seconds. */
  expiresIn: number;
  /** How this sign-in was proved. */
  method: 'code' | 'passkey';
  passkeys: PasskeyAvailability;
  busy: boolean;
  onSignOut(): void;
  onSessionEnded(text: string): void;
}

/** What `me` says about the signed-in user, their passkeys, and the way out. */
export function SignedIn(props: SignedInProps) {
  const { client, user, expiresIn, method, passkeys, busy, onSignOut, onSessionEnded } = props;
  const heading = useRef<HTMLHeadingElement>(null);
  // Focus moves to the new screen's heading, so a screen reader starts reading there.
  useEffect(() => {
    heading.current?.focus();
  }, []);

  return (
    <section className="card" aria-labelledby="signed-in-title">
      <h1 id="signed-in-title" ref={heading} tabIndex={-1}>
        You're signed in
      </h1>
      <p className="lead">
        Your account, as the gateway's <code>me</code> query returns it:
      </p>
      <dl className="profile">
        <div>
          <dt>Email</dt>
          <dd data-testid="me-email">{user?.email ?? '—'}</dd>
        </div>
        <div>
          <dt>Email verified</dt>
          <dd>{user?.emailVerified ? 'Yes' : 'No'}</dd>
        </div>
        <div>
          <dt>Phone</dt>
          <dd>{user?.phoneNumber ?? '—'}</dd>
        </div>
        <div>
          <dt>User id (sub)</dt>
          <dd className="mono">{user?.sub ?? '—'}</dd>
        </div>
        <div>
          <dt>Signed in with</dt>
          <dd data-testid="signed-in-with">{method === 'passkey' ? 'A passkey' : 'A one-time code'}</dd>
        </div>
        <div>
          <dt>Access token</dt>
          <dd>valid for {Math.round(expiresIn / 60)} minutes, kept in memory only</dd>
        </div>
      </dl>
      <Passkeys client={client} availability={passkeys} onSessionEnded={onSessionEnded} />
      <div className="actions">
        <button className="primary" type="button" onClick={onSignOut} disabled={busy}>
          Sign out
        </button>
      </div>
    </section>
  );
}
