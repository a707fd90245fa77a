/**
 * k6 summaries in their three shapes, into a Result:
 * - `k6 run --summary-export` (legacy): `{ root_group, metrics: { name: { …flat stats, thresholds?: { expr: failed } } } }`
 *   — no metric types (inferred from the stats), a rate's share is `value`, and a threshold's value
 *   **true means it failed**;
 * - `handleSummary(data)`: `{ root_group, options, state: { testRunDurationMs }, metrics: { name: { type, contains, values, thresholds?: { expr: { ok } } } } }`;
 * - the machine-readable summary (`--new-machine-readable-summary`, schema 1.x):
 *   `{ version, config: { duration (s), execution, script? }, metadata: { generatedAt, k6Version }, results: { metrics: [{ name, type, contains, values }], checks? } }`.
 * Sub-metrics (`http_req_duration{expected_response:true}`) become tagged metrics. For
 * `http_req_failed` k6's "passes" are failed requests (the rate counts true = failed); they stay
 * passes here, so its rate is the failure share, as in k6.
 */
import { UsageError } from '../../lib/errors.js';
import { K6_HTTP_TIMINGS } from '../k6/lib/builtin-metrics.js';
import type { MetricResult, MetricType, MetricUnit, ThresholdOutcome, Verdict } from '../result/types.js';
import { evaluateThreshold } from '../thresholds/evaluate.js';
import { parseSelector } from '../thresholds/grammar.js';
import { parseThresholds } from '../thresholds/thresholds-file.js';
import {
  asNumber,
  asObject,
  counterValues,
  importedMetric,
  importedResult,
  rateValues,
  unitFor,
  type ImportFormat,
  type ImportSource,
} from './imported-result.js';
import type { Result } from '../result/types.js';

/** k6's built-in trends measured in time (ms), for the legacy export that does not say `contains`. */
const K6_TIME_TRENDS = new Set([
  ...K6_HTTP_TIMINGS,
  'iteration_duration',
  'group_duration',
  'ws_connecting',
  'ws_session_duration',
  'ws_ping',
  'grpc_req_duration',
]);
const K6_DATA_COUNTERS = new Set(['data_sent', 'data_received']);

interface K6Metric {
  key: string;
  type: MetricType;
  contains: string | null;
  values: Record<string, unknown>;
  /** expression → passed */
  thresholds: Map<string, boolean>;
}

/** Imports a `--summary-export` file or `handleSummary` data. */
export function importK6Summary(data: Record<string, unknown>, source: ImportSource, format: 'k6-summary-export' | 'k6-handle-summary'): Result {
  const metricsObject = asObject(data['metrics']);
  if (metricsObject === undefined) throw badShape(source.file, format, '"metrics" is not an object');
  const warnings: string[] = [];
  const k6Metrics: K6Metric[] = [];
  for (const [key, raw] of Object.entries(metricsObject)) {
    const entry = asObject(raw);
    if (entry === undefined) throw badShape(source.file, format, `metric "${key}" is not an object`);
    if (format === 'k6-handle-summary') {
      const values = asObject(entry['values']);
      const type = metricType(entry['type']);
      if (values === undefined || type === undefined) throw badShape(source.file, format, `metric "${key}" has no "type" and "values"`);
      const thresholds = new Map<string, boolean>();
      for (const [expression, outcome] of Object.entries(asObject(entry['thresholds']) ?? {})) {
        thresholds.set(expression, asObject(outcome)?.['ok'] === true);
      }
      k6Metrics.push({ key, type, contains: typeof entry['contains'] === 'string' ? entry['contains'] : null, values, thresholds });
    } else {
      const { thresholds: rawThresholds, ...values } = entry;
      const type = inferLegacyType(values);
      if (type === undefined) {
        warnings.push(`k6 metric "${key}" has no statistics wsmig recognises; it was left out.`);
        continue;
      }
      const thresholds = new Map<string, boolean>();
      // In the legacy export a threshold's value is true when it FAILED.
      for (const [expression, failed] of Object.entries(asObject(rawThresholds) ?? {})) thresholds.set(expression, failed !== true);
      k6Metrics.push({ key, type, contains: null, values, thresholds });
    }
  }
  const state = asObject(data['state']);
  const durationMs = asNumber(state?.['testRunDurationMs']) ?? durationFromCounters(k6Metrics);
  if (durationMs === undefined) warnings.push('The summary does not say how long the test ran: counter rates per second are as k6 listed them, and the run duration is unknown (0).');
  const runMs = durationMs ?? 0;
  const metrics = toMetricResults(k6Metrics, runMs);
  const options = asObject(data['options']) ?? {};
  return importedResult(source, {
    format,
    tool: { name: 'k6', version: null },
    startedAtMs: source.modifiedAtMs - runMs,
    durationMs: runMs,
    targetUrl: null,
    scenario: 'k6',
    scenarioOptions: options,
    metrics,
    warnings: [...warnings, ...countWarnings(metrics)],
    verdict: k6Verdict(k6Metrics, metrics, runMs, source),
  });
}

