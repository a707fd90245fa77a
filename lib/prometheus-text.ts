/**
 * The Prometheus text exposition (what `/metrics` serves) as flat samples, one per line
 * (`name{labels} value`), on parse-prometheus-text-format.
 *
 * That parser folds a histogram or summary family into a single entry and keeps only the last label
 * set (a histogram with a `type` label loses all but one type, and its `_count`/`_sum`). Declaring
 * those families untyped before parsing makes it return every `_bucket`, `_sum`, `_count` and
 * quantile line as a plain sample with its labels.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

export interface MetricSample {
  /** The sample name as Prometheus stores it: `wsmig_ws_request_duration_seconds_bucket`, `…_total`. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

/**
 * Every sample of a text exposition, labels kept.
 * @throws Error when the text is not Prometheus text.
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

/** The first sample named `name` whose labels include every one of `labels`. */
export function findSample(samples: readonly MetricSample[], name: string, labels: Readonly<Record<string, string>> = {}): MetricSample | undefined {
  return samples.find((sample) => sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value));
}

function parseFlat(text: string): ReturnType<typeof parsePrometheusTextFormat> {
  return parsePrometheusTextFormat(text.replace(/^#\s*TYPE\s+(\S+)\s+(?:histogram|summary)\s*$/gim, '# TYPE $1 untyped'));
}
