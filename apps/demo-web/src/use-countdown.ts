import { useEffect, useState } from 'react';

/**
 * Whole seconds until `target` (epoch ms), by the device clock, ticking while above zero. The device
 * clock may be off from the gateway's; a RATE_LIMITED answer then brings its `retryAfterSeconds`,
 * which the page turns into a new target.
 */
export function useCountdown(target: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    setNow(Date.now());
    if (target <= Date.now()) return undefined;
    // A quarter second: the display changes within 250 ms of the real second, cheap enough.
    const timer = setInterval(() => {
      const current = Date.now();
      setNow(current);
      if (current >= target) clearInterval(timer);
    }, 250);
    return () => clearInterval(timer);
  }, [target]);
  return Math.max(0, Math.ceil((target - now) / 1000));
}

/** 75 -> "1:15". */
export function formatClock(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, '0')}`;
}
