/**
 * Payloads of the SSE bridge: a WebSocket subscription to a `sse:<path>` channel relays the
 * upstream server's GET stream at that path; a `sse:fetch` request performs one upstream request
 * (any method, headers, body) and relays its streamed SSE response on a `sse-fetch:<id>` channel.
 * Specified in docs/protocol.md ("The SSE bridge"). Depends on nothing.
 */

/**
 * An SSE event relayed by the bridge: the frame's `type` is the SSE event name (`message` when the
 * upstream gave none; escaped by `eventFrameType`), `eventId` the upstream's `id:` when it set one,
 * and the payload is the event's `data` as text, exactly as the upstream sent it.
 */
export type RelayedEventPayload = string;

/**
 * Payload of the `sse:end` event (`MessageType.sseEnd`): the last event of a `sse-fetch:` channel
 * (the upstream response ended) or of a `sse:` channel the upstream closed for good (HTTP 204).
 * A bridged channel whose upstream failed for good ends with a `sse:error` event whose payload is
 * an `ErrorBody` instead.
 */
export interface SseEndPayload {
  reason: 'upstream-ended' | 'upstream-closed';
}

/** Payload of a `sse:fetch` request. */
export interface SseFetchPayload {
  /** Path and query on the upstream server (`/api/chat?x=1`); an absolute URL is reduced to them. */
  url: string;
  /** HTTP method; default `GET`. */
  method?: string;
  /** Request headers to send upstream, besides the ones the gateway forwards from the connection. */
  headers?: Record<string, string>;
  /** Request body as text (JSON bodies are sent as their text), or null. */
  body?: string | null;
}

/** Reply to `sse:fetch`: the upstream answered with an SSE stream; subscribe to `channel` with `fromSeq: 0` to read it. */
export interface SseFetchReply {
  channel: string;
  /** The upstream's HTTP status (2xx). */
  status: number;
  /** The upstream's response headers (lower-case names), hop-by-hop headers removed. */
  headers: Record<string, string>;
}

/**
 * `details` of an `UPSTREAM_STATUS` / `UPSTREAM_NOT_SSE` error: what the upstream answered, so an
 * adapter can hand the application the same response a direct request would have had.
 */
export interface UpstreamResponseDetails {
  status: number;
  headers: Record<string, string>;
  /** The response body as text, cut at 64 KiB. */
  body: string;
}
