/**
 * How a k6 load connection reconnects: the reference client's policy (docs/protocol.md, "Close
 * codes and the reconnect policy") and its backoff, so a storm from k6 looks like a storm of real
 * clients. A test checks the policy against reference/protocol's `reconnectPolicyFor`.
 * No k6 imports: unit-tested in Node.
 */

/** What to do after a close. A k6 script has no token provider, so `reauthenticate` becomes `stop`. */
export type ReconnectAction = 'reconnect' | 'reconnect-slow' | 'stop';

const STOP_CODES = [1002, 1003, 1007, 1008, 1009, 1010, 1015, 4003, 4100];
const SLOW_CODES = [1011, 1013, 4200, 4202];
/** Listed exceptions to their group: a slow consumer (4201) reconnects and resumes at the normal pace. */
const RECONNECT_CODES = [4201, 4300];

/** The action for a close code (0 or undefined when the socket closed without a code: reconnect). */
export function reconnectActionFor(code: number | undefined): ReconnectAction {
  if (code === undefined || code === 0) return 'reconnect';
  if (STOP_CODES.indexOf(code) >= 0) return 'stop';
  if (SLOW_CODES.indexOf(code) >= 0) return 'reconnect-slow';
  if (RECONNECT_CODES.indexOf(code) >= 0) return 'reconnect';
  if (code >= 4000 && code < 4100) return 'stop';
  if (code >= 4100 && code < 4200) return 'stop';
  if (code >= 4200 && code < 4300) return 'reconnect-slow';
  return 'reconnect';
}

/** The backoff: base delay (the seed's `reconnectDelay`) and the cap on the un-jittered delay. */
export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * Capped exponential backoff with full jitter: `random() * min(max, base * 2^attempt)`. Clamp
 * first, then jitter; the first retry (attempt 0) is jittered too, so a storm spreads out. A
 * `reconnect-slow` close starts at ten times the base.
 */
export function reconnectDelayMs(attempt: number, policy: BackoffPolicy, random: () => number, slow = false): number {
  const base = slow ? policy.baseDelayMs * 10 : policy.baseDelayMs;
  const ceiling = Math.min(policy.maxDelayMs, base * Math.pow(2, Math.min(attempt, 30)));
  return random() * ceiling;
}
