/**
 * One reading of a server's metrics as flat Prometheus samples (`name{labels} value`), whichever
 * way it was read: the text exposition of `/metrics` or a Prometheus server's query API. Everything
 * after this point computes the same way for both.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface MetricSample {
  /** The sample name as Prometheus stores it: `wsmig_ws_request_duration_seconds_bucket`, `…_total`. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Samples of one reading, and when it was taken (the watch's clock, ms). */
export interface SampleSet {
  atMs: number;
  samples: MetricSample[];
}

/**
 * Flattens a Prometheus text exposition into one sample per line, labels kept.
 *
 * parse-prometheus-text-format folds a histogram or summary family into a single entry and keeps
 * only the last label set (a histogram with a `type` label loses all but one type, and its
 * `_count`/`_sum`). Declaring those families untyped before parsing makes it return every
 * `_bucket`, `_sum`, `_count` and quantile line as a plain sample with its labels, which is the
 * flat form needed here.
 */
export function samplesFromText(text: string): MetricSample[] {
  const samples: MetricSample[] = [];
  for (const family of parseFlat(text)) {
    for (const metric of family.metrics) {
      if (metric.value !== undefined) samples.push({ name: family.name, labels: metric.labels ?? {}, value: Number(metric.value) });
    }
  }
  return samples;
}

/**
 * The metric families a text exposition declares, with or without samples (prom-client prints
 * only the `# TYPE` line of a labelled metric that has not been observed yet).
 */
export function declaredFamilies(text: string): Set<string> {
  return new Set(parseFlat(text).map((family) => family.name));
}

function parseFlat(text: string): ReturnType<typeof parsePrometheusTextFormat> {
  return parsePrometheusTextFormat(text.replace(/^#\s*TYPE\s+(\S+)\s+(?:histogram|summary)\s*$/gim, '# TYPE $1 untyped'));
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
