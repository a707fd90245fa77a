/**
 * From two readings of a server's metrics to the values of the interval between them, under the
 * threshold metric names (docs/migration.md, "What watch measures"):
 *
 * | threshold metric | from | how |
 * |---|---|---|
 * | `server_rss_bytes` | `wsmig_process_resident_memory_bytes` | latest reading (largest instance) |
 * | `server_cpu_percent` | `wsmig_process_cpu_seconds_total` | counter delta / wall time × 100 (largest instance) |
 * | `server_event_loop_lag_seconds` | `wsmig_nodejs_eventloop_lag_p99_seconds`, else `…_lag_seconds` | latest reading (largest instance) |
 * | `server_connections` | `wsmig_ws_connections` | latest reading, summed over instances |
 * | `ws_rpc_duration` | `wsmig_ws_request_duration_seconds` histogram | bucket deltas → samples spread evenly inside each bucket (as Prometheus' `histogram_quantile` assumes). **Server-side time**: from receiving a request to handing its reply to the socket, not the client's round trip |
 * | `ws_connect_success` | `wsmig_ws_connection_attempts_total{outcome}` | deltas: `accepted` passes, every other outcome fails |
 * | `ws_unexpected_disconnects` | `wsmig_ws_disconnects_total{code}` | delta of codes 1006 and 1011 (0 when the server exposes its attempts counter but no disconnect series yet) |
 *
 * For a flag canary (migration/canary), the SSE cohort's side and the cohorts' sizes:
 *
 * | value | from | how |
 * |---|---|---|
 * | SSE request duration | `wsmig_sse_request_duration_seconds` histogram | bucket deltas, as `ws_rpc_duration` (the legacy HTTP command requests) |
 * | cohort answers | `wsmig_flag_evaluations_total{transport}` | deltas of `/api/config` answers by the transport they chose |
 * | SSE streams | `wsmig_sse_streams` | latest reading, summed over endpoints and instances |
 *
 * A metric whose source series are absent is left out, so thresholds on it are inconclusive.
 * Counters that went down belong to a restarted process: their new value is the delta.
 */
import { SCRAPED_NAMES } from '../../scenarios/server-metrics.js';
import type { MetricSample } from '../../lib/prometheus-text.js';
import { PROMQL_SAMPLE, labelsMatch, type LabelMatchers, type MappedMetric, type MetricMapping } from './mapping.js';
import { instanceOf, seriesKey, type SampleSet } from './samples.js';

export const SOURCE_NAMES = {
  rssBytes: SCRAPED_NAMES.rssBytes,
  cpuSecondsTotal: SCRAPED_NAMES.cpuSecondsTotal,
  eventLoopLagSeconds: SCRAPED_NAMES.eventLoopLagSeconds,
  connections: SCRAPED_NAMES.connections,
  requestDurationBucket: 'wsmig_ws_request_duration_seconds_bucket',
  sseRequestDurationBucket: 'wsmig_sse_request_duration_seconds_bucket',
  flagEvaluations: 'wsmig_flag_evaluations_total',
  sseStreams: 'wsmig_sse_streams',
  connectionAttempts: 'wsmig_ws_connection_attempts_total',
  disconnects: 'wsmig_ws_disconnects_total',
} as const;

/** Close codes that mean a connection was lost rather than closed on purpose. */
export const UNEXPECTED_CLOSE_CODES = ['1006', '1011'];

/** One histogram bucket's count within the interval (not cumulative), bounds in ms. */
export interface BucketCount {
  lowerMs: number;
  /** Infinity for the `+Inf` bucket. */
  upperMs: number;
  count: number;
}

