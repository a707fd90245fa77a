/**
 * The wsmig reference server (`wsmig/server`): WebSocket service at `/ws` speaking the protocol in
 * docs/protocol.md, the legacy SSE endpoints it replaces, health, metrics and the feature flag.
 * Documented in docs/server.md.
 */
export { createServer, type ReferenceServer } from './server.js';
export { FLAG_NAME, DEFAULTS, type ServerOptions, type SyncSettings, type Faults, type RateLimit, type FlagOptions, type AppRoutes } from './options.js';
export { createMemoryStatusStore, type StatusStore } from './status-store.js';
export { createFileStatusStore, type FileStatusStoreOptions } from './file-status-store.js';
export { createMemoryHub, ChannelEvent, type ChannelHub, type MemoryHub, type HubSnapshot, type ChannelSnapshot, type HubSubscriber, type ResumePoint, type SubscribeOutcome, type MemoryHubOptions } from './hub.js';
export { hubStateFileBeside } from './hub-state-file.js';
export { SYNC_CANCELLED } from './sync-service.js';
export { METRIC_PREFIX } from './metrics.js';
export { WS_PATH } from './ws-gateway.js';
export type { ApiConfig, HealthReport } from './http-routes.js';
