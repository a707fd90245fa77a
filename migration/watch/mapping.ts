/**
 * `watch.metrics`: where the threshold metrics come from on a service that exports no `wsmig_*`
 * series. Each threshold metric can be mapped to the service's own series — a histogram, a counter
 * or a gauge by name and labels, read from `/metrics` or from Prometheus alike — or, with the
 * Prometheus source, to a PromQL expression whose value is taken as one sample per interval.
 *
 * ```json
 * "metrics": {
 *   "ws_rpc_duration": { "histogram": "chat_ws_reply_seconds", "labels": { "route": "rpc" } },
 *   "ws_unexpected_disconnects": { "counter": "chat_ws_closed_total", "labels": { "code": ["1006", "1011"] }, "absentIsZero": true },
 *   "ws_connect_success": { "counter": "chat_ws_upgrades_total", "success": { "label": "result", "values": ["ok"] } },
 *   "server_connections": { "gauge": "chat_ws_open", "aggregate": "sum" },
 *   "server_event_loop_lag_seconds": { "promql": "max(nodejs_eventloop_lag_p99_seconds{job=\"chat\"})" }
 * }
 * ```
 */
import { z } from 'zod';
import type { MetricSample } from '../../lib/prometheus-text.js';

/** Label matchers: a label equal to a value, or to one of several. */
const labelMatchers = z.record(z.string().regex(/^[a-zA-Z_][a-zA-Z0-9_]*$/, 'must be a Prometheus label name'), z.union([z.string(), z.array(z.string()).min(1)])).optional();
const metricName = z.string().regex(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/, 'must be a Prometheus metric name (letters, digits, "_" and ":")');
const promql = z.strictObject({ promql: z.string().min(1, 'must be a PromQL expression').describe("A PromQL expression (Prometheus source only): its value, in the threshold metric's unit, is one sample per interval.") });

const histogram = z.strictObject({
  histogram: metricName.describe('The histogram (its `_bucket` series are read).'),
  labels: labelMatchers,
  unit: z.enum(['seconds', 'milliseconds']).default('seconds').describe('The unit of its `le` bounds.'),
});
const counter = z.strictObject({
  counter: metricName.describe('The counter; its growth within the interval, summed over the matching series.'),
  labels: labelMatchers,
  absentIsZero: z.boolean().default(false).describe('Count no matching series as 0 (a labelled counter has no series before its first increment, e.g. prom-client). Off by default: a misspelt name must stay "not measured", never a zero that passes.'),
});
const cpuCounter = z.strictObject({ counter: metricName.describe('A CPU-seconds counter (as `process_cpu_seconds_total`): its growth per wall second, as a percentage.'), labels: labelMatchers });
const gauge = z.strictObject({
  gauge: metricName.describe('The gauge; its latest value.'),
  labels: labelMatchers,
  aggregate: z.enum(['max', 'sum']).optional().describe('Over several matching series: `sum` (connections), `max` (the busiest instance). Default: as the metric is by nature.'),
});
const successCounter = z.strictObject({
  counter: metricName.describe('A counter of attempts by outcome.'),
  labels: labelMatchers,
  success: z.strictObject({ label: z.string().min(1), values: z.array(z.string()).min(1) }).describe('The label saying the outcome, and its values that count as a success (every other value fails).'),
});

/** Which kinds each threshold metric can be mapped to. */
export const metricMappingSchema = z
  .strictObject({
    ws_rpc_duration: z.union([histogram, promql]).optional(),
    ws_unexpected_disconnects: z.union([counter, promql]).optional(),
    ws_connect_success: successCounter.optional(),
    server_connections: z.union([gauge, promql]).optional(),
    server_rss_bytes: z.union([gauge, promql]).optional(),
    server_event_loop_lag_seconds: z.union([gauge, promql]).optional(),
    server_cpu_percent: z.union([cpuCounter, gauge, promql]).optional(),
  })
  .describe("Threshold metrics read from the service's own series instead of the `wsmig_*` ones (docs/migration.md, \"Watching a service that is not wsmig's\").");

export type MetricMapping = z.output<typeof metricMappingSchema>;
export type MappedMetric = keyof MetricMapping;
export type LabelMatchers = Record<string, string | string[]> | undefined;

/** The sample name a PromQL mapping's value is carried under (labels: `metric`). */
export const PROMQL_SAMPLE = 'wsmig_watch_promql';

/** The PromQL expressions of a mapping, by threshold metric. */
export function promqlOf(mapping: MetricMapping): [MappedMetric, string][] {
  return (Object.entries(mapping) as [MappedMetric, unknown][]).flatMap(([metric, entry]) => (entry !== undefined && typeof entry === 'object' && entry !== null && 'promql' in entry ? [[metric, (entry as { promql: string }).promql] as [MappedMetric, string]] : []));
}

/** The series names a mapping reads by name (for a Prometheus query's `__name__` matcher). */
export function seriesNamesOf(mapping: MetricMapping): string[] {
  const names: string[] = [];
  for (const entry of Object.values(mapping)) {
    if (entry === undefined || 'promql' in entry) continue;
    if ('histogram' in entry) names.push(`${entry.histogram}_bucket`);
    else if ('counter' in entry) names.push(entry.counter);
    else names.push(entry.gauge);
  }
  return names;
}

/** Whether a sample's labels satisfy the matchers. */
export function labelsMatch(sample: MetricSample, matchers: LabelMatchers): boolean {
  if (matchers === undefined) return true;
  return Object.entries(matchers).every(([label, wanted]) => {
    const value = sample.labels[label];
    return value !== undefined && (Array.isArray(wanted) ? wanted.includes(value) : wanted === value);
  });
}
