/**
 * Turns a recorder snapshot into the engine-neutral Result: one MetricResult per tag set plus the
 * aggregate over all tag sets (`tags: {}`), merged exactly, each with its values, HDR histogram
 * (trends) and time series.
 */
import { WsmigError } from '../../lib/errors.js';
import { standardPercentiles } from './histogram.js';
import { METRIC_CATALOG } from './metric-catalog.js';
import {
  mergeMetricSnapshots,
  mergeState,
  tagsKey,
  type CounterState,
  type GaugeState,
  type IntervalState,
  type MetricSnapshot,
  type RateState,
  type RecorderSnapshot,
  type StateByType,
  type TrendState,
} from './snapshot.js';
import { RESULT_SCHEMA, type MetricResult, type MetricType, type MetricValues, type Result, type SeriesPoint, type TrendValues } from './types.js';

/** What the engine knows about a run beside its metrics. `intervalMs`, when given, coarsens the series (a multiple of the recorder's). */
export type ResultMeta = Omit<Result, 'schema' | 'metrics' | 'intervalMs' | 'verdict'> & { intervalMs?: number };

/**
 * Builds a Result (verdict null) from a snapshot (usually {@link mergeSnapshots} of every worker's).
 * Counters that were created but never incremented appear with count 0, so "zero losses" is
 * distinguishable from "not measured".
 * @throws WsmigError when `meta.intervalMs` is not a positive multiple of the snapshot's interval.
 */
export function buildResult(snapshot: RecorderSnapshot, meta: ResultMeta): Result {
  const { intervalMs: requestedIntervalMs, ...rest } = meta;
  const factor = coarsening(snapshot.intervalMs, requestedIntervalMs);
  const intervalMs = snapshot.intervalMs * factor;
  const groups = new Map<string, MetricSnapshot[]>();
  for (const metric of snapshot.metrics) {
    const coarse = factor === 1 ? metric : coarsen(metric, factor);
    const group = groups.get(metric.name);
    if (group === undefined) groups.set(metric.name, [coarse]);
    else group.push(coarse);
  }
  const metrics: MetricResult[] = [];
  for (const group of groups.values()) {
    group.sort((a, b) => tagsKey(a.tags).localeCompare(tagsKey(b.tags)));
    const only = group[0] as MetricSnapshot;
    if (group.length === 1 && Object.keys(only.tags).length === 0) {
      metrics.push(toMetricResult(only, rest.durationMs, intervalMs));
      continue;
    }
    const aggregate = group.slice(1).reduce((sum, metric) => mergeMetricSnapshots(sum, metric, {}), { ...only, tags: {} } as MetricSnapshot);
    metrics.push(toMetricResult(aggregate, rest.durationMs, intervalMs));
    for (const metric of group) {
      if (Object.keys(metric.tags).length > 0) metrics.push(toMetricResult(metric, rest.durationMs, intervalMs));
    }
  }
  metrics.sort(compareMetrics);
  return { schema: RESULT_SCHEMA, ...rest, intervalMs, metrics, verdict: null };
}

function coarsening(recordedMs: number, requestedMs: number | undefined): number {
  if (requestedMs === undefined || requestedMs === recordedMs) return 1;
  const factor = requestedMs / recordedMs;
  if (!Number.isInteger(factor) || factor < 1) {
    throw new WsmigError(
      'RESULT_BAD_INTERVAL',
      `Cannot build a Result with ${requestedMs} ms intervals from ${recordedMs} ms recorder intervals: use a whole multiple of ${recordedMs} ms.`,
    );
  }
  return factor;
}

function coarsen(metric: MetricSnapshot, factor: number): MetricSnapshot {
  const type = metric.type;
  const series: IntervalState<StateByType[typeof type]>[] = [];
  for (const point of metric.series) {
    const index = Math.floor(point.index / factor);
    const last = series[series.length - 1];
    if (last !== undefined && last.index === index) last.state = mergeState(type, last.state, point.state);
    else series.push({ index, state: point.state });
  }
  return { ...metric, series } as MetricSnapshot;
}

const CATALOG_ORDER = new Map(METRIC_CATALOG.map((definition, index) => [definition.name, index]));

function compareMetrics(a: MetricResult, b: MetricResult): number {
  const orderA = CATALOG_ORDER.get(a.name) ?? Number.MAX_SAFE_INTEGER;
  const orderB = CATALOG_ORDER.get(b.name) ?? Number.MAX_SAFE_INTEGER;
  if (orderA !== orderB) return orderA - orderB;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  const tagCountA = Object.keys(a.tags).length;
  const tagCountB = Object.keys(b.tags).length;
  if ((tagCountA === 0) !== (tagCountB === 0)) return tagCountA === 0 ? -1 : 1;
  return tagsKey(a.tags).localeCompare(tagsKey(b.tags));
}

function toMetricResult(metric: MetricSnapshot, durationMs: number, intervalMs: number): MetricResult {
  const base = { name: metric.name, type: metric.type, unit: metric.unit, tags: { ...metric.tags } };
  const histogramOf = (state: TrendState) => ({ encoding: 'hdr-compressed-base64' as const, valueScale: metric.valueScale, data: state.histogram });
  const series: SeriesPoint[] = metric.series.map((point) => ({
    t: point.index * intervalMs,
    samples: samplesOf(metric.type, point.state),
    values: valuesOf(metric.type, point.state, intervalMs, metric.valueScale),
    ...(metric.type === 'trend' ? { histogram: histogramOf(point.state as TrendState) } : {}),
  }));
  return {
    ...base,
    samples: samplesOf(metric.type, metric.total),
    values: valuesOf(metric.type, metric.total, durationMs, metric.valueScale),
    ...(metric.type === 'trend' ? { histogram: histogramOf(metric.total) } : {}),
    series,
  };
}

function samplesOf(type: MetricType, state: StateByType[MetricType]): number {
  switch (type) {
    case 'counter':
      return (state as CounterState).samples;
    case 'gauge':
      return (state as GaugeState).samples;
    case 'rate':
      return (state as RateState).passes + (state as RateState).fails;
    case 'trend':
      return (state as TrendState).count;
  }
}

/** Values of a state over `spanMs` (a counter's rate is per second over that span). */
function valuesOf(type: MetricType, state: StateByType[MetricType], spanMs: number, valueScale: number): MetricValues {
  switch (type) {
    case 'counter': {
      const { sum } = state as CounterState;
      return { count: sum, rate: spanMs > 0 ? sum / (spanMs / 1000) : 0 };
    }
    case 'gauge': {
      const { last, min, max } = state as GaugeState;
      return { value: last, min, max };
    }
    case 'rate': {
      const { passes, fails } = state as RateState;
      const total = passes + fails;
      return { rate: total > 0 ? passes / total : 0, passes, fails };
    }
    case 'trend': {
      const { count, sum, min, max, histogram } = state as TrendState;
      if (count === 0) return { count: 0, min: 0, max: 0, avg: 0, med: 0, 'p(90)': 0, 'p(95)': 0, 'p(99)': 0, 'p(99.9)': 0 };
      return { count, min, max, avg: sum / count, ...standardPercentiles(histogram, valueScale, min, max) } as TrendValues;
    }
  }
}
