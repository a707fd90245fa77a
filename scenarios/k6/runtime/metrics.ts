/**
 * The custom metrics the k6 scripts record for what k6 does not measure itself, under the names of
 * wsmig's metric catalog, so a k6 summary imports into the same Result metrics as a native run.
 * k6's own WebSocket metrics (ws_connecting, ws_sessions, ws_msgs_sent, ws_msgs_received,
 * ws_session_duration) are recorded by k6/websockets.
 */
import { Counter, Rate, Trend } from 'k6/metrics';

/** Request round trip, from the intended send time (open model) to the reply, ms. */
export const wsRpcDuration = new Trend('ws_rpc_duration', true);
/** Event delivery latency: receipt minus the event's server timestamp `ts`, ms. */
export const wsEventLatency = new Trend('ws_event_latency', true);
/** Time between events on a connection: what a profile without event timestamps records instead of a latency, ms. */
export const wsEventInterarrival = new Trend('ws_event_interarrival', true);
/** Time to complete a sync, `sync:start` sent to `sync:complete` received, ms. */
export const wsSyncDuration = new Trend('ws_sync_duration', true);
/** Time from a cut to the client connected and resubscribed, ms. */
export const wsReconnectDuration = new Trend('ws_reconnect_duration', true);
/** Share of connection attempts that opened. */
export const wsConnectSuccess = new Rate('ws_connect_success');
/** Share of cut connections back and resubscribed within the reconnect deadline. */
export const wsReconnectSuccess = new Rate('ws_reconnect_success');
/** Events never delivered (seq gaps, events skipped by a resync). */
export const wsMsgsLost = new Counter('ws_msgs_lost');
/** Events delivered more than once. */
export const wsMsgsDuplicated = new Counter('ws_msgs_duplicated');
/** Connections lost that the scenario did not cut itself. */
export const wsUnexpectedDisconnects = new Counter('ws_unexpected_disconnects');
/** Requests the schedule could not send (no open connection): k6's own counter, shared with its executors. */
export const droppedIterations = new Counter('dropped_iterations');
/** Sends that left more than the tolerance after their intended time: the generator fell behind. */
export const wsmigLateSends = new Counter('wsmig_late_sends');
/** How late each scheduled send left, ms: the generator's own lag. */
export const wsmigSendLag = new Trend('wsmig_send_lag', true);
