/**
 * The seam between the gateway and the SSE bridge. The gateway owns connections, identities,
 * authorization and the channel hub; the bridge owns upstream HTTP streams and publishes what they
 * carry into hub channels, which the gateway's subscriptions read like any other channel.
 */
import type { Logger } from '../../../lib/logger.js';
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

/** Options of `createSseBridge` (reference/server/bridge/index.ts). */
export interface SseBridgeOptions {
  /** The legacy server's base URL, e.g. `http://127.0.0.1:3001`. Only http: and https:. */
  upstream: string;
  /** Publishes into the gateway's hub. */
  publish: BridgePublish;
  /** The `eventId` of the newest event kept on a hub channel, to resume an upstream with `Last-Event-ID`. */
  newestEventId(hubChannel: string): Promise<string | undefined>;
  /**
   * Paths (exact, or a prefix ending in `*`) the bridge may relay; default: every path of the
   * upstream. A subscribe to any other `sse:` channel gets `NO_ROUTE`.
   */
  routes?: readonly string[];
  /** Paths (same syntax) that are public broadcasts: one upstream stream, opened without credentials, for all their subscribers. */
  sharedRoutes?: readonly string[];
  /** Header names forwarded upstream besides `cookie` and `authorization` (the gateway filters with the same list). */
  forwardHeaders?: readonly string[];
  /** How long an upstream may take to answer with response headers, in ms (default 10,000). */
  connectTimeoutMs?: number;
  /** An open upstream stream that sends nothing (no event, no comment) for this long is reconnected, in ms (default 45,000). */
  idleTimeoutMs?: number;
  /** Reconnect delay after an upstream stream drops, unless it sent `retry:` (default 1,000 ms). */
  retryMs?: number;
  /** Reconnect attempts in a row before the channel ends with a `sse:error` event (default 10). */
  maxRetries?: number;
  /** An upstream stream with no subscriber left is closed after this long, in ms (default 5,000): a client that reconnects meanwhile misses nothing. */
  lingerMs?: number;
  /** Open upstream streams at most (default 10,000); beyond it a subscribe gets `UPSTREAM_UNREACHABLE` (retryable). */
  maxUpstreamStreams?: number;
  /** Longest SSE event (or unterminated line) an upstream may send, in characters (default 1 MiB); a longer one fails the stream with `UPSTREAM_NOT_SSE`. */
  maxEventLength?: number;
  /** Largest `sse:fetch` request body, in bytes (default 1 MiB); a larger one gets `INVALID_PAYLOAD`. */
  maxRequestBodyBytes?: number;
  logger: Logger;
  clock?: () => number;
}
