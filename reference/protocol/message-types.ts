/**
 * Frame types with a meaning fixed by the protocol. Any other `type` a client sends is a request,
 * answered by a `reply` or an `error` carrying the request's `id`.
 */
export const MessageType = {
  // client → server
  subscribe: 'subscribe',
  unsubscribe: 'unsubscribe',
  ping: 'ping',
  // server → client
  reply: 'reply',
  error: 'error',
  pong: 'pong',
  resync: 'resync',
  drain: 'drain',
  // built-in requests
  syncStart: 'sync:start',
  syncCancel: 'sync:cancel',
  syncStatus: 'sync:status',
  echo: 'echo',
  /** SSE bridge: perform one upstream request and relay its streamed response (see bridge.ts). */
  sseFetch: 'sse:fetch',
  // events on sync:<chatId> channels
  syncProgress: 'sync:progress',
  syncComplete: 'sync:complete',
  syncError: 'sync:error',
  // last events of bridged channels
  sseEnd: 'sse:end',
  sseError: 'sse:error',
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/**
 * Types a client may not use as request types: they are control frames or server-only.
 * Written as literals (checked against {@link MessageType}): a set of literals is one a bundler can
 * drop where it is unused, one read from the table's properties is not.
 */
export const RESERVED_TYPES: ReadonlySet<string> = new Set<MessageType>([
  'subscribe',
  'unsubscribe',
  'ping',
  'reply',
  'error',
  'pong',
  'resync',
  'drain',
  'sync:progress',
  'sync:complete',
  'sync:error',
  'sse:end',
  'sse:error',
]);

/** The channel on which the server sends notices that concern the whole connection (`drain`). */
export const SYSTEM_CHANNEL = 'sys';

/** Payload of a `subscribe` frame: resume after `fromSeq` in `epoch`, or start live. */
export interface SubscribePayload {
  fromSeq?: number;
  epoch?: string;
  /**
   * Bridged `sse:` channels only: the SSE `id` of the last event the client processed, sent
   * upstream as `Last-Event-ID` when the gateway has to open the upstream stream anew.
   */
  lastEventId?: string;
  /** Bridged `sse:` channels only: request headers for the upstream stream (what `new EventSource(url, { headers })` of the polyfill sent). */
  headers?: Record<string, string>;
}

/** Payload of the reply to `subscribe`: where the channel stands now. */
export interface SubscribeReply {
  channel: string;
  epoch: string;
  /** Sequence number of the newest event on the channel (0 when none). */
  seq: number;
  /** Events replayed right after this reply (0 when live only). */
  replayed: number;
}

/** Why the server cannot replay what a client asked for. */
export type ResyncReason = 'epoch-changed' | 'too-old' | 'future-seq';

/** Payload of a `resync` frame: the client missed events it cannot get back; here is the current state. */
export interface ResyncPayload<S = unknown> {
  reason: ResyncReason;
  epoch: string;
  /** Sequence number the channel is at; live events continue after it. */
  seq: number;
  /** The current state of what the channel describes (for `sync:<chatId>`: a {@link SyncStatusReply}). */
  snapshot: S | null;
}

/** Payload of a `drain` frame on the `sys` channel. */
export interface DrainPayload {
  /** How long this client should wait before reconnecting; spread over the drain window per client. */
  retryAfterMs: number;
  reason: string;
}
