import { type PasskeyCeremony, passkeyUnavailableText } from './messages.js';
import type { PasskeyAvailability } from './passkey-support.js';

/** The sentence under a switched-off passkey button saying why; nothing when passkeys are usable. */
export function PasskeyHint({
  id,
  availability,
  ceremony,
}: {
  id: string;
  availability: PasskeyAvailability;
  ceremony: PasskeyCeremony;
}) {
  if (availability.usable) return null;
  const suggestion = availability.reason === 'ip-address' ? availability.suggestion : undefined;
  return (
    <p className="hint" id={id}>
      {passkeyUnavailableText(availability.reason, ceremony, suggestion)}
    </p>
  );
}
