import type { ErrorBody, WSMessage } from '../protocol/index.js';

/**
 * The typed outcome of a request that did not get a reply payload: the server's `error` reply
 * (its `code`, e.g. `UNKNOWN_TYPE`), or a client-side outcome: `TIMEOUT`, `DISCONNECTED` (in flight
 * when the connection closed: it may have been processed), `QUEUE_OVERFLOW` (dropped by the offline
 * queue's overflow policy) or `CLIENT_CLOSED`.
 */
export class WSRequestError extends Error {
  /** Stable machine code: a server `ErrorCode` or one of the client outcomes above. */
  readonly code: string;
  /** Whether sending the same request again may succeed. */
  readonly retryable: boolean;
  /** The request's `type` (e.g. `sync:start`). */
  readonly requestType: string;
  /** The request's frame id, when it had one. */
  readonly requestId: string | undefined;
  /** Facts the server sent with the error (`ErrorBody.details`; for `UPSTREAM_STATUS`: the upstream's status, headers and body). */
  readonly details: unknown;

  constructor(code: string, message: string, options: { retryable: boolean; requestType: string; requestId?: string; cause?: unknown; details?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WSRequestError';
    this.code = code;
    this.retryable = options.retryable;
    this.requestType = options.requestType;
    this.requestId = options.requestId;
    this.details = options.details;
  }

  /** The error as the protocol's `{ code, message, retryable }` body. */
  toBody(): ErrorBody {
    return this.details === undefined ? { code: this.code, message: this.message, retryable: this.retryable } : { code: this.code, message: this.message, retryable: this.retryable, details: this.details };
  }
}

/** Whether `value` is a {@link WSRequestError}, optionally with one of `codes`. */
export function isWSRequestError(value: unknown, ...codes: string[]): value is WSRequestError {
  return value instanceof WSRequestError && (codes.length === 0 || codes.includes(value.code));
}


/**
 * The error an `error` frame carries, as the rejection of the request (of type `requestType`) it
 * answers; with `context`, the message is `<context>: <code> <message>`.
 */
export function requestErrorOf(frame: WSMessage, requestType: string, context?: string): WSRequestError {
  const body = frame.error ?? { code: 'INTERNAL', message: 'the server sent an error frame without an error body', retryable: false };
  const message = context === undefined ? body.message : `${context}: ${body.code} ${body.message}`.trim();
  return new WSRequestError(body.code, message, { retryable: body.retryable, requestType, requestId: frame.id, details: body.details });
}

/** A thrown value as an `Error` (anything else becomes one with its text as the message). */
export function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
