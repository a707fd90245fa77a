/**
 * The errors of the Redis engine. A publish or a subscribe that cannot reach Redis fails with
 * `ENGINE_UNAVAILABLE` (retryable: the engine reconnects on its own); an answer Redis refuses for
 * good (a script error, a wrong type under the engine's key) is `ENGINE_FAILED`; a call on a closed
 * hub is `ENGINE_CLOSED`. Every one carries `details.retryable`.
 */
import { ErrorReply } from '@redis/client';
import { WsmigError, messageOf } from '../../../../lib/errors.js';
import { redactedUrl } from './connection.js';

export const EngineErrorCode = {
  unavailable: 'ENGINE_UNAVAILABLE',
  failed: 'ENGINE_FAILED',
  closed: 'ENGINE_CLOSED',
} as const;
export type EngineErrorCode = (typeof EngineErrorCode)[keyof typeof EngineErrorCode];

/** Replies Redis gives while it cannot serve yet (loading its data, failing over, out of memory): worth a retry. */
const TRANSIENT_REPLIES = ['LOADING', 'BUSY', 'TRYAGAIN', 'CLUSTERDOWN', 'MASTERDOWN', 'READONLY', 'OOM', 'NOREPLICAS'];

/** An engine failure with a stable code; `retryable` says whether the same call may succeed later. */
export class EngineError extends WsmigError {
  readonly retryable: boolean;

  constructor(code: EngineErrorCode, message: string, cause?: unknown) {
    const retryable = code === EngineErrorCode.unavailable;
    super(code, message, { cause, details: { retryable } });
    this.name = 'EngineError';
    this.retryable = retryable;
  }
}

/** The engine error for what a Redis call threw while doing `what` (e.g. "publish on orders:7"). */
export function engineErrorOf(error: unknown, what: string): EngineError {
  if (error instanceof EngineError) return error;
  if (error instanceof ErrorReply && !TRANSIENT_REPLIES.some((prefix) => error.message.startsWith(prefix))) {
    return new EngineError(EngineErrorCode.failed, `Redis refused ${what}: ${error.message}`, error);
  }
  return new EngineError(EngineErrorCode.unavailable, `Redis is unavailable (${what}: ${messageOf(error)}); the engine reconnects on its own, retry shortly`, error);
}

/** Runs a Redis call, turning its failure into an engine error naming `what`. */
export async function callRedis<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw engineErrorOf(error, what);
  }
}

/** A string reply as text; `undefined` for nil. */
export function replyText(reply: unknown): string | undefined {
  return reply === null || reply === undefined ? undefined : String(reply);
}

export function closedError(what: string): EngineError {
  return new EngineError(EngineErrorCode.closed, `the Redis hub is closed (${what})`);
}

/** Redis could not be reached when the engine started: nothing runs yet, so the message says what to check. */
export function unreachableAtStart(url: string, error: unknown): EngineError {
  return new EngineError(EngineErrorCode.unavailable, `cannot reach Redis at ${redactedUrl(url)} (${messageOf(error)}): start it, or check the URL (--redis or WSMIG_REDIS_URL)`, error);
}
