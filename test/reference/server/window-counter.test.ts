import { describe, expect, it } from 'vitest';
import { WindowCounter } from '../../../reference/server/window-counter.js';

describe('WindowCounter', () => {
  it('trips on the occurrence that makes more than the limit within the window', () => {
    const counter = new WindowCounter(3, 10_000);
    expect([0, 1, 2].map((t) => counter.hit(t))).toEqual([false, false, false]);
    expect(counter.hit(3)).toBe(true);
  });

  it('does not trip when the occurrences are spread wider than the window', () => {
    const counter = new WindowCounter(2, 1_000);
    expect([0, 600, 1_200, 1_800, 2_400].map((t) => counter.hit(t))).toEqual([false, false, false, false, false]);
  });

  it('with a limit of 0 trips on the first occurrence', () => {
    expect(new WindowCounter(0, 1_000).hit(5)).toBe(true);
  });
});