/** What one interval measured; a field is undefined when its source series were absent. */
export interface IntervalValues {
  startMs: number;
  endMs: number;
  rssBytes?: number;
  cpuPercent?: number;
  eventLoopLagSeconds?: number;
  connections?: number;
  rpcBuckets?: BucketCount[];
  /** Request durations taken as they are (a PromQL mapping's value), ms. */
  rpcSamplesMs?: number[];
  connectAttempts?: { accepted: number; failed: number };
  unexpectedDisconnects?: number;
  /** The SSE cohort's request durations (the legacy HTTP command requests), as `rpcBuckets`. */
  sseRequestBuckets?: BucketCount[];
  /** `/api/config` answers within the interval by the transport they chose. */
  configAnswers?: { ws: number; sse: number };
  /** Open SSE streams, summed over endpoints and instances. */
  sseStreams?: number;
}

/** Computes the interval between two readings of the same server(s); `mapping` reads some threshold metrics from the service's own series. */
export function intervalValues(previous: SampleSet, current: SampleSet, mapping: MetricMapping = {}): IntervalValues {
  const values: IntervalValues = { startMs: previous.atMs, endMs: current.atMs };
  const elapsedMs = current.atMs - previous.atMs;

  const rss = maxPerInstance(firstPresent(current.samples, SOURCE_NAMES.rssBytes));
  if (rss !== undefined) values.rssBytes = rss;
  const lag = maxPerInstance(firstPresent(current.samples, SOURCE_NAMES.eventLoopLagSeconds));
  if (lag !== undefined) values.eventLoopLagSeconds = lag;
  const connections = firstPresent(current.samples, SOURCE_NAMES.connections);
  if (connections.length > 0) values.connections = connections.reduce((sum, sample) => sum + sample.value, 0);

  const cpu = cpuPercent(firstPresent(previous.samples, SOURCE_NAMES.cpuSecondsTotal), firstPresent(current.samples, SOURCE_NAMES.cpuSecondsTotal), elapsedMs);
  if (cpu !== undefined) values.cpuPercent = cpu;

  const buckets = bucketDeltas(previous.samples, current.samples, SOURCE_NAMES.requestDurationBucket);
  if (buckets !== undefined) values.rpcBuckets = buckets;
  const sseBuckets = bucketDeltas(previous.samples, current.samples, SOURCE_NAMES.sseRequestDurationBucket);
  if (sseBuckets !== undefined) values.sseRequestBuckets = sseBuckets;
  const answers = deltasByLabel(previous.samples, current.samples, SOURCE_NAMES.flagEvaluations, 'transport');
  if (answers !== undefined) values.configAnswers = { ws: answers.get('ws') ?? 0, sse: answers.get('sse') ?? 0 };
  const streams = current.samples.filter((sample) => sample.name === SOURCE_NAMES.sseStreams && Number.isFinite(sample.value));
  if (streams.length > 0) values.sseStreams = streams.reduce((sum, sample) => sum + sample.value, 0);

  const attempts = deltasByLabel(previous.samples, current.samples, SOURCE_NAMES.connectionAttempts, 'outcome');
  if (attempts !== undefined) values.connectAttempts = successes(attempts, ['accepted']);

  const disconnects = deltasByLabel(previous.samples, current.samples, SOURCE_NAMES.disconnects, 'code');
  // The server creates a close code's series on the first disconnect with it: a server that exposes
  // its WebSocket counters (attempts) but no disconnect series yet has had no disconnects.
  if (disconnects !== undefined || attempts !== undefined) {
    let unexpected = 0;
    for (const [code, count] of disconnects ?? []) if (UNEXPECTED_CLOSE_CODES.includes(code)) unexpected += count;
    values.unexpectedDisconnects = unexpected;
  }
  applyMapping(values, previous.samples, current.samples, elapsedMs, mapping);
  return values;
}

/** Outcome counts split into successes (`values`) and failures (every other outcome). */
function successes(byOutcome: Map<string, number>, values: readonly string[]): { accepted: number; failed: number } {
  let accepted = 0;
  let failed = 0;
  for (const [outcome, count] of byOutcome) {
    if (values.includes(outcome)) accepted += count;
    else failed += count;
  }
  return { accepted, failed };
}

