/**
 * Reading any percentile of a trend, whether it carries an HDR histogram (every wsmig engine's
 * trends do) or only the percentiles another tool listed (imported summaries).
 */
import { percentileOfEncoded } from './histogram.js';
import type { EncodedHistogram, MetricValues } from './types.js';

/** Anything with trend values and maybe a histogram: a MetricResult, a SeriesPoint. */
export interface PercentileSource {
  values: MetricValues | Record<string, number>;
  histogram?: EncodedHistogram | null | undefined;
}

/** k6's key for a percentile: `p(99)`, `p(99.9)`; 50 is also `med`. */
function percentileKey(percentile: number): `p(${number})` {
  return `p(${percentile})`;
}

/**
 * The `percentile` (0–100) of a trend in its unit: from the histogram when there is one (clamped to
 * the exact min/max), else from the listed values (`p(N)` written in any decimal spelling, or `med`
 * for 50), else undefined — the source cannot answer it.
 */
export function percentileOf(metric: PercentileSource, percentile: number): number | undefined {
  const values = metric.values as Record<string, number | undefined>;
  if (metric.histogram) {
    const { min, max } = values;
    return percentileOfEncoded(metric.histogram, percentile, min, max);
  }
  if (percentile === 50 && typeof values['med'] === 'number') return values['med'];
  const exact = values[percentileKey(percentile)];
  if (typeof exact === 'number') return exact;
  for (const [key, value] of Object.entries(values)) {
    const match = /^p\(([\d.]+)\)$/.exec(key);
    if (match !== null && Number(match[1]) === percentile && typeof value === 'number') return value;
  }
  if (percentile === 0 && typeof values['min'] === 'number') return values['min'];
  if (percentile === 100 && typeof values['max'] === 'number') return values['max'];
  return undefined;
}
