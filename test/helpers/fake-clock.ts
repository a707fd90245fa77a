import type { Clock, TimerHandle } from '../../reference/client/clock.js';

interface FakeTimer {
  id: number;
  dueAt: number;
  callback: () => void;
}

/**
 * A manually advanced {@link Clock}: timers fire only inside {@link advance}, in due order, with
 * pending promise callbacks run between them, so time-dependent behaviour is tested deterministically.
 */
export class FakeClock implements Clock {
  #now: number;
  #nextId = 1;
  readonly #timers = new Map<number, FakeTimer>();

  constructor(startMs = 1_700_000_000_000) {
    this.#now = startMs;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.#nextId++;
    this.#timers.set(id, { id, dueAt: this.#now + Math.max(0, delayMs), callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers.delete(handle as number);
  }

  /** Timers not yet fired or cleared. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** Delays (from now) of the pending timers, soonest first. */
  pendingDelays(): number[] {
    return [...this.#timers.values()].map((timer) => timer.dueAt - this.#now).sort((a, b) => a - b);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    await settle();
    for (;;) {
      const next = [...this.#timers.values()].filter((timer) => timer.dueAt <= target).sort((a, b) => a.dueAt - b.dueAt || a.id - b.id)[0];
      if (!next) break;
      this.#timers.delete(next.id);
      this.#now = next.dueAt;
      next.callback();
      await settle();
    }
    this.#now = target;
    await settle();
  }
}

/** Lets pending promise callbacks (and their follow-ups) run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise<void>((resolve) => setImmediate(resolve));
}
