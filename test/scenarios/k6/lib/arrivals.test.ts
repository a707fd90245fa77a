import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ArrivalLane, arrivalOffsetMs } from '../../../../scenarios/k6/lib/arrivals.js';

function allOffsets(lane: ArrivalLane): number[] {
  const offsets: number[] = [];
  for (let offset = lane.next(); offset !== undefined; offset = lane.next()) offsets.push(offset);
  return offsets;
}

describe('open-model arrivals', () => {
  it('spaces arrivals evenly at a constant rate, within [0, duration) as k6 starts iterations', () => {
    const plan = { ratePerSecond: 10, rampUpMs: 0, durationMs: 1_000 };
    expect(allOffsets(new ArrivalLane(plan, 0, 1))).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900]);
    expect(allOffsets(new ArrivalLane({ ...plan, durationMs: 1_001 }, 0, 1))).toHaveLength(10);
  });

  it('ramps linearly: half the steady arrivals during the ramp', () => {
    const plan = { ratePerSecond: 100, rampUpMs: 2_000, durationMs: 4_001 };
    const offsets = allOffsets(new ArrivalLane(plan, 0, 1));
    expect(offsets.filter((offset) => offset <= 2_000)).toHaveLength(100);
    expect(offsets.filter((offset) => offset > 2_000)).toHaveLength(200);
    // Slow at first, faster later.
    expect((offsets[1] as number) - (offsets[0] as number)).toBeGreaterThan((offsets[99] as number) - (offsets[98] as number));
  });

  it('places the k-th arrival by the ramp\'s quadratic arrival count, then at full rate', () => {
    const plan = { ratePerSecond: 200, rampUpMs: 1_000, durationMs: 2_000 };
    // 200/s ramped over 1 s: 100 arrivals in the ramp, a quarter of them in its first half.
    expect(arrivalOffsetMs(25, plan)).toBeCloseTo(500);
    expect(arrivalOffsetMs(100, plan)).toBeCloseTo(1_000);
    expect(arrivalOffsetMs(101, plan)).toBeCloseTo(1_005);
    expect(arrivalOffsetMs(300, plan)).toBeCloseTo(2_000);
  });

  it('deals the global schedule to lanes without loss or overlap, whatever the rate, ramp and lanes', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 400 }),
        fc.integer({ min: 0, max: 3_000 }),
        fc.integer({ min: 1, max: 3_000 }),
        fc.integer({ min: 1, max: 9 }),
        (rate, rampUpMs, durationMs, lanes) => {
          const plan = { ratePerSecond: rate, rampUpMs, durationMs };
          const single = allOffsets(new ArrivalLane(plan, 0, 1));
          const dealt: number[] = [];
          for (let lane = 0; lane < lanes; lane++) dealt.push(...allOffsets(new ArrivalLane(plan, lane, lanes)));
          dealt.sort((a, b) => a - b);
          expect(dealt).toEqual(single);
          for (let k = 1; k < single.length; k++) expect(single[k] as number).toBeGreaterThanOrEqual(single[k - 1] as number);
          expect(single.every((offset) => offset < durationMs)).toBe(true);
        },
      ),
    );
  });

  it('schedules nothing at rate 0 and rejects a lane outside the lanes', () => {
    expect(new ArrivalLane({ ratePerSecond: 0, rampUpMs: 0, durationMs: 10_000 }, 0, 1).next()).toBeUndefined();
    expect(() => new ArrivalLane({ ratePerSecond: 1, rampUpMs: 0, durationMs: 1 }, 3, 3)).toThrow(/lane 3/);
    expect(arrivalOffsetMs(1, { ratePerSecond: 1, rampUpMs: 0, durationMs: 1 })).toBe(1_000);
  });
});