/** Imports the machine-readable summary (schema 1.x). */
export function importK6MachineReadable(data: Record<string, unknown>, source: ImportSource): Result {
  const format: ImportFormat = 'k6-machine-readable';
  const version = typeof data['version'] === 'string' ? data['version'] : '';
  if (!version.startsWith('1.')) {
    throw new UsageError('IMPORT_UNSUPPORTED_VERSION', `${source.file}: k6 machine-readable summary version "${version}" is not supported (wsmig reads 1.x); export it with a k6 that writes schema 1.x, or use --summary-export without --new-machine-readable-summary.`);
  }
  const config = asObject(data['config']);
  const metadata = asObject(data['metadata']);
  const results = asObject(data['results']);
  const list = results?.['metrics'];
  if (!Array.isArray(list)) throw badShape(source.file, format, '"results.metrics" is not an array');
  const checks = asObject(results?.['checks']);
  const all = [...list, ...(Array.isArray(checks?.['metrics']) ? (checks['metrics'] as unknown[]) : [])];
  const k6Metrics: K6Metric[] = [];
  const seen = new Set<string>();
  for (const raw of all) {
    const entry = asObject(raw);
    const key = entry?.['name'];
    const type = metricType(entry?.['type']);
    const values = asObject(entry?.['values']);
    if (typeof key !== 'string' || type === undefined || values === undefined) throw badShape(source.file, format, 'a metric lacks name, type or values');
    if (seen.has(key)) continue;
    seen.add(key);
    const normalised = type === 'rate' ? { passes: asNumber(values['matches']) ?? 0, fails: (asNumber(values['total']) ?? 0) - (asNumber(values['matches']) ?? 0) } : values;
    k6Metrics.push({ key, type, contains: typeof entry?.['contains'] === 'string' ? (entry['contains'] as string) : null, values: normalised, thresholds: new Map() });
  }
  const durationMs = (asNumber(config?.['duration']) ?? 0) * 1000;
  const generatedAtMs = typeof metadata?.['generatedAt'] === 'string' ? Date.parse(metadata['generatedAt']) : NaN;
  const endMs = Number.isFinite(generatedAtMs) ? generatedAtMs : source.modifiedAtMs;
  const metrics = toMetricResults(k6Metrics, durationMs);
  const warnings = countWarnings(metrics);
  for (const check of Array.isArray(checks?.['results']) ? (checks['results'] as unknown[]) : []) {
    const c = asObject(check);
    const fails = asNumber(c?.['fails']) ?? 0;
    if (fails > 0) warnings.push(`k6 check "${String(c?.['name'])}" failed ${fails} of ${fails + (asNumber(c?.['passes']) ?? 0)} times.`);
  }
  warnings.push('The machine-readable summary carries no thresholds: evaluate them with --thresholds.');
  const script = typeof config?.['script'] === 'string' ? config['script'] : null;
  return importedResult(source, {
    format,
    tool: { name: 'k6', version: typeof metadata?.['k6Version'] === 'string' ? metadata['k6Version'] : null },
    startedAtMs: endMs - durationMs,
    durationMs,
    targetUrl: null,
    scenario: script ?? 'k6',
    scenarioOptions: { execution: config?.['execution'] ?? null, script },
    metrics,
    warnings,
    verdict: null,
  });
}

function metricType(value: unknown): MetricType | undefined {
  return value === 'counter' || value === 'gauge' || value === 'rate' || value === 'trend' ? value : undefined;
}

/** The legacy export drops `type`: a rate has passes/fails, a counter count/rate, a gauge value/min/max, a trend avg/med/p(N). */
function inferLegacyType(values: Record<string, unknown>): MetricType | undefined {
  if ('passes' in values && 'fails' in values) return 'rate';
  if ('count' in values && 'rate' in values) return 'counter';
  if ('avg' in values || 'med' in values || Object.keys(values).some((key) => key.startsWith('p('))) return 'trend';
  if ('value' in values) return 'gauge';
  return undefined;
}

/** A counter's count ÷ its per-second rate is the run's duration (k6 computes rates over the whole run). */
function durationFromCounters(metrics: K6Metric[]): number | undefined {
  const preferred = [...metrics].sort((a, b) => Number(b.key === 'iterations') - Number(a.key === 'iterations'));
  for (const metric of preferred) {
    if (metric.type !== 'counter') continue;
    const count = asNumber(metric.values['count']);
    const rate = asNumber(metric.values['rate']);
    if (count !== undefined && rate !== undefined && rate > 0) return Math.round((count / rate) * 1000);
  }
  return undefined;
}

