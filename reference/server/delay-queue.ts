/**
 * Holds outgoing frames for an injected latency (fault injection), keeping their order even when the
 * latency changes while some are waiting. Only used while a latency is or was injected.
 */
export class DelayQueue<T> {
  private readonly items: { dueMs: number; item: T }[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly deliver: (item: T) => void,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  /** Whether frames are waiting (a new frame must then wait behind them, even with no latency). */
  get busy(): boolean {
    return this.head < this.items.length;
  }

  /** Delivers `item` after `latencyMs`, and never before anything pushed earlier. */
  push(item: T, latencyMs: number): void {
    const last = this.items[this.items.length - 1];
    const dueMs = Math.max(this.nowMs() + latencyMs, this.busy && last ? last.dueMs : 0);
    this.items.push({ dueMs, item });
    if (this.timer === undefined) this.arm();
  }

  /** Drops everything waiting. */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.items.length = 0;
    this.head = 0;
  }

  private arm(): void {
    const next = this.items[this.head];
    if (!next) {
      this.items.length = 0;
      this.head = 0;
      return;
    }
    this.timer = setTimeout(() => this.flush(), Math.max(0, next.dueMs - this.nowMs()));
  }

  private flush(): void {
    this.timer = undefined;
    const now = this.nowMs();
    while (this.head < this.items.length) {
      const next = this.items[this.head] as { dueMs: number; item: T };
      if (next.dueMs > now) break;
      this.head += 1;
      this.deliver(next.item);
    }
    this.arm();
  }
}
