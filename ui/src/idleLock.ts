// When the window locks by itself: after a number of minutes without a key press or pointer move
// (set in Settings; 5 by default), and when the laptop has slept (a lid closed): a timer that fires
// every few seconds notices the gap a sleep leaves in the clock.
import { useEffect } from "react";

const KEY = "doorstep.lockMinutes";
export const DEFAULT_LOCK_MINUTES = 5;
const TICK_MS = 5_000;
/** A gap this long between ticks means the laptop was asleep. */
const SLEPT_MS = 60_000;

export function lockMinutes(): number {
  const n = Number(localStorage.getItem(KEY));
  return Number.isFinite(n) && n >= 1 ? n : DEFAULT_LOCK_MINUTES;
}

export function setLockMinutes(minutes: number) {
  localStorage.setItem(KEY, String(Math.max(1, Math.round(minutes))));
}

/** Calls `lock` after the idle time or a sleep, while `active`. `now` is injectable for tests. */
export function useIdleLock(active: boolean, lock: () => void, now: () => number = Date.now) {
  useEffect(() => {
    if (!active) return;
    let lastActivity = now();
    let lastTick = now();
    const touch = () => (lastActivity = now());
    const events = ["keydown", "mousemove", "mousedown", "wheel", "touchstart"] as const;
    events.forEach((e) => window.addEventListener(e, touch, { passive: true }));
    const timer = window.setInterval(() => {
      const t = now();
      const slept = t - lastTick > SLEPT_MS;
      lastTick = t;
      if (slept || t - lastActivity > lockMinutes() * 60_000) {
        lastActivity = t; // once per idle spell, even if the window stays up a moment longer
        lock();
      }
    }, TICK_MS);
    return () => {
      window.clearInterval(timer);
      events.forEach((e) => window.removeEventListener(e, touch));
    };
  }, [active, lock, now]);
}
