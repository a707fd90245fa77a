/**
 * Open-model (arrival-rate) scheduling: iterations start at their intended times whatever the
 * server does, so a slow reply never delays the next request (no coordinated omission). What the
 * generator itself could not keep up with is counted, never hidden: sends that left late, and
 * iterations dropped because the scheduler fell too far behind or had no open connection.
 */
import type { Histogram } from 'hdr-histogram-js';
import { newHistogram } from '../../result/histogram.js';
import { arrivalOffsetMs, type ArrivalPlan } from '../../k6/lib/arrivals.js';

/** A monotonic clock and timers; injectable so the scheduler is tested without real time. */
export interface SchedulerClock {
  /** Monotonic time, ms. */
  now(): number;
  setTimer(callback: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

export type TimerHandle = { cancel(): void };

/** The real clock: `performance.now()`; zero delays use `setImmediate` to catch up without the 1 ms timer floor. */
export const systemSchedulerClock: SchedulerClock = {
  now: () => performance.now(),
  setTimer(callback, delayMs) {
    if (delayMs <= 0) {
      const immediate = setImmediate(callback);
      return { cancel: () => clearImmediate(immediate) };
    }
    const timeout = setTimeout(callback, delayMs);
    return { cancel: () => clearTimeout(timeout) };
  },
  clearTimer(handle) {
    handle.cancel();
  },
};

/** Arrivals a plan schedules within its duration. */
export function plannedArrivals(plan: ArrivalPlan): number {
  if (plan.ratePerSecond <= 0 || plan.durationMs <= 0) return 0;
  const ratePerMs = plan.ratePerSecond / 1000;
  const rampMs = Math.min(plan.rampUpMs, plan.durationMs);
  const duringRamp = plan.rampUpMs > 0 ? (ratePerMs * rampMs * rampMs) / (2 * plan.rampUpMs) : 0;
  const afterRamp = ratePerMs * Math.max(0, plan.durationMs - plan.rampUpMs);
  // The tolerance keeps an arrival that falls exactly on the end despite floating-point error.
  return Math.floor(duringRamp + afterRamp + 1e-9);
}

export interface SchedulerOptions extends ArrivalPlan {
  clock?: SchedulerClock;
  /** A send more than this late (ms) counts as a late send. */
  lateToleranceMs: number;
  /** An arrival more than this overdue (ms) is dropped instead of sent in a burst. */
  maxLagMs: number;
  /**
   * Starts one iteration intended at `intendedMs` (clock time). Returns false when it could not
   * start (no open connection): the iteration is counted as dropped.
   */
  onArrival(intendedMs: number): boolean;
  /** Called for each dropped iteration (too far behind, or no open connection). */
  onDropped?(intendedMs: number, reason: 'behind' | 'unavailable'): void;
  /** Called once when the last arrival within the duration was handled, or on stop(). */
  onDone?(): void;
}

/** What the scheduler did. Lags are recorded in microseconds. */
export interface SchedulerStats {
  /** Arrivals whose time came (started + dropped). */
  scheduled: number;
  started: number;
  late: number;
  droppedBehind: number;
  droppedUnavailable: number;
}

/** Schedules the arrivals of one {@link ArrivalPlan} on one thread. */
export class ArrivalScheduler {
  readonly stats: SchedulerStats = { scheduled: 0, started: 0, late: 0, droppedBehind: 0, droppedUnavailable: 0 };
  /** How late each started send was, µs. */
  readonly lagHistogram: Histogram = newHistogram();
  private readonly clock: SchedulerClock;
  private readonly total: number;
  private next = 1;
  private startedAtMs = 0;
  private timer: TimerHandle | undefined;
  private running = false;

  constructor(private readonly options: SchedulerOptions) {
    this.clock = options.clock ?? systemSchedulerClock;
    this.total = plannedArrivals(options);
  }

  /** Starts scheduling; arrival offsets count from now. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.startedAtMs = this.clock.now();
    if (this.total === 0) {
      this.finish();
      return;
    }
    this.arm();
  }

  /** Stops early; arrivals not yet due are not counted. */
  stop(): void {
    if (!this.running) return;
    this.finish();
  }

  private arm(): void {
    const dueAt = this.startedAtMs + arrivalOffsetMs(this.next, this.options);
    this.timer = this.clock.setTimer(() => this.tick(), dueAt - this.clock.now());
  }

  private tick(): void {
    this.timer = undefined;
    if (!this.running) return;
    const now = this.clock.now();
    while (this.next <= this.total) {
      const intended = this.startedAtMs + arrivalOffsetMs(this.next, this.options);
      if (intended > now) break;
      this.next += 1;
      this.stats.scheduled += 1;
      const lagMs = now - intended;
      if (lagMs > this.options.maxLagMs) {
        this.stats.droppedBehind += 1;
        this.options.onDropped?.(intended, 'behind');
        continue;
      }
      if (!this.options.onArrival(intended)) {
        this.stats.droppedUnavailable += 1;
        this.options.onDropped?.(intended, 'unavailable');
        continue;
      }
      this.stats.started += 1;
      if (lagMs > this.options.lateToleranceMs) this.stats.late += 1;
      this.lagHistogram.recordValue(Math.round(lagMs * 1000));
    }
    if (this.next > this.total) this.finish();
    else this.arm();
  }

  private finish(): void {
    this.running = false;
    if (this.timer) this.clock.clearTimer(this.timer);
    this.timer = undefined;
    this.options.onDone?.();
  }
}
