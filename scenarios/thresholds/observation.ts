/**
 * What a threshold looks at: the samples of the sub-metrics its selector matches, merged exactly,
 * over the whole run or over one window of the series.
 */
import { mergeEncoded } from '../result/histogram.js';
import { percentileOf } from '../result/percentile.js';
import type { EncodedHistogram, MetricResult, MetricType, MetricUnit, SeriesPoint } from '../result/types.js';
import type { ThresholdMethod } from './grammar.js';

/** Merged values of one or more sub-metrics (only the keys that are known). */
export interface Observation {
  type: MetricType;
  unit: MetricUnit;
  samples: number;
  /** Imported metrics without a sample count (see MetricResult.samplesUnknown). */
  samplesUnknown: boolean;
  values: Record<string, number>;
  histogram: EncodedHistogram | null;
}

/** An observation, or why the method cannot be answered. */
export type MethodValue = { ok: true; value: number } | { ok: false; why: string };

/** The whole-run observation of sub-metrics of one name (merged exactly when there are several). */
export function observeRun(metrics: readonly MetricResult[]): Observation {
  return mergeObservations(
    metrics.map((metric) => ({
      type: metric.type,
      unit: metric.unit,
      samples: metric.samples,
      samplesUnknown: metric.samplesUnknown === true,
      values: { ...(metric.values as unknown as Record<string, number>) },
      histogram: metric.histogram ?? null,
    })),
    null,
  );
}

/**
 * The observation of `[startMs, endMs)` from the series of the given sub-metrics; `spanMs` (the
 * window's length within the run) gives a counter's rate per second.
 */
export function observeWindow(metrics: readonly MetricResult[], startMs: number, endMs: number, spanMs: number): Observation {
  const parts: Observation[] = [];
  for (const metric of metrics) {
    for (const point of metric.series ?? []) {
      if (point.t >= startMs && point.t < endMs) parts.push(fromPoint(metric, point));
    }
  }
  if (parts.length === 0) {
    const first = metrics[0] as MetricResult;
    return { type: first.type, unit: first.unit, samples: 0, samplesUnknown: false, values: emptyValues(first.type), histogram: null };
  }
  return mergeObservations(parts, spanMs);
}

function fromPoint(metric: MetricResult, point: SeriesPoint): Observation {
  return {
    type: metric.type,
    unit: metric.unit,
    samples: point.samples,
    samplesUnknown: false,
    values: { ...(point.values as unknown as Record<string, number>) },
    histogram: point.histogram ?? null,
  };
}

function emptyValues(type: MetricType): Record<string, number> {
  switch (type) {
    case 'counter':
      return { count: 0, rate: 0 };
    case 'rate':
      return { rate: 0, passes: 0, fails: 0 };
    case 'gauge':
    case 'trend':
      return {};
  }
}

/**
 * Merges observations of one metric type. Counters add (rate per second over `spanMs` when given,
 * else the rates add up, as they share the run's duration); rates add passes and fails; gauges take
 * the last reading in list order (series points come in time order); trends add histograms when all
 * have one, else keep only count, min, max and avg.
 */
function mergeObservations(parts: Observation[], spanMs: number | null): Observation {
  const first = parts[0] as Observation;
  if (parts.length === 1 && spanMs === null) return first;
  const samples = parts.reduce((sum, part) => sum + part.samples, 0);
  const sum = (key: string): number => parts.reduce((total, part) => total + (part.values[key] ?? 0), 0);
  const withSamples = parts.filter((part) => part.samples > 0);
  const base = { type: first.type, unit: first.unit, samples, samplesUnknown: parts.some((part) => part.samplesUnknown), histogram: null };
  switch (first.type) {
    case 'counter': {
      const count = sum('count');
      return { ...base, values: { count, rate: spanMs === null ? sum('rate') : spanMs > 0 ? count / (spanMs / 1000) : 0 } };
    }
    case 'rate': {
      const passes = sum('passes');
      const fails = sum('fails');
      return { ...base, values: { rate: passes + fails > 0 ? passes / (passes + fails) : 0, passes, fails } };
    }
    case 'gauge': {
      const last = withSamples[withSamples.length - 1];
      if (last === undefined) return { ...base, values: {} };
      return {
        ...base,
        values: {
          value: last.values['value'] as number,
          min: Math.min(...withSamples.map((part) => part.values['min'] as number)),
          max: Math.max(...withSamples.map((part) => part.values['max'] as number)),
        },
      };
    }
    case 'trend': {
      if (withSamples.length === 0) return { ...base, values: {} };
      if (withSamples.length === 1) return { ...(withSamples[0] as Observation) };
      const count = sum('count');
      const values: Record<string, number> = {
        count,
        min: Math.min(...withSamples.map((part) => part.values['min'] as number)),
        max: Math.max(...withSamples.map((part) => part.values['max'] as number)),
        avg: withSamples.reduce((total, part) => total + (part.values['avg'] as number) * (part.values['count'] as number), 0) / count,
      };
      const histograms = withSamples.map((part) => part.histogram);
      const scale = histograms[0]?.valueScale;
      if (histograms.every((h): h is EncodedHistogram => h !== null && h.valueScale === scale)) {
        const histogram: EncodedHistogram = { encoding: 'hdr-compressed-base64', valueScale: scale as number, data: mergeEncoded(histograms.map((h) => h.data)) };
        return { ...base, values: { ...values, med: percentileOf({ values, histogram }, 50) as number }, histogram };
      }
      return { ...base, values };
    }
  }
}

/** The value a method reads from an observation, or why it cannot. */
export function methodValue(observation: Observation, method: ThresholdMethod, percentile: number | null): MethodValue {
  if (method === 'percentile' && percentile !== null) {
    const value = percentileOf(observation, percentile);
    if (value !== undefined) return { ok: true, value };
    const listed = Object.keys(observation.values).filter((key) => key === 'med' || key.startsWith('p('));
    return {
      ok: false,
      why: `p(${percentile}) cannot be answered: this result has no histogram for it${listed.length > 0 ? ` and lists only ${listed.join(', ')}` : ''} (imported summaries carry only the percentiles their tool wrote)`,
    };
  }
  const value = observation.values[method];
  if (typeof value === 'number') return { ok: true, value };
  return {
    ok: false,
    why: `${method} is not available: ${observation.samples === 0 && !observation.samplesUnknown ? 'no samples' : 'the source did not report it, or several tag sets without histograms cannot be merged for it'}`,
  };
}
