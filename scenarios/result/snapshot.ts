/**
 * What a {@link MetricsRecorder} holds, as plain data: structured-clone-able (posted from worker
 * threads), JSON-safe, and mergeable exactly — counters and rates add, gauges keep the latest reading,
 * trend histograms add bucket by bucket, series merge interval by interval.
 */
import { WsmigError } from '../../lib/errors.js';
import { mergeEncoded } from './histogram.js';
import type { MetricType, MetricUnit } from './types.js';

/** Tags of a sample, e.g. `{ scenario: 'latency' }`. */
export type Tags = Record<string, string>;

/** A counter's total: `sum` of the values added, `samples` the number of adds (including adds of 0). */
export interface CounterState {
  samples: number;
  sum: number;
}

/** A gauge's readings: the latest (by clock time) and the extremes. Empty when `samples` is 0. */
export interface GaugeState {
  samples: number;
  last: number;
  lastAtMs: number;
  min: number;
  max: number;
}

/** A rate's true and false samples. */
export interface RateState {
  passes: number;
  fails: number;
}

/**
 * A trend's exact count, sum and extremes, and its HDR histogram (compressed base64, values recorded
 * as `Math.round(value × valueScale)`, negative values as 0). Empty when `count` is 0.
 */
export interface TrendState {
  count: number;
  sum: number;
  min: number;
  max: number;
  histogram: string;
}

/** The state type of each metric type. */
export interface StateByType {
  counter: CounterState;
  gauge: GaugeState;
  rate: RateState;
  trend: TrendState;
}

/** One series interval: `index` × `intervalMs` is its start, ms after the run's `startMs`. */
export interface IntervalState<S> {
  index: number;
  state: S;
}

/** One metric with one tag set. */
export type MetricSnapshot = {
  [K in MetricType]: {
    name: string;
    type: K;
    unit: MetricUnit;
    tags: Tags;
    /** Integer recording units per metric unit (trends; 1 for other types). */
    valueScale: number;
    total: StateByType[K];
    /** Intervals that saw samples, in increasing `index` order. */
    series: IntervalState<StateByType[K]>[];
  };
}[MetricType];

/** Everything a recorder (or several, merged) holds. */
export interface RecorderSnapshot {
  format: 'wsmig.recorder-snapshot/1';
  /** Clock time the run started (ms, the clock the recorder was given). */
  startMs: number;
  intervalMs: number;
  /** Clock time of the latest sample recorded, or null before the first. */
  lastSampleAtMs: number | null;
  metrics: MetricSnapshot[];
}

/** A canonical key for a tag set (sorted), so `{a,b}` and `{b,a}` are the same sub-metric. */
export function tagsKey(tags: Tags): string {
  return JSON.stringify(Object.keys(tags).sort().map((key) => [key, tags[key]]));
}

/** Adds state `b` into a copy of state `a` (same metric type). */
export function mergeState<K extends MetricType>(type: K, a: StateByType[K], b: StateByType[K]): StateByType[K] {
  switch (type) {
    case 'counter': {
      const x = a as CounterState;
      const y = b as CounterState;
      return { samples: x.samples + y.samples, sum: x.sum + y.sum } satisfies CounterState as StateByType[K];
    }
    case 'rate': {
      const x = a as RateState;
      const y = b as RateState;
      return { passes: x.passes + y.passes, fails: x.fails + y.fails } satisfies RateState as StateByType[K];
    }
    case 'gauge': {
      const x = a as GaugeState;
      const y = b as GaugeState;
      if (y.samples === 0) return { ...x } as StateByType[K];
      if (x.samples === 0) return { ...y } as StateByType[K];
      const latest = y.lastAtMs >= x.lastAtMs ? y : x;
      return {
        samples: x.samples + y.samples,
        last: latest.last,
        lastAtMs: latest.lastAtMs,
        min: Math.min(x.min, y.min),
        max: Math.max(x.max, y.max),
      } satisfies GaugeState as StateByType[K];
    }
    case 'trend': {
      const x = a as TrendState;
      const y = b as TrendState;
      if (y.count === 0) return { ...x } as StateByType[K];
      if (x.count === 0) return { ...y } as StateByType[K];
      return {
        count: x.count + y.count,
        sum: x.sum + y.sum,
        min: Math.min(x.min, y.min),
        max: Math.max(x.max, y.max),
        histogram: mergeEncoded([x.histogram, y.histogram]),
      } satisfies TrendState as StateByType[K];
    }
  }
  throw new WsmigError('RECORDER_UNKNOWN_TYPE', `Unknown metric type "${String(type)}" in a recorder snapshot.`);
}

