/** What the legacy SSE endpoints and the demo sync service of the reference server share: one server's state. */
import type { Logger } from '../../lib/logger.js';
import type { ChannelHub } from './hub.js';
import type { ServerMetrics } from './metrics.js';
import type { Faults, ResolvedServerOptions } from './options.js';
import type { SyncService } from './sync-service.js';

export interface ServerContext {
  readonly options: ResolvedServerOptions;
  readonly metrics: ServerMetrics;
  readonly hub: ChannelHub;
  readonly sync: SyncService;
  /** The faults injected now; changed in place by `setFaults`. */
  readonly faults: Faults;
  readonly logger: Logger;
  /** True from the start of a drain or close: new connections, streams and syncs are refused. */
  isDraining(): boolean;
}