/** CPU-seconds counters → the busiest instance's percentage of one core over the interval. */
function cpuPercent(previous: readonly MetricSample[], current: readonly MetricSample[], elapsedMs: number): number | undefined {
  if (current.length === 0 || elapsedMs <= 0) return undefined;
  const before = new Map(previous.map((sample) => [instanceOf(sample), sample.value]));
  let worst: number | undefined;
  for (const sample of current) {
    const prior = before.get(instanceOf(sample));
    if (prior === undefined) continue;
    const seconds = sample.value >= prior ? sample.value - prior : sample.value;
    const percent = (seconds * 1000 * 100) / elapsedMs;
    worst = worst === undefined ? percent : Math.max(worst, percent);
  }
  return worst;
}

/** The samples of one series name whose labels match. */
function matching(samples: readonly MetricSample[], name: string, labels: LabelMatchers): MetricSample[] {
  return samples.filter((sample) => sample.name === name && Number.isFinite(sample.value) && labelsMatch(sample, labels));
}

/** A PromQL mapping's value in this reading (the Prometheus source carries it as a sample). */
function promqlValue(current: readonly MetricSample[], metric: MappedMetric): number | undefined {
  return current.find((sample) => sample.name === PROMQL_SAMPLE && sample.labels['metric'] === metric && Number.isFinite(sample.value))?.value;
}

/** Replaces the values of the mapped threshold metrics by those read from the service's own series (absent series: the value is left out). */
function applyMapping(values: IntervalValues, previous: readonly MetricSample[], current: readonly MetricSample[], elapsedMs: number, mapping: MetricMapping): void {
  const gaugeValue = (entry: { gauge: string; labels?: LabelMatchers; aggregate?: 'max' | 'sum' | undefined }, fallback: 'max' | 'sum'): number | undefined => {
    const found = matching(current, entry.gauge, entry.labels);
    if (found.length === 0) return undefined;
    return (entry.aggregate ?? fallback) === 'sum' ? found.reduce((sum, sample) => sum + sample.value, 0) : maxPerInstance(found);
  };
  const counterGrowth = (entry: { counter: string; labels?: LabelMatchers; absentIsZero: boolean }): number | undefined => {
    const now = matching(current, entry.counter, entry.labels);
    if (now.length === 0) return entry.absentIsZero ? 0 : undefined;
    const before = new Map(matching(previous, entry.counter, entry.labels).map((sample) => [seriesKey(sample), sample.value]));
    return now.reduce((sum, sample) => sum + counterDelta(before, sample), 0);
  };
  const set = <K extends keyof IntervalValues>(key: K, value: IntervalValues[K] | undefined): void => {
    if (value === undefined) delete values[key];
    else values[key] = value;
  };

  const { ws_rpc_duration: rpc, ws_unexpected_disconnects: disconnects, ws_connect_success: connects, server_connections: connections, server_rss_bytes: rss, server_event_loop_lag_seconds: lag, server_cpu_percent: cpu } = mapping;
  if (rpc !== undefined) {
    delete values.rpcBuckets;
    if ('promql' in rpc) {
      const value = promqlValue(current, 'ws_rpc_duration');
      set('rpcSamplesMs', value === undefined ? undefined : [value]);
    } else set('rpcBuckets', bucketDeltas(previous, current, `${rpc.histogram}_bucket`, rpc.labels, rpc.unit === 'milliseconds' ? 0.001 : 1));
  }
  if (disconnects !== undefined) set('unexpectedDisconnects', 'promql' in disconnects ? promqlValue(current, 'ws_unexpected_disconnects') : counterGrowth(disconnects));
  if (connects !== undefined) {
    const now = matching(current, connects.counter, connects.labels);
    const before = new Map(matching(previous, connects.counter, connects.labels).map((sample) => [seriesKey(sample), sample.value]));
    const byOutcome = new Map<string, number>();
    for (const sample of now) {
      const outcome = sample.labels[connects.success.label] ?? '';
      byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + counterDelta(before, sample));
    }
    set('connectAttempts', now.length === 0 ? undefined : successes(byOutcome, connects.success.values));
  }
  if (connections !== undefined) set('connections', 'promql' in connections ? promqlValue(current, 'server_connections') : gaugeValue(connections, 'sum'));
  if (rss !== undefined) set('rssBytes', 'promql' in rss ? promqlValue(current, 'server_rss_bytes') : gaugeValue(rss, 'max'));
  if (lag !== undefined) set('eventLoopLagSeconds', 'promql' in lag ? promqlValue(current, 'server_event_loop_lag_seconds') : gaugeValue(lag, 'max'));
  if (cpu !== undefined) {
    if ('promql' in cpu) set('cpuPercent', promqlValue(current, 'server_cpu_percent'));
    else if ('gauge' in cpu) set('cpuPercent', gaugeValue(cpu, 'max'));
    else set('cpuPercent', cpuPercent(matching(previous, cpu.counter, cpu.labels), matching(current, cpu.counter, cpu.labels), elapsedMs));
  }
}