/** Merges two interval lists (each sorted by index) into one, adding states of the same interval. */
function mergeSeries<K extends MetricType>(type: K, a: IntervalState<StateByType[K]>[], b: IntervalState<StateByType[K]>[]): IntervalState<StateByType[K]>[] {
  const out: IntervalState<StateByType[K]>[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (x !== undefined && (y === undefined || x.index < y.index)) {
      out.push(x);
      i += 1;
    } else if (y !== undefined && (x === undefined || y.index < x.index)) {
      out.push(y);
      j += 1;
    } else if (x !== undefined && y !== undefined) {
      out.push({ index: x.index, state: mergeState(type, x.state, y.state) });
      i += 1;
      j += 1;
    }
  }
  return out;
}

/**
 * Merges two snapshots of the same metric (same name; tags may differ — the result carries `tags`).
 * @throws WsmigError when the two disagree on type, unit or value scale.
 */
export function mergeMetricSnapshots(a: MetricSnapshot, b: MetricSnapshot, tags: Tags): MetricSnapshot {
  assertSameKind(a, b);
  const type = a.type;
  return {
    name: a.name,
    type,
    unit: a.unit,
    tags,
    valueScale: a.valueScale,
    total: mergeState(type, a.total, b.total as typeof a.total),
    series: mergeSeries(type, a.series, b.series as typeof a.series),
  } as MetricSnapshot;
}

/** @throws WsmigError when two snapshots of one metric name disagree on type, unit or value scale. */
function assertSameKind(a: MetricSnapshot, b: MetricSnapshot): void {
  if (a.type !== b.type) {
    throw new WsmigError(
      'RECORDER_METRIC_TYPE',
      `Metric "${a.name}" was recorded as a ${a.type} in one place and as a ${b.type} in another: record each metric name with one type.`,
    );
  }
  if (a.unit !== b.unit || a.valueScale !== b.valueScale) {
    throw new WsmigError(
      'RECORDER_METRIC_UNIT',
      `Metric "${a.name}" was recorded in ${a.unit} in one place and in ${b.unit} in another: record each metric name with one unit.`,
    );
  }
}

/**
 * Merges snapshots from several recorders of one run (e.g. one per worker thread) exactly:
 * HDR histograms added, counters and rates summed, gauges by latest reading, series merged interval
 * by interval. Metrics are matched by name and tag set.
 * @throws WsmigError when the snapshots have different `intervalMs` or `startMs` (create every
 *   recorder of a run with the run's `startMs`), or a metric has two types.
 */
export function mergeSnapshots(snapshots: readonly RecorderSnapshot[]): RecorderSnapshot {
  const first = snapshots[0];
  if (first === undefined) {
    throw new WsmigError('RECORDER_NO_SNAPSHOTS', 'mergeSnapshots needs at least one snapshot.');
  }
  for (const snapshot of snapshots) {
    if (snapshot.intervalMs !== first.intervalMs || snapshot.startMs !== first.startMs) {
      throw new WsmigError(
        'RECORDER_SNAPSHOT_MISMATCH',
        `Cannot merge recorder snapshots with different clocks (startMs ${first.startMs} vs ${snapshot.startMs}, intervalMs ${first.intervalMs} vs ${snapshot.intervalMs}): create every recorder of a run with the same startMs and intervalMs.`,
      );
    }
  }
  const byKey = new Map<string, MetricSnapshot>();
  const types = new Map<string, MetricSnapshot>();
  let lastSampleAtMs: number | null = null;
  for (const snapshot of snapshots) {
    if (snapshot.lastSampleAtMs !== null) lastSampleAtMs = Math.max(lastSampleAtMs ?? -Infinity, snapshot.lastSampleAtMs);
    for (const metric of snapshot.metrics) {
      const seen = types.get(metric.name);
      if (seen === undefined) types.set(metric.name, metric);
      else assertSameKind(seen, metric);
      const key = `${metric.name}\u0000${tagsKey(metric.tags)}`;
      const existing = byKey.get(key);
      byKey.set(key, existing === undefined ? metric : mergeMetricSnapshots(existing, metric, existing.tags));
    }
  }
  return { format: first.format, startMs: first.startMs, intervalMs: first.intervalMs, lastSampleAtMs, metrics: [...byKey.values()] };
}
