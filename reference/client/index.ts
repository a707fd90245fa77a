/**
 * The wsmig reference client — `WSClient`, `SyncManager` and the drop-in adapters (`WsEventSource`,
 * `wsFetch`, `wsFetchEventSource`) — for browsers and Node.
 * This is the browser (default) entry: nothing on its import graph is Node-only. In Node, the
 * package's `node` export condition loads `node.ts`, which adds `ws` as the WebSocket.
 * Documented in docs/client.md; the wire protocol in docs/protocol.md.
 */
export { WSClient } from './ws-client.js';
export type {
  ConnectionState,
  RequestOptions,
  TokenProvider,
  WSClientEvents,
  WSCloseEvent,
  WSGiveUpEvent,
  WSOpenEvent,
  WSOptions,
  WSReconnectingEvent,
  WSStateEvent,
} from './ws-client.js';
export { SyncManager } from './sync-manager.js';
export type { SyncHandlers, SyncManagerEvents, SyncManagerOptions, TransportMode, TransportSwitchEvent } from './sync-manager.js';
export type { SyncTransport, TransportConfig } from './transport-config.js';
export type { ActiveSync, ActiveSyncStatus } from './sync-tracker.js';
export { SYNC_CANCELLED_CODE } from './sync-tracker.js';
export type { SseRetryOptions } from './sse-sync-stream.js';
export { WSRequestError, isWSRequestError } from './request-error.js';
export type { QueueOverflowEvent, QueueOverflowPolicy } from './request-tracker.js';
export type { MessageHandler, ResyncEvent, SubscribeOptions } from './subscription-registry.js';
export { reconnectDelayFor, SLOW_BACKOFF_FACTOR } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { systemClock } from './clock.js';
export type { Clock, TimerHandle } from './clock.js';
export type { WebSocketConstructorLike, WebSocketLike } from './websocket-like.js';
export { httpUrlFromWsUrl } from './endpoints.js';
export { syncUntilDone } from './sync-until-done.js';
export type { SyncUntilDoneOptions } from './sync-until-done.js';
export { getSharedClient, getSharedSyncManager } from './shared.js';
export { CloseCode, ErrorCode, reconnectPolicyFor } from '../protocol/index.js';
export type {
  ChatId,
  DrainPayload,
  ErrorBody,
  ReconnectPolicy,
  ResyncPayload,
  SubscribeReply,
  SyncCompleteEvent,
  SyncErrorEvent,
  SyncOptions,
  SyncProgressEvent,
  SyncStartReply,
  SyncStatus,
  SyncStatusReply,
  WSMessage,
} from '../protocol/index.js';
export { runSync, watchSync } from './legacy-adapters.js';
export type * from './legacy-adapters.js';
export { waitForOpen } from './wait-for-open.js';
export { WsEventSource } from './adapters/ws-event-source.js';
export type { EventSourceLike, WsEventSourceEventMap, WsEventSourceInit, WsEventSourceOptions } from './adapters/ws-event-source.js';
export { wsFetch } from './adapters/ws-fetch.js';
export { EventStreamContentType, wsFetchEventSource } from './adapters/ws-fetch-event-source.js';
export type { EventSourceMessage, WsFetchEventSourceInit } from './adapters/ws-fetch-event-source.js';
export type { WsAdapterOptions } from './adapters/adapter-options.js';
export type { AdapterTransportChange, AdapterTransportMode } from './adapters/transport-selector.js';
export type { WaitForOpenOptions } from './wait-for-open.js';
