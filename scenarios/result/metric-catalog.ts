/**
 * The metrics wsmig knows by name: their type, unit and meaning. Names follow k6 where k6 has one;
 * the rest measure what k6 lacks (message latency, reconnects, loss). Engines record under these
 * names, importers map to them, thresholds check expressions against their types, docs list them.
 */
import type { MetricType, MetricUnit } from './types.js';

export interface MetricDefinition {
  name: string;
  type: MetricType;
  unit: MetricUnit;
  /** Which seed rollback trigger (§4.1) it speaks to, if any. */
  trigger: 'connection-stability' | 'message-latency' | 'resource-use' | 'message-integrity' | null;
  description: string;
}

const define = (
  name: string,
  type: MetricType,
  unit: MetricUnit,
  trigger: MetricDefinition['trigger'],
  description: string,
): MetricDefinition => ({ name, type, unit, trigger, description });

export const METRIC_CATALOG: readonly MetricDefinition[] = [
  // k6 names
  define('ws_connecting', 'trend', 'ms', 'connection-stability', 'Time to establish a WebSocket connection (TCP + upgrade).'),
  define('ws_sessions', 'counter', 'count', null, 'WebSocket sessions started.'),
  define('ws_msgs_sent', 'counter', 'count', null, 'WebSocket messages sent by the generator.'),
  define('ws_msgs_received', 'counter', 'count', null, 'WebSocket messages received by the generator.'),
  define('ws_session_duration', 'trend', 'ms', null, 'How long WebSocket sessions lasted.'),
  define('http_req_duration', 'trend', 'ms', 'message-latency', 'HTTP request duration (autocannon scenarios, imported k6 results).'),
  define('http_req_failed', 'rate', 'ratio', 'connection-stability', 'Share of HTTP requests that failed (non-2xx, errors, timeouts).'),
  define('http_reqs', 'counter', 'count', null, 'HTTP requests made.'),
  define('checks', 'rate', 'ratio', null, 'Share of checks that passed.'),
  define('iterations', 'counter', 'count', null, 'Scenario iterations started.'),
  define('dropped_iterations', 'counter', 'count', null, 'Iterations the generator could not start on time (open model).'),
  define('data_sent', 'counter', 'bytes', null, 'Bytes sent.'),
  define('data_received', 'counter', 'bytes', null, 'Bytes received.'),
  // what k6 lacks
  define('ws_connect_success', 'rate', 'ratio', 'connection-stability', 'Share of connection attempts that succeeded.'),
  define('ws_rpc_duration', 'trend', 'ms', 'message-latency', 'Request round trip, from the intended send time to the reply (no coordinated omission).'),
  define('ws_event_latency', 'trend', 'ms', 'message-latency', 'Event delivery latency: from the server timestamp (ts) to receipt.'),
  define('ws_event_interarrival', 'trend', 'ms', null, 'Time between two events on one connection: recorded instead of ws_event_latency when a protocol profile finds no event timestamp. Not a delivery latency.'),
  define('ws_sync_duration', 'trend', 'ms', 'message-latency', 'Time to complete a sync over WebSocket, from sync:start to sync:complete.'),
  define('ws_reconnect_duration', 'trend', 'ms', 'connection-stability', 'Time from a cut connection to the client being connected and resubscribed.'),
  define('ws_reconnect_success', 'rate', 'ratio', 'connection-stability', 'Share of cut connections that reconnected within the deadline.'),
  define('ws_unexpected_disconnects', 'counter', 'count', 'connection-stability', 'Connections lost that the scenario did not cut itself.'),
  define('ws_msgs_lost', 'counter', 'count', 'message-integrity', 'Events never delivered: gaps in a channel\'s seq, or events lost to a resync.'),
  define('ws_msgs_duplicated', 'counter', 'count', 'message-integrity', 'Events delivered more than once (a seq seen again).'),
  define('sse_sync_duration', 'trend', 'ms', 'message-latency', 'Time to complete a sync over the legacy POST /commands/sync stream.'),
  define('sse_connecting', 'trend', 'ms', 'connection-stability', 'sse-stream: time from an SSE request to its response headers.'),
  define('sse_event_latency', 'trend', 'ms', 'message-latency', 'sse-stream: event delivery latency, from the send timestamp in the event to receipt.'),
  define('sse_event_interarrival', 'trend', 'ms', null, 'sse-stream: time between two events on a stream, recorded instead of sse_event_latency when events carry no timestamp. Not a delivery latency.'),
  define('sse_msgs_lost', 'counter', 'count', 'message-integrity', 'sse-stream: events never delivered (gaps in their sequence number).'),
  define('sse_msgs_duplicated', 'counter', 'count', 'message-integrity', 'sse-stream: events delivered more than once (a sequence number seen again).'),
  define('sse_reconnect_duration', 'trend', 'ms', 'connection-stability', 'sse-stream: time from a GET stream lost to the next one\'s headers (resumed with Last-Event-ID).'),
  define('sse_stream_duration', 'trend', 'ms', 'message-latency', 'sse-stream: time from a POST to the end of its streamed response.'),
  // the target server, scraped from its /metrics during the run
  define('server_rss_bytes', 'gauge', 'bytes', 'resource-use', 'Server resident memory.'),
  define('server_cpu_percent', 'gauge', 'percent', 'resource-use', 'Server CPU use, percent of one core, between two scrapes.'),
  define('server_event_loop_lag_seconds', 'gauge', 'seconds', 'resource-use', 'Server event-loop lag.'),
  define('server_connections', 'gauge', 'count', 'connection-stability', 'Open WebSocket connections on the server.'),
  define('server_rss_growth_bytes_per_minute', 'gauge', 'bytes', 'resource-use', 'Slope of server RSS over the run (least squares): the leak signal of the soak scenario.'),
];

const BY_NAME = new Map(METRIC_CATALOG.map((definition) => [definition.name, definition]));

/** The catalog entry for a metric name, or undefined for a metric wsmig does not know (custom or imported). */
export function metricDefinition(name: string): MetricDefinition | undefined {
  return BY_NAME.get(name);
}
