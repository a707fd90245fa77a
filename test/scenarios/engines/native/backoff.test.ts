import { describe, expect, it } from 'vitest';
import { reconnectDelayFor } from '../../../../scenarios/engines/native/backoff.js';

const policy = { baseDelayMs: 500, maxDelayMs: 10_000 };

describe('reconnectDelayFor', () => {
  it('doubles the ceiling per attempt, capped, and jitters over the whole range', () => {
    expect(reconnectDelayFor(0, policy, () => 0.999999)).toBeCloseTo(500);
    expect(reconnectDelayFor(3, policy, () => 0.999999)).toBeCloseTo(4_000);
    expect(reconnectDelayFor(10, policy, () => 0.999999)).toBeCloseTo(10_000, 0);
    expect(reconnectDelayFor(3, policy, () => 0)).toBe(0);
    expect(reconnectDelayFor(3, policy, () => 0.5)).toBe(2_000);
  });

  it('starts ten times higher after a close that asks for relief', () => {
    expect(reconnectDelayFor(0, policy, () => 0.5, true)).toBe(2_500);
  });
});
