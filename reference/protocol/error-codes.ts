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
  /** The server holds as many channels as it allows (`maxChannels`) and none is idle: a new channel cannot open now. */
  tooManyChannels: 'TOO_MANY_CHANNELS',
  /** The demo sync service runs as many syncs as it allows (`maxRunningSyncs`): start this one later. */
  tooManySyncs: 'TOO_MANY_SYNCS',
  /** The shared engine (Redis) cannot be reached for a moment: the gateway reconnects on its own; retry shortly. */
  engineUnavailable: 'ENGINE_UNAVAILABLE',
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

/**
 * Stable codes of refused HTTP requests and WebSocket upgrades, answered before any frame as
 * `{ "error": { "code", "message" } }` with the HTTP status given here. Documented in
 * docs/protocol.md ("HTTP refusals") and docs/security.md; never renamed.
 */
export const HttpErrorCode = {
  /** 401: no valid credentials (token, ticket, or the app's `authenticate`). */
  unauthorized: 'UNAUTHORIZED',
  /** 400: a long-lived token in the URL (`?token=`): proxies log URLs. Send it in a header, or use a ticket. */
  tokenInUrl: 'TOKEN_IN_URL',
  /** 403: a browser `Origin` that is neither this server's own host nor in `allowedOrigins`. */
  forbiddenOrigin: 'FORBIDDEN_ORIGIN',
  /** 403: cookies sent from a foreign `Origin` (allowed only because `allowedOrigins` has `*`): cross-site WebSocket hijacking. */
  crossSiteCookies: 'CROSS_SITE_COOKIES',
  /** 415: a `POST` whose body is not `Content-Type: application/json`. */
  unsupportedMediaType: 'UNSUPPORTED_MEDIA_TYPE',
  /** 403: `/admin/*` is off: no admin token and no `adminLoopback`. */
  adminDisabled: 'ADMIN_DISABLED',
  /** 403: `/admin/*` opened to loopback only, and this request is not (or came through a proxy). */
  adminNotLoopback: 'ADMIN_NOT_LOOPBACK',
  /** 403: a browser request (with `Origin`) to `/admin/*`. */
  adminFromBrowser: 'ADMIN_FROM_BROWSER',
  /** 503: as many unredeemed tickets as `maxTickets` allows: retry in a few seconds. */
  tooManyTickets: 'TOO_MANY_TICKETS',
  /** 431: the request's headers are larger than the server accepts (`maxHeaderBytes`). */
  headersTooLarge: 'HEADERS_TOO_LARGE',
  /** 429: the client (its identity, else its IP address) has `maxSseStreamsPerClient` legacy SSE streams open: close one first. */
  tooManyStreams: 'TOO_MANY_STREAMS',
} as const;
export type HttpErrorCode = (typeof HttpErrorCode)[keyof typeof HttpErrorCode];
