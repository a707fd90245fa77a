import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../../../reference/server/rate-limiter.js';

describe('TokenBucket', () => {
  it('lets a burst through, then the sustained rate, and refills over time up to the burst', () => {
    const bucket = new TokenBucket(10, 20, 0);
    const takenAtStart = Array.from({ length: 30 }, () => bucket.take(0)).filter(Boolean).length;
    expect(takenAtStart).toBe(20);
    expect(bucket.take(50)).toBe(false);
    expect(bucket.take(100)).toBe(true);
    expect(bucket.take(100)).toBe(false);
    const afterLongIdle = Array.from({ length: 30 }, () => bucket.take(60_000)).filter(Boolean).length;
    expect(afterLongIdle).toBe(20);
  });
});