function firstPresent(samples: readonly MetricSample[], names: readonly string[]): MetricSample[] {
  for (const name of names) {
    const found = samples.filter((sample) => sample.name === name && Number.isFinite(sample.value));
    if (found.length > 0) return found;
  }
  return [];
}

function maxPerInstance(samples: readonly MetricSample[]): number | undefined {
  if (samples.length === 0) return undefined;
  const perInstance = new Map<string, number>();
  for (const sample of samples) perInstance.set(instanceOf(sample), (perInstance.get(instanceOf(sample)) ?? 0) + sample.value);
  return Math.max(...perInstance.values());
}

/** A counter's growth between two readings, per series; a series that went down restarted from 0. */
function counterDelta(previous: Map<string, number>, sample: MetricSample): number {
  const prior = previous.get(seriesKey(sample)) ?? 0;
  return sample.value >= prior ? sample.value - prior : sample.value;
}

/** Deltas of a counter summed by one label's value; undefined when the counter is absent. */
function deltasByLabel(previous: readonly MetricSample[], current: readonly MetricSample[], name: string, label: string): Map<string, number> | undefined {
  const now = current.filter((sample) => sample.name === name);
  if (now.length === 0) return undefined;
  const before = new Map(previous.filter((sample) => sample.name === name).map((sample) => [seriesKey(sample), sample.value]));
  const sums = new Map<string, number>();
  for (const sample of now) {
    const key = sample.labels[label] ?? '';
    sums.set(key, (sums.get(key) ?? 0) + counterDelta(before, sample));
  }
  return sums;
}

/** A request-duration histogram's bucket counts within the interval, summed over types and instances. */
function bucketDeltas(previous: readonly MetricSample[], current: readonly MetricSample[], name: string, labels?: LabelMatchers, secondsPerUnit = 1): BucketCount[] | undefined {
  const now = current.filter((sample) => sample.name === name && labelsMatch(sample, labels));
  if (now.length === 0) return undefined;
  const before = new Map(previous.filter((sample) => sample.name === name && labelsMatch(sample, labels)).map((sample) => [seriesKey(sample), sample.value]));
  // Cumulative count per upper bound (le), summed over every other label.
  const cumulative = new Map<number, number>();
  for (const sample of now) {
    const le = sample.labels['le'];
    if (le === undefined) continue;
    const upper = le === '+Inf' ? Infinity : Number(le) * secondsPerUnit;
    if (Number.isNaN(upper)) continue;
    cumulative.set(upper, (cumulative.get(upper) ?? 0) + counterDelta(before, sample));
  }
  const bounds = [...cumulative.keys()].sort((a, b) => a - b);
  const buckets: BucketCount[] = [];
  let lowerSeconds = 0;
  let below = 0;
  for (const upper of bounds) {
    const total = cumulative.get(upper) as number;
    buckets.push({ lowerMs: lowerSeconds * 1000, upperMs: upper * 1000, count: Math.max(0, total - below) });
    below = Math.max(below, total);
    lowerSeconds = upper;
  }
  return buckets;
}
