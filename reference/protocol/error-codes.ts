/**
 * Stable error codes carried in `error` frames (`error.code`) and in the client's typed errors.
 * Documented in docs/protocol.md; never renamed.
 */
export const ErrorCode = {
  /** The frame was not JSON, or not a valid envelope. The connection stays open. */
  badFrame: 'BAD_FRAME',
  /** The request `type` is not known to the server. */
  unknownType: 'UNKNOWN_TYPE',
  /** The request's payload does not have the shape its type requires. */
  invalidPayload: 'INVALID_PAYLOAD',
  /** The type is reserved by the protocol and cannot be sent by a client. */
  reservedType: 'RESERVED_TYPE',
  /** The connection sends faster than its message rate allows. */
  rateLimited: 'RATE_LIMITED',
  /** The thing asked about does not exist (e.g. no sync for that chat). */
  notFound: 'NOT_FOUND',
  /** The server is draining and accepts no new work. */
  draining: 'DRAINING',
  /** The server failed while handling the request. */
  internal: 'INTERNAL',
  /** `authorize` refused this subscribe or request for the connection's identity. */
  forbidden: 'FORBIDDEN',
  /** The channel name breaks the naming rules, or no one serves it (no handler, no upstream, route not allowed). */
  noRoute: 'NO_ROUTE',
  /** The connection is subscribed to as many channels as the server allows (`maxSubscriptionsPerConnection`): unsubscribe from one first. */
  tooManySubscriptions: 'TOO_MANY_SUBSCRIPTIONS',
  /** The upstream SSE server answered with an HTTP error status (`details`: its status, headers and body). */
  upstreamStatus: 'UPSTREAM_STATUS',
  /** The upstream answered 2xx but not `text/event-stream` (`details`: its status, headers and body). */
  upstreamNotSse: 'UPSTREAM_NOT_SSE',
  /** The upstream did not answer, or went silent, within the bridge's timeout. */
  upstreamTimeout: 'UPSTREAM_TIMEOUT',
  /** The upstream could not be reached (connection refused, DNS, TLS). */
  upstreamUnreachable: 'UPSTREAM_UNREACHABLE',
  /** Carried by the `sync:error` event that ends a run stopped by `sync:cancel`. */
  cancelled: 'CANCELLED',
  // client-side outcomes of a request
  /** No reply within the request's timeout. */
  timeout: 'TIMEOUT',
  /** The connection closed while the request was in flight; it may or may not have been processed. */
  disconnected: 'DISCONNECTED',
  /** The offline queue was full and its overflow policy dropped this request. */
  queueOverflow: 'QUEUE_OVERFLOW',
  /** The client was closed by the application. */
  clientClosed: 'CLIENT_CLOSED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
