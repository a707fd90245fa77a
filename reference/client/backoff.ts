/**
 * Reconnect backoff: capped exponential with full jitter, clamped first and jittered second.
 *
 * Clamping after jitter (socket.io) makes every client that reached the cap retry at exactly the cap,
 * which re-forms the thundering herd; jittering after the clamp keeps retries spread uniformly over
 * `[0, cap)` forever. The first retry is jittered too (Phoenix's is not), so a server restart does not
 * bring every client back in the same millisecond.
 */

/** Factor applied to the base delay after a `reconnect-slow` close code (the server asked for relief). */
export const SLOW_BACKOFF_FACTOR = 10;

export interface BackoffOptions {
  /** Base delay in ms: the ceiling of the first retry. */
  baseDelayMs: number;
  /** Ceiling in ms no retry waits longer than. */
  maxDelayMs: number;
  /** Uniform random source in [0, 1); defaults to `Math.random`. */
  random?: () => number;
  /** Start from {@link SLOW_BACKOFF_FACTOR}× the base delay (after a `reconnect-slow` close code). */
  slow?: boolean;
}

/**
 * The delay before reconnect attempt number `attempt` (0 for the first retry):
 * `random() * min(maxDelayMs, baseDelayMs * 2^attempt)`, with the base ×10 when `slow`.
 * Pure: the same inputs and random value give the same delay. Returns whole milliseconds.
 */
export function reconnectDelayFor(attempt: number, options: BackoffOptions): number {
  const base = options.baseDelayMs * (options.slow ? SLOW_BACKOFF_FACTOR : 1);
  const exponent = Math.max(0, Math.floor(attempt));
  const ceilingMs = Math.min(options.maxDelayMs, base * 2 ** exponent);
  const random = options.random ?? Math.random;
  return Math.floor(random() * Math.max(0, ceilingMs));
}
