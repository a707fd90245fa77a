/**
 * Open-model arrival times, shared by the k6 scripts and the native engine's scheduler. k6's
 * arrival-rate executors start one *iteration* per arrival, but a request over an already open
 * WebSocket cannot be an iteration (an iteration cannot borrow another VU's socket), so
 * held-connection scenarios schedule their own arrivals: the rate ramps linearly from 0 over
 * `rampUpMs` and then holds, exactly like k6's `ramping-arrival-rate`. In k6, arrivals are dealt
 * round-robin to `lanes` (VUs), so the whole test keeps the global schedule however many VUs share it.
 * No k6 imports: compiled for k6 and for Node alike.
 */

/** How many arrivals and when: the rate ramps linearly from 0 to `ratePerSecond` over `rampUpMs`, then holds. */
export interface ArrivalPlan {
  ratePerSecond: number;
  rampUpMs: number;
  durationMs: number;
}

/**
 * Offset (ms from the start) of the k-th arrival, k = 1, 2, …: the inverse of the cumulative
 * arrival count N(t) = r·t²/(2R) during the ramp, r·R/2 + r·(t − R) after it.
 */
export function arrivalOffsetMs(k: number, plan: ArrivalPlan): number {
  const ratePerMs = plan.ratePerSecond / 1000;
  const rampArrivals = (ratePerMs * plan.rampUpMs) / 2;
  if (plan.rampUpMs > 0 && k <= rampArrivals) return Math.sqrt((2 * plan.rampUpMs * k) / ratePerMs);
  return plan.rampUpMs + (k - rampArrivals) / ratePerMs;
}

/**
 * The arrivals of one lane (a VU) among `laneCount`: lane i takes arrivals i+1, i+1+laneCount, …
 * `next()` gives the next arrival's offset before the end of the duration, or `undefined` when there is none left.
 */
export class ArrivalLane {
  private k: number;

  constructor(
    private readonly plan: ArrivalPlan,
    lane: number,
    private readonly laneCount: number,
  ) {
    if (!(laneCount >= 1) || !(lane >= 0 && lane < laneCount)) throw new Error(`lane ${lane} is not within 0..${laneCount - 1}`);
    this.k = lane + 1;
  }

  next(): number | undefined {
    if (!(this.plan.ratePerSecond > 0)) return undefined;
    const offsetMs = arrivalOffsetMs(this.k, this.plan);
    // Arrivals start within [0, duration), as k6's arrival-rate executors start iterations.
    if (offsetMs >= this.plan.durationMs) return undefined;
    this.k += this.laneCount;
    return offsetMs;
  }
}
