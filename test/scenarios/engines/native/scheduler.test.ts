import { describe, expect, it } from 'vitest';
import { ArrivalScheduler, plannedArrivals, type SchedulerClock, type TimerHandle } from '../../../../scenarios/engines/native/scheduler.js';

/** A clock that only moves when told; timers fire in due order. `stallMs` makes a timer fire late, as a blocked event loop would. */
class ManualClock implements SchedulerClock {
  nowMs = 0;
  private timers: { at: number; callback: () => void; cancelled: boolean }[] = [];

  now(): number {
    return this.nowMs;
  }

  setTimer(callback: () => void, delayMs: number): TimerHandle {
    const timer = { at: this.nowMs + Math.max(0, delayMs), callback, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => (timer.cancelled = true) };
  }

  clearTimer(handle: TimerHandle): void {
    handle.cancel();
  }

  /** Advances to `untilMs`, firing due timers; a timer due inside a stall fires at the stall's end. */
  run(untilMs: number, stall?: { fromMs: number; toMs: number }): void {
    for (;;) {
      this.timers = this.timers.filter((t) => !t.cancelled);
      this.timers.sort((a, b) => a.at - b.at);
      const next = this.timers[0];
      if (!next || next.at > untilMs) break;
      this.timers.shift();
      let at = next.at;
      if (stall && at > stall.fromMs && at < stall.toMs) at = stall.toMs;
      this.nowMs = Math.max(this.nowMs, at);
      next.callback();
    }
    this.nowMs = untilMs;
  }
}

// The arrival times themselves are tested with their module (test/scenarios/k6/lib/arrivals.test.ts).
describe('planned arrivals', () => {
  it('counts the arrivals of a constant rate, the last one on the end included', () => {
    expect(plannedArrivals({ ratePerSecond: 100, rampUpMs: 0, durationMs: 1_000 })).toBe(100);
  });

  it('counts half the arrivals of a flat run during the ramp, then full rate', () => {
    // 200/s ramped over 1 s gives 100 arrivals in the ramp, then 200 in the next second.
    expect(plannedArrivals({ ratePerSecond: 200, rampUpMs: 1_000, durationMs: 2_000 })).toBe(300);
  });

  it('plans nothing at rate 0', () => {
    expect(plannedArrivals({ ratePerSecond: 0, rampUpMs: 0, durationMs: 5_000 })).toBe(0);
  });
});

describe('ArrivalScheduler', () => {
  const run = (options: { stall?: { fromMs: number; toMs: number }; available?: (intended: number) => boolean; maxLagMs?: number }) => {
    const clock = new ManualClock();
    const intended: number[] = [];
    const sentAt: number[] = [];
    const dropped: string[] = [];
    let done = false;
    const scheduler = new ArrivalScheduler({
      ratePerSecond: 100,
      rampUpMs: 0,
      durationMs: 1_000,
      lateToleranceMs: 20,
      maxLagMs: options.maxLagMs ?? 1_000,
      clock,
      onArrival: (at) => {
        if (options.available && !options.available(at)) return false;
        intended.push(at);
        sentAt.push(clock.now());
        return true;
      },
      onDropped: (_at, reason) => dropped.push(reason),
      onDone: () => (done = true),
    });
    scheduler.start();
    clock.run(2_000, options.stall);
    return { scheduler, intended, sentAt, dropped, done };
  };

  it('starts every arrival on time when the loop keeps up', () => {
    const { scheduler, intended, sentAt, done } = run({});
    expect(intended).toHaveLength(100);
    expect(sentAt).toEqual(intended);
    expect(scheduler.stats).toEqual({ scheduled: 100, started: 100, late: 0, droppedBehind: 0, droppedUnavailable: 0 });
    expect(done).toBe(true);
  });

  it('sends what a stalled loop missed as soon as it can, counts them late, and keeps their intended times', () => {
    // The loop is blocked from 200 ms to 300 ms: arrivals due at 210…300 leave at 300.
    const { scheduler, intended, sentAt } = run({ stall: { fromMs: 200, toMs: 300 } });
    expect(scheduler.stats.started).toBe(100);
    const delayed = intended.filter((at, i) => (sentAt[i] as number) > at);
    expect(delayed).toEqual([210, 220, 230, 240, 250, 260, 270, 280, 290]);
    // More than 20 ms late: 210…270 (lags 90…30 ms); 280 and 290 left 20 and 10 ms late.
    expect(scheduler.stats.late).toBe(7);
    expect(scheduler.lagHistogram.getValueAtPercentile(100)).toBeGreaterThanOrEqual(89_000);
  });

  it('drops arrivals more overdue than maxLagMs instead of bursting them', () => {
    const { scheduler, dropped } = run({ stall: { fromMs: 200, toMs: 300 }, maxLagMs: 55 });
    // Due at 210…240 they are 90…60 ms late at 300: dropped; 250…290 still go out.
    expect(scheduler.stats.droppedBehind).toBe(4);
    expect(scheduler.stats.started).toBe(96);
    expect(dropped.filter((reason) => reason === 'behind')).toHaveLength(4);
  });

  it('counts an arrival with no open connection as dropped, not sent', () => {
    const { scheduler, dropped } = run({ available: (at) => at < 500 });
    expect(scheduler.stats.started).toBe(49);
    expect(scheduler.stats.droppedUnavailable).toBe(51);
    expect(dropped.filter((reason) => reason === 'unavailable')).toHaveLength(51);
  });

  it('stops early on stop() and schedules nothing afterwards', () => {
    const clock = new ManualClock();
    let arrivals = 0;
    const scheduler = new ArrivalScheduler({ ratePerSecond: 100, rampUpMs: 0, durationMs: 1_000, lateToleranceMs: 20, maxLagMs: 1_000, clock, onArrival: () => ++arrivals > 0 });
    scheduler.start();
    clock.run(305);
    scheduler.stop();
    clock.run(2_000);
    expect(arrivals).toBe(30);
  });
});
