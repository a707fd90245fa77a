/**
 * The shape of a WebSocket workload in k6 terms: which VU holds which connections, when each
 * opens, which chats each connection subscribes to and keeps syncing, when the cuts fall, and the
 * k6 `options` that run it. The workload model (connections, rate, syncs, cuts) and the chat and cut
 * layout are the native engine's too. No k6 imports: compiled for k6 and for Node alike.
 */
import { profileMeasuresOf } from '../../profiles/coverage.js';
import type { ProtocolProfile } from '../../profiles/schema.js';
import { K6_HTTP_TIMINGS } from './builtin-metrics.js';
import type { BackoffPolicy } from './reconnect.js';
import type { K6Threshold } from './thresholds.js';
import { k6Duration } from './knobs.js';

/**
 * How every connection is cut in a reconnect storm: a restart of the server (only the native engine
 * can, for the server wsmig started), an admin kick, or an abrupt close by the client.
 */
export type CutMode = 'restart' | 'kick' | 'client-close';

/** The cut modes a k6 script can carry out itself. */
export type K6CutMode = Exclude<CutMode, 'restart'>;

/** Cutting every connection at once, `count` times. */
export interface CutSettings<M extends CutMode = CutMode> {
  count: number;
  /**
   * `auto` picks the strongest cut the target allows: the native engine restarts a server wsmig
   * started (when that keeps its replay history), else kicks; k6 resolves it in `setup()` to kick
   * when the target's /admin/kick answers, else client-close.
   */
  mode: M | 'auto';
  /** A cut client that is not connected and resubscribed within this counts as a failed reconnect. */
  reconnectDeadlineMs: number;
}

/** A WebSocket workload: what the connections of a scenario do, whichever engine runs them. */
export interface WsWorkloadSettings<M extends CutMode = CutMode> {
  connections: number;
  /** `echo` requests started per second across all connections (open model); 0 for none. */
  ratePerSecond: number;
  payloadBytes: number;
  durationMs: number;
  /** Connections open, and the request rate ramps from 0, over this time. */
  rampUpMs: number;
  /** Chats kept syncing: each is started again when its run ends. Every connection subscribes to one. */
  syncs: number;
  /** A request without a reply after this long is recorded at this duration and counted as failed. */
  requestTimeoutMs: number;
  /** The reference client's reconnect policy: capped exponential backoff with full jitter. */
  reconnect: BackoffPolicy;
  cuts: CutSettings<M> | null;
}

/** The workload as a k6 script runs it: k6's cut modes, and how many sockets a VU holds. */
export interface WsWorkloadPlan extends WsWorkloadSettings<K6CutMode> {
  socketsPerVu: number;
}

/** VUs that hold the connections. */
export function vuCountOf(plan: WsWorkloadPlan): number {
  return Math.max(1, Math.ceil(plan.connections / plan.socketsPerVu));
}

/** The connections (0-based, global) held by the VU in `lane` (0-based). */
export function connectionsOfLane(plan: WsWorkloadPlan, lane: number): number[] {
  const first = lane * plan.socketsPerVu;
  const connections: number[] = [];
  for (let index = first; index < Math.min(plan.connections, first + plan.socketsPerVu); index++) connections.push(index);
  return connections;
}

/** When a connection opens, ms from the start: spread evenly over the ramp-up. */
export function openOffsetMs(plan: WsWorkloadPlan, connection: number): number {
  return plan.connections <= 1 ? 0 : (plan.rampUpMs * connection) / plan.connections;
}

/** Chats (0-based) a connection subscribes to, and those it keeps syncing (starts again when a run ends). */
export interface ConnectionChats {
  subscribe: number[];
  drive: number[];
}

/**
 * Connection c subscribes to chat c mod syncs; chat j is driven by connection j mod connections,
 * which also subscribes to it. So every connection watches one chat and every chat has one driver,
 * whether there are more syncs than connections or fewer.
 */
export function chatsOfConnection(plan: Pick<WsWorkloadSettings, 'connections' | 'syncs'>, connection: number): ConnectionChats {
  if (plan.syncs <= 0) return { subscribe: [], drive: [] };
  const drive: number[] = [];
  for (let chat = connection; chat < plan.syncs; chat += plan.connections) drive.push(chat);
  const watched = connection % plan.syncs;
  const subscribe = drive.indexOf(watched) >= 0 ? drive.slice() : [watched].concat(drive);
  return { subscribe, drive };
}

