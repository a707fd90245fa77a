/** What the gateway's WebSocket endpoint, its connections and their subscriptions share. */
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../../lib/logger.js';
import type { SseBridge } from './bridge/types.js';
import type { ChannelAccess } from './channel-access.js';
import type { HeldFrames } from './frame-writer.js';
import type { ResolvedGatewayLimits } from './gateway-options.js';
import type { ChannelHub } from './hub.js';
import type { ServerMetrics } from './metrics.js';
import type { RequestHandlers } from './request-handlers.js';
import type { ResyncSnapshots } from './resync-snapshots.js';
import type { TicketStore } from './tickets.js';

export interface GatewayContext {
  readonly options: ResolvedGatewayLimits & { readonly path: string };
  readonly metrics: ServerMetrics;
  readonly hub: ChannelHub;
  /** Extra delay before every reply and event (the reference server's fault injection); 0 otherwise. */
  readonly faults: { readonly latencyMs: number };
  readonly logger: Logger;
  readonly access: ChannelAccess;
  readonly requests: RequestHandlers;
  readonly snapshots: ResyncSnapshots;
  readonly bridge: SseBridge | undefined;
  /** Header names an upgrade request may forward to the bridge's upstream. */
  readonly forwardHeaders: ReadonlySet<string>;
  /** Identifies the connection an upgrade request becomes; `undefined` refuses it (401). Absent: every upgrade that passed the token is accepted. */
  readonly authenticate: ((req: IncomingMessage) => unknown) | undefined;
  /** One-time connection tickets (`?ticket=` on the upgrade): a redeemed one stands for the token and `authenticate`. */
  readonly tickets: TicketStore;
  /** The connections' events held to be written together (at the end of the turn, or after `writeDelayMs`). */
  readonly heldFrames: HeldFrames;
  /** True from the start of a drain or close: new connections are refused. */
  isDraining(): boolean;
}
