/**
 * The bridge's typed failures: every refusal and every upstream failure is a `WsmigError` whose
 * `code` is a protocol error code, with the upstream's answer in `details` where it gave one.
 */
import { ErrorCode, type ErrorBody, type UpstreamResponseDetails } from '../../protocol/index.js';
import { WsmigError, messageOf } from '../../../lib/errors.js';

/** Longest error body kept in `details.body`, in bytes (docs/protocol.md, "The SSE bridge"). */
export const MAX_ERROR_BODY_BYTES = 64 * 1024;

/** The upstream answered with a non-2xx status. */
export function upstreamStatusError(target: string, details: UpstreamResponseDetails): WsmigError {
  return new WsmigError(ErrorCode.upstreamStatus, `the upstream answered ${target} with HTTP ${details.status}`, { details: { ...details } });
}

/** The upstream answered 2xx, but not with `text/event-stream`. */
export function upstreamNotSseError(target: string, details: UpstreamResponseDetails): WsmigError {
  const type = details.headers['content-type'] ?? 'no content-type';
  return new WsmigError(ErrorCode.upstreamNotSse, `the upstream answered ${target} with ${type}, not text/event-stream`, { details: { ...details } });
}

/** No response headers in time, or an open stream went silent for too long. */
export function upstreamTimeoutError(target: string, what: 'answer' | 'silence', timeoutMs: number): WsmigError {
  const message =
    what === 'answer' ? `the upstream did not answer ${target} within ${timeoutMs} ms (connectTimeoutMs)` : `the upstream stream ${target} sent nothing for ${timeoutMs} ms (idleTimeoutMs)`;
  return new WsmigError(ErrorCode.upstreamTimeout, message, { details: { timeoutMs } });
}

/** Refused, reset, DNS or TLS failure: the upstream could not be reached or dropped the connection. */
export function upstreamUnreachableError(target: string, cause: unknown): WsmigError {
  const code = (cause as { code?: unknown } | null)?.code;
  const detail = typeof code === 'string' ? `${code}: ${messageOf(cause)}` : messageOf(cause);
  return new WsmigError(ErrorCode.upstreamUnreachable, `the upstream could not be reached for ${target} (${detail}); check that it runs at the configured upstream URL`, { cause });
}

/** A subscribe or request the bridge will not relay. */
export function noRouteError(message: string): WsmigError {
  return new WsmigError(ErrorCode.noRoute, message);
}

/** A request whose shape the bridge refuses (bad header, body too large). */
export function invalidRequestError(message: string): WsmigError {
  return new WsmigError(ErrorCode.invalidPayload, message);
}

/**
 * Whether trying the same upstream again may succeed: unreachable, timeouts, 5xx, 408 and 429 may;
 * other statuses, non-SSE answers and refusals will not (as `EventSource` fails the connection on them).
 */
export function isRetryableBridgeError(error: unknown): boolean {
  if (!(error instanceof WsmigError)) return false;
  if (error.code === ErrorCode.upstreamUnreachable || error.code === ErrorCode.upstreamTimeout) return true;
  if (error.code !== ErrorCode.upstreamStatus) return false;
  const status = (error.details as Partial<UpstreamResponseDetails> | undefined)?.status ?? 0;
  return status >= 500 || status === 408 || status === 429;
}

/** The protocol's `ErrorBody` of a bridge failure: the payload of `sse:error`, and what the gateway sends in an `error` frame. */
export function errorBodyOf(error: unknown): ErrorBody {
  if (!(error instanceof WsmigError)) return { code: ErrorCode.internal, message: `the SSE bridge failed: ${messageOf(error)}`, retryable: true };
  const body: ErrorBody = { code: error.code, message: error.message, retryable: isRetryableBridgeError(error) };
  if (error.details !== undefined) body.details = error.details;
  return body;
}
