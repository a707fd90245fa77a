/**
 * The request types a gateway answers: handlers registered with `gateway.handle(type, handler)`,
 * the built-in `echo`, and `sse:fetch` when there is an SSE bridge. A handler's return value is the
 * reply's payload; a thrown `WsmigError` becomes an `error` frame with its code.
 */
import { ErrorCode, RESERVED_TYPES, type ErrorBody } from '../protocol/index.js';
import { WsmigError, isWsmigError, messageOf } from '../../lib/errors.js';
import { isRetryableBridgeError } from './bridge/errors.js';

/** What a request handler is told about the request besides its payload. */
export interface RequestContext<Identity = unknown> {
  /** What `authenticate` returned for the connection. */
  identity: Identity;
  /** The channel the request was sent on. */
  channel: string;
  /** The connection's id (unique within the gateway, for logs). */
  connectionId: number;
}

/** Answers one request type: the reply's payload, or throws (a `WsmigError` with a code → an `error` frame with that code). */
export type RequestHandler<Identity = unknown> = (payload: unknown, context: RequestContext<Identity>) => unknown;

/** The gateway's own context of a request: the public one plus the headers the connection may forward upstream. */
export interface ConnectionRequestContext extends RequestContext {
  forwardedHeaders: Record<string, string>;
}

export type InternalHandler = (payload: unknown, context: ConnectionRequestContext) => unknown;

/** Codes whose request may succeed when sent again (the bridge's `UPSTREAM_*` codes decide by their own rule). */
const RETRYABLE_CODES: ReadonlySet<string> = new Set([ErrorCode.rateLimited, ErrorCode.draining, ErrorCode.internal, ErrorCode.tooManyChannels, ErrorCode.tooManySyncs, ErrorCode.engineUnavailable]);

const MAX_TYPE_LENGTH = 64;

export class RequestHandlers {
  private readonly handlers = new Map<string, InternalHandler>();

  /** Registers (or replaces) the handler of `type`; throws a `WsmigError` `INVALID_REQUEST_TYPE` for a type the protocol reserves. */
  set(type: string, handler: InternalHandler): void {
    if (typeof type !== 'string' || type.length === 0 || type.length > MAX_TYPE_LENGTH) {
      throw new WsmigError('INVALID_REQUEST_TYPE', `A request type is a string of 1 to ${MAX_TYPE_LENGTH} characters, not ${JSON.stringify(type)}.`);
    }
    if (RESERVED_TYPES.has(type) || type.startsWith('event:')) {
      throw new WsmigError('INVALID_REQUEST_TYPE', `"${type}" is reserved by the protocol (docs/protocol.md): choose another request type, such as "app:${type}".`);
    }
    this.handlers.set(type, handler);
  }

  get(type: string): InternalHandler | undefined {
    return this.handlers.get(type);
  }
}

/** Whether the same request may succeed later: by code, and for the bridge's upstream failures by its rule (5xx, 408, 429, timeouts, unreachable). */
function isRetryable(error: WsmigError): boolean {
  return RETRYABLE_CODES.has(error.code) || isRetryableBridgeError(error);
}

/** The `error` frame body of what a handler (or the SSE bridge) threw: a `WsmigError` keeps its code (and `details`), anything else is `INTERNAL`. */
export function errorBodyOfFailure(error: unknown, type: string): ErrorBody {
  if (!isWsmigError(error)) return { code: ErrorCode.internal, message: `the server failed handling "${type}": ${messageOf(error)}`, retryable: true };
  const body: ErrorBody = { code: error.code, message: error.message, retryable: isRetryable(error) };
  if (error.details !== undefined) body.details = error.details;
  return body;
}

/** The built-in `echo` request (load tests and probes): replies with its payload. */
export const echoHandler: InternalHandler = (payload) => payload;
