export interface NoticeData {
  tone: 'error' | 'info';
  text: string;
}

/**
 * Errors are an alert (read out at once), the rest a status. The element is always there, so screen
 * readers see its content change instead of a new region appearing.
 */
export function Notice({ notice, id }: { notice: NoticeData | null; id: string }) {
  return (
    <p
      id={id}
      className={`notice ${notice ? `notice-${notice.tone}` : 'notice-empty'}`}
      role={notice?.tone === 'error' ? 'alert' : 'status'}
    >
      {notice?.text}
    </p>
  );
}
