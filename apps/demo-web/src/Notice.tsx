import { useCountdown } from './use-countdown.js';

export interface NoticeData {
  tone: 'error' | 'info';
  text: string;
  /**
   * A wait that counts down ("Try again in 25 seconds"): the text for the seconds left, until `until`
   * (epoch ms), when the notice goes away. `blocks` names what the wait holds back: sending a code or
   * checking one.
   */
  countdown?: { until: number; blocks: 'send' | 'verify'; text(secondsLeft: number): string };
}

/**
 * Errors are an alert (read out at once), the rest a status. The element is always there, its space
 * reserved (two lines), so screen readers see its content change instead of a new region appearing and
 * the card does not grow when a message arrives. A countdown is read out once, as it started; the
 * ticking seconds are for the eyes only, or a screen reader would repeat the alert every second.
 */
export function Notice({
  notice,
  id,
  reserve = true,
}: {
  notice: NoticeData | null;
  id: string;
  /** Keep the two lines when empty. Off below a card's content, where nothing under it can jump. */
  reserve?: boolean;
}) {
  const left = useCountdown(notice?.countdown?.until ?? 0);
  const shown = notice?.countdown && left === 0 ? null : notice;
  const empty = reserve ? 'notice-empty' : 'notice-empty notice-collapsed';
  return (
    <p
      id={id}
      className={`notice ${shown ? `notice-${shown.tone}` : empty}`}
      role={shown?.tone === 'error' ? 'alert' : 'status'}
    >
      {shown?.countdown ? (
        <>
          <span className="visually-hidden">{shown.text}</span>
          <span aria-hidden="true" data-testid="countdown-notice">
            {shown.countdown.text(left)}
          </span>
        </>
      ) : (
        shown?.text
      )}
    </p>
  );
}