/** When the cuts fall, ms from the start: spread evenly after the ramp-up. */
export function cutOffsetsMs(plan: Pick<WsWorkloadSettings, 'durationMs' | 'rampUpMs' | 'cuts'>): number[] {
  if (plan.cuts === null) return [];
  const span = Math.max(0, plan.durationMs - plan.rampUpMs);
  const offsets: number[] = [];
  for (let cut = 1; cut <= plan.cuts.count; cut++) offsets.push(plan.rampUpMs + (span * cut) / (plan.cuts.count + 1));
  return offsets;
}

/** Trend statistics k6 puts in its summary: p(99) and p(99.9) are what latency thresholds need. */
export const SUMMARY_TREND_STATS = ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)', 'count'];

/** A constant-vus k6 scenario: the VUs that hold the connections for the whole duration. */
export interface HeldConnectionsScenario {
  executor: 'constant-vus';
  vus: number;
  duration: string;
  gracefulStop: string;
  exec: string;
}

/**
 * The k6 scenario holding a workload's connections. Each VU runs one iteration that lasts the
 * whole duration and ends itself; `gracefulStop` leaves time for the requests still in flight at
 * the end to be answered or time out, and for the sockets to close cleanly.
 */
export function heldConnectionsScenario(plan: WsWorkloadPlan, exec: string): HeldConnectionsScenario {
  return {
    executor: 'constant-vus',
    vus: vuCountOf(plan),
    duration: k6Duration(plan.durationMs),
    gracefulStop: k6Duration(plan.requestTimeoutMs + 5_000),
    exec,
  };
}

/** The k6 options of a script: its scenarios, thresholds, and the trend statistics wsmig needs. */
export interface ScriptOptions<S> {
  scenarios: Record<string, S>;
  thresholds: Record<string, K6Threshold[]>;
  summaryTrendStats: string[];
  setupTimeout: string;
}

export function scriptOptions<S>(scenarios: Record<string, S>, thresholds: Record<string, K6Threshold[]>): ScriptOptions<S> {
  return { scenarios, thresholds, summaryTrendStats: SUMMARY_TREND_STATS.slice(), setupTimeout: '30s' };
}

/**
 * The metrics a run of this plan records samples in, on wsmig's envelope or on a protocol profile.
 * k6 evaluates a threshold on a metric without samples as if its value were 0, so thresholds are
 * kept only for these (see thresholds.ts): what a profile cannot measure stays out of k6's verdict.
 */
export function recordedMetricsOf(plan: WsWorkloadPlan, profile?: ProtocolProfile): string[] {
  const metrics = ['vus', 'vus_max', 'iterations', 'iteration_duration', 'data_sent', 'data_received'];
  metrics.push('ws_connecting', 'ws_sessions', 'ws_msgs_sent', 'ws_msgs_received', 'ws_session_duration');
  metrics.push('ws_connect_success', 'ws_unexpected_disconnects', 'dropped_iterations', 'wsmig_late_sends');
  if (profile === undefined) {
    metrics.push('ws_msgs_lost', 'ws_msgs_duplicated');
    if (plan.ratePerSecond > 0) metrics.push('ws_rpc_duration', 'checks', 'wsmig_send_lag');
    if (plan.syncs > 0) metrics.push('ws_event_latency', 'ws_sync_duration');
  } else {
    const measures = profileMeasuresOf(profile, plan);
    if (measures.requests) metrics.push('ws_rpc_duration', 'checks', 'wsmig_send_lag');
    if (measures.seq) metrics.push('ws_msgs_lost', 'ws_msgs_duplicated');
    if (measures.events) metrics.push(measures.timestamp ? 'ws_event_latency' : 'ws_event_interarrival');
  }
  if (plan.cuts !== null) {
    metrics.push('ws_reconnect_duration', 'ws_reconnect_success');
    // The admin kick (and the probe that resolves `auto`) are HTTP requests.
    if (plan.cuts.mode !== 'client-close') metrics.push('http_reqs', 'http_req_failed', ...K6_HTTP_TIMINGS);
  }
  return metrics;
}
