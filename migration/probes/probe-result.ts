/**
 * What a verification probe found. Success and failure share one shape; a failure says why in a
 * stable `failure` kind and in a `detail` a person can act on.
 */

/** Why a probe failed. */
export type ProbeFailure =
  /** No connection: refused, DNS, TLS, or the WebSocket closed before the event came. */
  | 'unreachable'
  /** The SSE endpoint answered a non-2xx status (`status`). */
  | 'http-status'
  /** The SSE endpoint answered 2xx, but not `text/event-stream`. */
  | 'not-sse'
  /** The expected event did not arrive within `withinMs`. */
  | 'no-event'
  /** The stream ended before the expected event. */
  | 'ended'
  /** The gateway refused the subscribe, or the bridged channel failed (`code`: NO_ROUTE, UPSTREAM_STATUS, …). */
  | 'refused';

export interface ProbeResult {
  probe: 'sse' | 'ws';
  /** The URL (sse) or channel at the URL (ws) probed. */
  target: string;
  /** The event name the probe waited for. */
  event: string;
  ok: boolean;
  failure?: ProbeFailure;
  /** HTTP status, when one came (sse) or the upstream's (ws, `UPSTREAM_STATUS`). */
  status?: number;
  /** The gateway's error code (ws). */
  code?: string;
  /** What happened, for people. */
  detail: string;
  durationMs: number;
}

/** Names of other events seen while waiting, for a failure's detail. */
export function describeSeen(seen: ReadonlyMap<string, number>): string {
  if (seen.size === 0) return 'no event at all';
  return `saw only ${[...seen].map(([name, count]) => `"${name}" ×${count}`).join(', ')}`;
}
