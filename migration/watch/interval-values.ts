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
 * A metric whose source series are absent is left out, so thresholds on it are inconclusive.
 * Counters that went down belong to a restarted process: their new value is the delta.
 */
import { SCRAPED_NAMES } from '../../scenarios/server-metrics.js';
import type { MetricSample } from '../../lib/prometheus-text.js';
import { instanceOf, seriesKey, type SampleSet } from './samples.js';

export const SOURCE_NAMES = {
  rssBytes: SCRAPED_NAMES.rssBytes,
  cpuSecondsTotal: SCRAPED_NAMES.cpuSecondsTotal,
  eventLoopLagSeconds: SCRAPED_NAMES.eventLoopLagSeconds,
  connections: SCRAPED_NAMES.connections,
  requestDurationBucket: 'wsmig_ws_request_duration_seconds_bucket',
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
  connectAttempts?: { accepted: number; failed: number };
  unexpectedDisconnects?: number;
}

/** Computes the interval between two readings of the same server(s). */
export function intervalValues(previous: SampleSet, current: SampleSet): IntervalValues {
  const values: IntervalValues = { startMs: previous.atMs, endMs: current.atMs };
  const elapsedMs = current.atMs - previous.atMs;

  const rss = maxPerInstance(firstPresent(current.samples, SOURCE_NAMES.rssBytes));
  if (rss !== undefined) values.rssBytes = rss;
  const lag = maxPerInstance(firstPresent(current.samples, SOURCE_NAMES.eventLoopLagSeconds));
  if (lag !== undefined) values.eventLoopLagSeconds = lag;
  const connections = firstPresent(current.samples, SOURCE_NAMES.connections);
  if (connections.length > 0) values.connections = connections.reduce((sum, sample) => sum + sample.value, 0);

  const cpuNow = firstPresent(current.samples, SOURCE_NAMES.cpuSecondsTotal);
  if (cpuNow.length > 0 && elapsedMs > 0) {
    const before = new Map(firstPresent(previous.samples, SOURCE_NAMES.cpuSecondsTotal).map((sample) => [instanceOf(sample), sample.value]));
    let worst: number | undefined;
    for (const sample of cpuNow) {
      const prior = before.get(instanceOf(sample));
      if (prior === undefined) continue;
      const seconds = sample.value >= prior ? sample.value - prior : sample.value;
      const percent = (seconds * 1000 * 100) / elapsedMs;
      worst = worst === undefined ? percent : Math.max(worst, percent);
    }
    if (worst !== undefined) values.cpuPercent = worst;
  }

  const buckets = bucketDeltas(previous.samples, current.samples);
  if (buckets !== undefined) values.rpcBuckets = buckets;

  const attempts = deltasByLabel(previous.samples, current.samples, SOURCE_NAMES.connectionAttempts, 'outcome');
  if (attempts !== undefined) {
    let accepted = 0;
    let failed = 0;
    for (const [outcome, count] of attempts) {
      if (outcome === 'accepted') accepted += count;
      else failed += count;
    }
    values.connectAttempts = { accepted, failed };
  }

  const disconnects = deltasByLabel(previous.samples, current.samples, SOURCE_NAMES.disconnects, 'code');
  // The server creates a close code's series on the first disconnect with it: a server that exposes
  // its WebSocket counters (attempts) but no disconnect series yet has had no disconnects.
  if (disconnects !== undefined || attempts !== undefined) {
    let unexpected = 0;
    for (const [code, count] of disconnects ?? []) if (UNEXPECTED_CLOSE_CODES.includes(code)) unexpected += count;
    values.unexpectedDisconnects = unexpected;
  }
  return values;
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

/** The request-duration histogram's bucket counts within the interval, summed over types and instances. */
function bucketDeltas(previous: readonly MetricSample[], current: readonly MetricSample[]): BucketCount[] | undefined {
  const now = current.filter((sample) => sample.name === SOURCE_NAMES.requestDurationBucket);
  if (now.length === 0) return undefined;
  const before = new Map(previous.filter((sample) => sample.name === SOURCE_NAMES.requestDurationBucket).map((sample) => [seriesKey(sample), sample.value]));
  // Cumulative count per upper bound (le), summed over every other label.
  const cumulative = new Map<number, number>();
  for (const sample of now) {
    const le = sample.labels['le'];
    if (le === undefined) continue;
    const upper = le === '+Inf' ? Infinity : Number(le);
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
