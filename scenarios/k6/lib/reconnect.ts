/**
 * How a k6 load connection reconnects: the reference client's close-code policy (docs/protocol.md,
 * "Close codes and the reconnect policy") and its backoff — the same modules, bundled into each
 * script — so a storm from k6 looks like a storm of real clients. No k6 imports: unit-tested in Node.
 */
import { reconnectDelayFor } from '../../../reference/client/backoff.js';
import { reconnectPolicyFor } from '../../../reference/protocol/close-codes.js';

/** What to do after a close. A k6 script has no token provider, so `reauthenticate` becomes `stop`. */
export type ReconnectAction = 'reconnect' | 'reconnect-slow' | 'stop';

/** The action for a close code (0 or undefined when the socket closed without a code: reconnect). */
export function reconnectActionFor(code: number | undefined): ReconnectAction {
  if (code === undefined || code === 0) return 'reconnect';
  const policy = reconnectPolicyFor(code);
  return policy === 'reauthenticate' ? 'stop' : policy;
}

/** The backoff: base delay (the seed's `reconnectDelay`) and the cap on the un-jittered delay. */
export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
}

/**
 * The reference client's capped exponential backoff with full jitter (`reconnectDelayFor`): the
 * first retry is jittered too, and a `reconnect-slow` close starts at ten times the base.
 */
export function reconnectDelayMs(attempt: number, policy: BackoffPolicy, random: () => number, slow = false): number {
  return reconnectDelayFor(attempt, { baseDelayMs: policy.baseDelayMs, maxDelayMs: policy.maxDelayMs, random, slow });
}