function unitOf(metric: { name: string; type: MetricType; contains: string | null }): MetricUnit {
  const fromContains: MetricUnit | null =
    metric.contains === 'time' ? 'ms' : metric.contains === 'data' ? 'bytes' : metric.contains === null && K6_TIME_TRENDS.has(metric.name) ? 'ms' : metric.contains === null && K6_DATA_COUNTERS.has(metric.name) ? 'bytes' : null;
  return unitFor(metric.name, metric.type, fromContains);
}

function toMetricResults(k6Metrics: K6Metric[], durationMs: number): MetricResult[] {
  const requests = k6Metrics.find((m) => m.key === 'http_reqs');
  const out: MetricResult[] = [];
  for (const metric of k6Metrics) {
    const { name, tags } = parseSelector(metric.key);
    const unit = unitOf({ name, type: metric.type, contains: metric.contains });
    const number = (key: string) => asNumber(metric.values[key]);
    switch (metric.type) {
      case 'counter': {
        const count = number('count') ?? 0;
        out.push(importedMetric(name, 'counter', unit, tags, counterValues(count, durationMs, number('rate')), null));
        break;
      }
      case 'gauge': {
        const value = number('value') ?? 0;
        out.push(importedMetric(name, 'gauge', unit, tags, { value, min: number('min') ?? value, max: number('max') ?? value }, null));
        break;
      }
      case 'rate': {
        const passes = number('passes') ?? 0;
        const fails = number('fails') ?? 0;
        out.push(importedMetric(name, 'rate', unit, tags, rateValues(passes, fails), passes + fails));
        break;
      }
      case 'trend': {
        const values: Record<string, number> = {};
        for (const [key, value] of Object.entries(metric.values)) {
          const n = asNumber(value);
          if (n !== undefined && (['count', 'min', 'max', 'avg', 'med'].includes(key) || /^p\([\d.]+\)$/.test(key))) values[key] = n;
        }
        // Every HTTP request records one http_req_duration sample, so http_reqs is its count.
        let count = values['count'] ?? (metric.key === 'http_req_duration' ? asNumber(requests?.values['count']) : undefined);
        if (count !== undefined) count = Math.round(count);
        out.push(importedMetric(name, 'trend', unit, tags, { ...values, count: count ?? 0 }, count ?? null));
        break;
      }
    }
  }
  return out;
}

function countWarnings(metrics: MetricResult[]): string[] {
  const unknown = metrics.filter((m) => m.type === 'trend' && m.samplesUnknown).map((m) => m.name);
  if (unknown.length === 0) return [];
  return [
    `k6 listed no sample count for ${[...new Set(unknown)].join(', ')}: add "count" (and p(99), p(99.9)) to summaryTrendStats so minSamples and those percentiles can be checked.`,
  ];
}

/** k6's own threshold outcomes as a Verdict, with the observed values wsmig can read from the summary. */
function k6Verdict(k6Metrics: K6Metric[], metrics: MetricResult[], durationMs: number, source: ImportSource): Verdict | null {
  const outcomes: ThresholdOutcome[] = [];
  const partial: Result = importedResult(source, {
    format: 'k6-handle-summary',
    tool: { name: 'k6', version: null },
    startedAtMs: 0,
    durationMs,
    targetUrl: null,
    scenario: 'k6',
    scenarioOptions: {},
    metrics,
    warnings: [],
    verdict: null,
  });
  for (const metric of k6Metrics) {
    for (const [expression, passed] of metric.thresholds) {
      let ours: ThresholdOutcome | undefined;
      try {
        const [definition] = parseThresholds({ [metric.key]: [expression] }, source.file);
        if (definition !== undefined) ours = evaluateThreshold(partial, definition);
      } catch {
        ours = undefined;
      }
      outcomes.push({
        metric: metric.key,
        expression,
        status: passed ? 'pass' : 'fail',
        observed: ours?.observed ?? null,
        samples: ours?.samples ?? 0,
        window: null,
        abortOnFail: false,
        reason: `k6 reported it ${passed ? 'passed' : 'failed'}${ours !== undefined && ours.observed !== null ? `; ${ours.reason}` : ''}`,
      });
    }
  }
  if (outcomes.length === 0) return null;
  return {
    status: outcomes.some((o) => o.status === 'fail') ? 'fail' : 'pass',
    thresholds: outcomes,
    thresholdsSource: `${source.file} (k6's own evaluation)`,
    evaluatedAt: new Date(source.modifiedAtMs).toISOString(),
  };
}

function badShape(file: string, format: ImportFormat, problem: string): UsageError {
  return new UsageError('IMPORT_BAD_FILE', `${file} does not look like a ${format} file: ${problem}. Check the file, or pass the right --format.`);
}
