/** How a load connection waits before reconnecting: the reference client's policy, so storms look like real ones. */
export interface BackoffPolicy {
  /** Base delay, ms (the seed's `reconnectDelay`). */
  baseDelayMs: number;
  /** Cap on the un-jittered delay, ms. */
  maxDelayMs: number;
}

/**
 * Capped exponential backoff with full jitter: `random() * min(max, base * 2^attempt)`.
 * Clamp first, then jitter; the first retry (attempt 0) is jittered too, so a storm spreads out.
 * `slow` (a reconnect-slow close code) starts at ten times the base.
 */
export function reconnectDelayFor(attempt: number, policy: BackoffPolicy, random: () => number, slow = false): number {
  const base = slow ? policy.baseDelayMs * 10 : policy.baseDelayMs;
  const ceiling = Math.min(policy.maxDelayMs, base * 2 ** Math.min(attempt, 30));
  return random() * ceiling;
}
