/**
 * One reading of a server's metrics as flat Prometheus samples (`name{labels} value`), whichever
 * way it was read: the text exposition of `/metrics` (lib/prometheus-text.ts) or a Prometheus
 * server's query API (here). Everything after this point computes the same way for both.
 */
import type { MetricSample } from '../../lib/prometheus-text.js';

/** Samples of one reading, and when it was taken (the watch's clock, ms). */
export interface SampleSet {
  atMs: number;
  samples: MetricSample[];
}

/** The answer of Prometheus' `GET /api/v1/query` (an instant vector). */
export interface PrometheusQueryAnswer {
  status: string;
  error?: string;
  data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] };
}

/** Flattens an instant-vector query answer; `__name__` becomes the sample name. */
export function samplesFromQuery(answer: PrometheusQueryAnswer): MetricSample[] {
  if (answer.status !== 'success' || !answer.data || answer.data.resultType !== 'vector') return [];
  return answer.data.result.map(({ metric, value }) => {
    const { __name__: name, ...labels } = metric;
    return { name: name ?? '', labels, value: Number(value[1]) };
  });
}

/** Labels that say which server a sample came from when Prometheus scrapes several. */
const INSTANCE_LABELS = ['job', 'instance'];

/** A key for the server a sample belongs to ('' when there is one, as with a plain /metrics). */
export function instanceOf(sample: MetricSample): string {
  return INSTANCE_LABELS.map((label) => sample.labels[label] ?? '').join('/');
}

/** A key for the whole series (name and every label). */
export function seriesKey(sample: MetricSample): string {
  const labels = Object.keys(sample.labels)
    .sort()
    .map((key) => `${key}=${JSON.stringify(sample.labels[key])}`)
    .join(',');
  return `${sample.name}{${labels}}`;
}
