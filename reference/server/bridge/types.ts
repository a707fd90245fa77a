/**
 * The seam between the gateway and the SSE bridge. The gateway owns connections, identities,
 * authorization and the channel hub; the bridge owns upstream HTTP streams and publishes what they
 * carry into hub channels, which the gateway's subscriptions read like any other channel.
 */
import type { SseFetchPayload, SseFetchReply } from '../../protocol/index.js';

/** Publishes one event into a hub channel (the gateway's hub, numbering it with seq). */
export type BridgePublish = (hubChannel: string, type: string, payload: unknown, options?: { eventId?: string }) => Promise<void>;

/** What the bridge is told about the connection a subscribe or `sse:fetch` comes from. */
export interface BridgeCaller {
  /**
   * Headers of the connection's upgrade request that may go upstream (lower-case names): `cookie`,
   * `authorization` and the ones configured in `forwardHeaders`; the gateway filters them.
   */
  headers: Record<string, string>;
}

/** A subscriber's hold on the hub channel an upstream stream feeds; release it once, on unsubscribe or close. */
export interface BridgeAttachment {
  /** The hub channel to subscribe to (a per-caller key for per-user routes, the channel itself for shared ones). */
  hubChannel: string;
  release(): void;
}

/** Where the bridge stands, for `/health` and `stabilize`. */
export interface BridgeStatus {
  upstream: string;
  /** Upstream streams open now. */
  upstreamStreams: number;
  /** Every route (path without query) relayed since the start, with the last time it carried an event or a subscriber. */
  routes: Array<{ path: string; shared: boolean; subscribers: number; lastActiveMs: number }>;
}

export interface SseBridge {
  /** True for the channels this bridge relays: `sse:<path>` of an allowed route, `sse-fetch:<id>` it created. */
  handles(channel: string): boolean;
  /**
   * Makes sure an upstream stream feeds the hub channel of `channel` for this caller, opening it
   * (with `Last-Event-ID` from the channel's newest relayed event, else `resume.lastEventId`) when
   * none is open. Resolves once the upstream answered with an SSE stream (or at once, when one is
   * open already). Rejects with a `WsmigError` whose code is an `UPSTREAM_*` or `NO_ROUTE`/`FORBIDDEN`
   * error code (with `details` where the upstream answered), never hangs past the bridge's timeout.
   */
  attach(channel: string, caller: BridgeCaller, resume: { lastEventId?: string; headers?: Record<string, string> }): Promise<BridgeAttachment>;
  /** Performs one upstream request and starts relaying its SSE response on a new `sse-fetch:` channel. Rejects as `attach`. */
  fetch(request: SseFetchPayload, caller: BridgeCaller): Promise<SseFetchReply>;
  status(): BridgeStatus;
  /** Aborts every upstream stream. */
  close(): Promise<void>;
}
