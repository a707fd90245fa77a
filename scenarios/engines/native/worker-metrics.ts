/** The metric handles one worker records into, created once (the recorder's hot path is the handle). */
import type { CounterHandle, MetricsRecorder, RateHandle, Tags, TrendHandle } from '../../result/recorder.js';
import type { WsWorkload } from '../types.js';

export interface WorkerMetrics {
  /** The recorder's clock, for the `atMs` of several samples taken at one moment. */
  now(): number;
  connecting: TrendHandle;
  connectSuccess: RateHandle;
  sessions: CounterHandle;
  sessionDuration: TrendHandle;
  msgsSent: CounterHandle;
  msgsReceived: CounterHandle;
  dataSent: CounterHandle;
  dataReceived: CounterHandle;
  lost: CounterHandle;
  duplicated: CounterHandle;
  unexpectedDisconnects: CounterHandle;
  rpcDuration: TrendHandle;
  checks: RateHandle;
  iterations: CounterHandle;
  droppedIterations: CounterHandle;
  eventLatency: TrendHandle;
  /** Time between events on a connection: what a profile without event timestamps measures instead of latency. */
  eventInterarrival: TrendHandle;
  syncDuration: TrendHandle;
  reconnectDuration: TrendHandle;
  reconnectSuccess: RateHandle;
}

/**
 * Creates the handles. Metrics the workload measures are created up front, so a zero (no loss, no
 * disconnect) shows as a measured zero; the others only when first used (a reconnect after an
 * unexpected disconnect in a scenario without cuts, for instance). With a protocol profile, what
 * depends on the target's events (latency, loss, duplicates) exists only once an event carried it:
 * a profile without sequence numbers must leave loss unmeasured, never a zero that passes.
 */
export function createWorkerMetrics(recorder: MetricsRecorder, tags: Tags, workload: WsWorkload): WorkerMetrics {
  const lazyTrend = (name: string): TrendHandle => {
    let handle: TrendHandle | undefined;
    return { add: (value, atMs) => (handle ??= recorder.trend(name, tags)).add(value, atMs) };
  };
  const lazyRate = (name: string): RateHandle => {
    let handle: RateHandle | undefined;
    return { add: (ok, atMs) => (handle ??= recorder.rate(name, tags)).add(ok, atMs) };
  };
  const lazyCounter = (name: string): CounterHandle => {
    let handle: CounterHandle | undefined;
    return { add: (value, atMs) => (handle ??= recorder.counter(name, tags)).add(value, atMs) };
  };
  const profile = workload.profile;
  const requests = workload.ratePerSecond > 0 && (profile === undefined || profile.request !== undefined);
  const syncs = workload.syncs > 0 && profile === undefined;
  const cuts = workload.cuts !== null;
  return {
    now: () => recorder.now(),
    connecting: recorder.trend('ws_connecting', tags),
    connectSuccess: recorder.rate('ws_connect_success', tags),
    sessions: recorder.counter('ws_sessions', tags),
    sessionDuration: lazyTrend('ws_session_duration'),
    msgsSent: recorder.counter('ws_msgs_sent', tags),
    msgsReceived: recorder.counter('ws_msgs_received', tags),
    dataSent: recorder.counter('data_sent', tags),
    dataReceived: recorder.counter('data_received', tags),
    lost: syncs ? recorder.counter('ws_msgs_lost', tags) : lazyCounter('ws_msgs_lost'),
    duplicated: syncs ? recorder.counter('ws_msgs_duplicated', tags) : lazyCounter('ws_msgs_duplicated'),
    unexpectedDisconnects: recorder.counter('ws_unexpected_disconnects', tags),
    rpcDuration: requests ? recorder.trend('ws_rpc_duration', tags) : lazyTrend('ws_rpc_duration'),
    checks: requests ? recorder.rate('checks', tags) : lazyRate('checks'),
    iterations: requests ? recorder.counter('iterations', tags) : lazyCounter('iterations'),
    droppedIterations: requests ? recorder.counter('dropped_iterations', tags) : lazyCounter('dropped_iterations'),
    eventLatency: syncs ? recorder.trend('ws_event_latency', tags) : lazyTrend('ws_event_latency'),
    eventInterarrival: lazyTrend('ws_event_interarrival'),
    syncDuration: syncs ? recorder.trend('ws_sync_duration', tags) : lazyTrend('ws_sync_duration'),
    reconnectDuration: cuts ? recorder.trend('ws_reconnect_duration', tags) : lazyTrend('ws_reconnect_duration'),
    reconnectSuccess: cuts ? recorder.rate('ws_reconnect_success', tags) : lazyRate('ws_reconnect_success'),
  };
}
