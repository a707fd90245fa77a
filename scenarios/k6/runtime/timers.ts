/**
 * The timers a VU has scheduled, so the end of the run can cancel them all: a k6 iteration lasts
 * until its event loop is empty, and a forgotten timer would keep it alive past the deadline.
 */
import { clearTimeout, setTimeout } from 'k6/timers';

export class TimerSet {
  private readonly live = new Set<number>();
  private closed = false;

  /** Runs `callback` after `delayMs` (at once for a negative delay), unless the set was cleared first. */
  after(delayMs: number, callback: () => void): void {
    if (this.closed) return;
    const id: number = setTimeout(() => {
      this.live.delete(id);
      callback();
    }, Math.max(0, delayMs));
    this.live.add(id);
  }

  /** Cancels every pending timer; later `after` calls do nothing. */
  clear(): void {
    this.closed = true;
    this.live.forEach((id) => clearTimeout(id));
    this.live.clear();
  }
}
