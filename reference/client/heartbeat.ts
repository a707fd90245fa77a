/**
 * Application-level heartbeat. Browsers cannot send protocol pings, so the client sends a `ping`
 * frame every interval; any frame received proves the connection alive. No frame at all within
 * `deadAfterMs` means the connection is dead even if TCP has not noticed (a server killed with its
 * machine, a proxy that dropped the socket), and it is closed and reconnected.
 */
import type { Clock, TimerHandle } from './clock.js';

export interface HeartbeatOptions {
  /** How often to send a ping, in ms. */
  intervalMs: number;
  /** How long without any frame before the connection counts as dead, in ms. */
  deadAfterMs: number;
  sendPing(): void;
  onDead(silentForMs: number): void;
}

export class Heartbeat {
  readonly #clock: Clock;
  readonly #options: HeartbeatOptions;
  #lastFrameAt = 0;
  #pingTimer: TimerHandle | undefined;
  #deadlineTimer: TimerHandle | undefined;
  #running = false;

  constructor(clock: Clock, options: HeartbeatOptions) {
    this.#clock = clock;
    this.#options = options;
  }

  /** Starts watching a freshly opened connection. */
  start(): void {
    this.stop();
    this.#running = true;
    this.#lastFrameAt = this.#clock.now();
    this.#schedulePing();
    this.#scheduleDeadline(this.#options.deadAfterMs);
  }

  /** Records that a frame arrived: cheap, called for every frame. */
  noteFrame(): void {
    this.#lastFrameAt = this.#clock.now();
  }

  stop(): void {
    this.#running = false;
    if (this.#pingTimer !== undefined) this.#clock.clearTimeout(this.#pingTimer);
    if (this.#deadlineTimer !== undefined) this.#clock.clearTimeout(this.#deadlineTimer);
    this.#pingTimer = undefined;
    this.#deadlineTimer = undefined;
  }

  #schedulePing(): void {
    this.#pingTimer = this.#clock.setTimeout(() => {
      if (!this.#running) return;
      this.#options.sendPing();
      this.#schedulePing();
    }, this.#options.intervalMs);
  }

  // One timer re-armed only when it fires, instead of a reset per received frame.
  #scheduleDeadline(delayMs: number): void {
    this.#deadlineTimer = this.#clock.setTimeout(() => {
      if (!this.#running) return;
      const silentForMs = this.#clock.now() - this.#lastFrameAt;
      if (silentForMs >= this.#options.deadAfterMs) {
        this.stop();
        this.#options.onDead(silentForMs);
        return;
      }
      this.#scheduleDeadline(this.#options.deadAfterMs - silentForMs);
    }, delayMs);
  }
}
