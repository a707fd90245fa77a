/**
 * `wsmig/server`: the embeddable WebSocket gateway (`createGateway`) speaking the protocol in
 * docs/protocol.md, and the reference server (`createServer`: the gateway plus the demo sync
 * service, the legacy SSE endpoints it replaces, health, metrics and the feature flag).
 * Documented in docs/server.md.
 */
export { createGateway, type Gateway, type PublishResult } from './gateway.js';
/** Throw one from a `handle`d request with a protocol error code: the client gets an `error` frame with that code. */
export { WsmigError } from '../../lib/errors.js';
export type { GatewayOptions, GatewayLimitOptions, GatewayUpstreamOptions, AuthorizeRequest, RateLimit } from './gateway-options.js';
export type { RequestHandler, RequestContext } from './request-handlers.js';
export type { ResyncSnapshotProvider } from './resync-snapshots.js';
export type { BridgeStatus } from './bridge/types.js';
export { createServer, type ReferenceServer } from './server.js';
export { FLAG_NAME, DEFAULTS, type ServerOptions, type SyncSettings, type Faults, type FlagOptions, type AppRoutes } from './options.js';
export { createMemoryStatusStore, type StatusStore } from './status-store.js';
export { createFileStatusStore, type FileStatusStoreOptions } from './file-status-store.js';
export { createMemoryHub, ChannelEvent, type ChannelHub, type MemoryHub, type HubSnapshot, type ChannelSnapshot, type HubSubscriber, type ResumePoint, type SubscribeOutcome, type MemoryHubOptions, type HubStats } from './hub.js';
export type { IdentitiesOption, IdentityConfig, ChatIdentity } from './identities.js';
export { hubStateFileBeside } from './hub-state-file.js';
export { SYNC_CANCELLED } from './sync-service.js';
export { METRIC_PREFIX } from './metrics.js';
export { WS_PATH } from './ws-gateway.js';
export type { ApiConfig, HealthReport } from './http-routes.js';
