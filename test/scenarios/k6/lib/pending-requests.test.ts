import { describe, expect, it } from 'vitest';
import { PendingRequests } from '../../../../scenarios/k6/lib/pending-requests.js';

describe('PendingRequests', () => {
  it('measures a round trip from the intended send time, once per id', () => {
    const pending = new PendingRequests();
    pending.add({ id: 'r1', intendedMs: 1_000 });
    expect(pending.settle('r1', 1_250)).toEqual({ id: 'r1', intendedMs: 1_000, durationMs: 250 });
    expect(pending.settle('r1', 1_300)).toBeUndefined();
    expect(pending.settle('unknown', 1_300)).toBeUndefined();
  });

  it('expires requests past the timeout and drops the rest on a disconnect', () => {
    const pending = new PendingRequests();
    pending.add({ id: 'a', intendedMs: 0 });
    pending.add({ id: 'b', intendedMs: 5_000 });
    pending.add({ id: 'c', intendedMs: 9_000 });
    expect(pending.expire(10_000, 5_000).map((request) => request.id)).toEqual(['a', 'b']);
    expect(pending.size).toBe(1);
    expect(pending.drop().map((request) => request.id)).toEqual(['c']);
    expect(pending.size).toBe(0);
  });
});
