/**
 * Options every drop-in adapter takes (`WsEventSource`, `wsFetch`, `wsFetchEventSource`, as their
 * last argument): which `WSClient` carries the streams, and how the transport is chosen.
 */
import type { Clock } from '../clock.js';
import { callableFetch } from '../http.js';
import { getSharedClient } from '../shared.js';
import type { WSClient } from '../ws-client.js';
import { transportSelectorFor, type AdapterTransportMode, type TransportSelector } from './transport-selector.js';

/** Options of the drop-in adapters. */
export interface WsAdapterOptions {
  /** The client whose socket carries the stream. Default: {@link getSharedClient} (one socket per page). */
  client?: WSClient;
  /**
   * `auto` (default): WebSocket while the server's flag (`/api/config`) says `ws` and the socket
   * works, real SSE otherwise; `ws`: WebSocket only; `sse`: real SSE only (the legacy call, unchanged).
   */
  transport?: AdapterTransportMode;
  /**
   * Base for relative URLs. Default: the page's `location.href`; in Node a relative URL needs it
   * (the WebSocket path only uses the path and query; the SSE fallback requests the full URL).
   */
  baseUrl?: string;
  /** `fetch` for the SSE fallback and `/api/config`. Default: the platform's. */
  fetch?: typeof fetch;
  /**
   * Settings of the client's transport selector, used by the first adapter on a client only (all
   * adapters of a client share one selector): `httpUrl` (base of `/api/config`; default from the
   * client's URL), `configPollMs` (default 15,000), `fallbackAfterFailures` (default 3),
   * `stickinessId` (sent to `/api/config`; default the client's), `clock`.
   */
  selector?: {
    httpUrl?: string;
    configPollMs?: number;
    fallbackAfterFailures?: number;
    stickinessId?: string;
    clock?: Clock;
  };
  /** How long a streamed request (`sse:fetch`) may wait for the upstream's answer, in ms. Default 30,000. */
  requestTimeoutMs?: number;
  /**
   * SSE fallback of `WsEventSource`: a stream silent this long (no event, no comment) is taken for
   * half-open, aborted and reconnected with `Last-Event-ID`, in ms; 0 waits forever as `EventSource`
   * does. Default 45,000 (the bridge's own `idleTimeoutMs` for upstream streams): keep it above twice
   * your server's keep-alive interval.
   */
  sseIdleTimeoutMs?: number;
  /** Clock for the adapter's own timers (reconnect delays, the handover between transports). Default: the platform's. */
  clock?: Clock;
}

/** The client, selector and fetch an adapter works with, resolved from its options. */
export interface AdapterContext {
  /** Absent in `sse` mode, which never touches a socket. */
  client: WSClient | undefined;
  mode: AdapterTransportMode;
  /** Present in `auto` mode only. */
  selector: TransportSelector | undefined;
  fetch: typeof fetch;
}

/** Resolves an adapter's options (creating the shared client only when the WebSocket may be used). */
export function adapterContext(options: WsAdapterOptions = {}): AdapterContext {
  const mode = options.transport ?? 'auto';
  const boundFetch = callableFetch(options.fetch);
  const client = mode === 'sse' ? undefined : (options.client ?? getSharedClient());
  const selector = mode === 'auto' && client ? transportSelectorFor(client, { ...options.selector, fetch: boundFetch }) : undefined;
  return { client, mode, selector, fetch: boundFetch };
}

/**
 * `url` made absolute against `baseUrl`, else the page's location, as `EventSource` and `fetch`
 * resolve it; `undefined` when it is relative and there is no base.
 */
export function absoluteUrl(url: string | URL, baseUrl: string | undefined): string | undefined {
  const base = baseUrl ?? (globalThis as { location?: { href?: string } }).location?.href;
  try {
    return new URL(url, base).href;
  } catch {
    return undefined;
  }
}
