import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { reconnectDelayFor } from '../../../reference/client/backoff.js';

const base = { baseDelayMs: 500, maxDelayMs: 30_000 };

describe('reconnectDelayFor', () => {
  it('jitters the first retry over [0, base) instead of waiting the full base delay', () => {
    expect(reconnectDelayFor(0, { ...base, random: () => 0 })).toBe(0);
    expect(reconnectDelayFor(0, { ...base, random: () => 0.5 })).toBe(250);
    expect(reconnectDelayFor(0, { ...base, random: () => 0.999 })).toBe(499);
  });

  it('doubles the ceiling per attempt', () => {
    const delays = [0, 1, 2, 3, 4].map((attempt) => reconnectDelayFor(attempt, { ...base, random: () => 0.5 }));
    expect(delays).toEqual([250, 500, 1_000, 2_000, 4_000]);
  });

  it('clamps before jittering: clients at the cap stay spread over [0, cap), not bunched at the cap', () => {
    // Jitter first, then clamp (socket.io) would give min(30000, 0.5 * 500 * 2^10) = 30000 here.
    expect(reconnectDelayFor(10, { ...base, random: () => 0.5 })).toBe(15_000);
    const atCap = Array.from({ length: 1_000 }, (_, i) => reconnectDelayFor(12, { ...base, random: () => i / 1_000 }));
    const exactlyAtCap = atCap.filter((delay) => delay >= 29_999).length;
    expect(exactlyAtCap).toBeLessThanOrEqual(1);
    expect(Math.min(...atCap)).toBe(0);
    expect(Math.max(...atCap)).toBeGreaterThan(29_900);
  });

  it('never exceeds the cap, even for huge attempt numbers', () => {
    expect(reconnectDelayFor(5_000, { ...base, random: () => 0.999999 })).toBeLessThan(30_000);
  });

  it('starts at 10x the base after a reconnect-slow close code, still under the cap', () => {
    expect(reconnectDelayFor(0, { ...base, slow: true, random: () => 0.5 })).toBe(2_500);
    expect(reconnectDelayFor(6, { ...base, slow: true, random: () => 0.5 })).toBe(15_000);
  });

  it('always lies in [0, min(max, base * 2^attempt))', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 1, max: 120_000 }), (attempt, r, baseDelayMs, maxDelayMs) => {
        const delay = reconnectDelayFor(attempt, { baseDelayMs, maxDelayMs, random: () => r });
        const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** attempt);
        return Number.isInteger(delay) && delay >= 0 && delay < Math.max(1, ceiling);
      }),
    );
  });
});
