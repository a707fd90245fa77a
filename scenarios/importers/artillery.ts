/**
 * An artillery report (`artillery run --output report.json`): its `aggregate` counters, rates and
 * summaries, into a Result. What has a wsmig/k6 name is mapped (`http.response_time` →
 * `http_req_duration`, `http.requests` → `http_reqs`, `http.downloaded_bytes` → `data_received`,
 * `websocket.messages_sent` → `ws_msgs_sent`, `vusers.created` → `iterations`); every other counter
 * and summary is kept under artillery's own name. artillery records no message latency, reconnects
 * or losses: the warnings say which wsmig metrics are missing.
 */
import { UsageError } from '../../lib/errors.js';
import type { MetricResult, MetricUnit, Result } from '../result/types.js';
import { asNumber, asObject, counterValues, importedMetric, importedResult, rateValues, renamedNumbers, type ImportSource } from './imported-result.js';

const COUNTER_NAMES: Record<string, { name: string; unit: MetricUnit }> = {
  'http.requests': { name: 'http_reqs', unit: 'count' },
  'http.downloaded_bytes': { name: 'data_received', unit: 'bytes' },
  'websocket.messages_sent': { name: 'ws_msgs_sent', unit: 'count' },
  'websocket.messages_received': { name: 'ws_msgs_received', unit: 'count' },
  'vusers.created': { name: 'iterations', unit: 'count' },
};
const SUMMARY_NAMES: Record<string, string> = { 'http.response_time': 'http_req_duration' };
/** artillery's summary statistics under k6's names. */
const SUMMARY_STATS: ReadonlyArray<readonly [string, string]> = [
  ['min', 'min'],
  ['max', 'max'],
  ['mean', 'avg'],
  ['median', 'med'],
  ['p75', 'p(75)'],
  ['p90', 'p(90)'],
  ['p95', 'p(95)'],
  ['p99', 'p(99)'],
  ['p999', 'p(99.9)'],
];
const WS_METRICS_ARTILLERY_LACKS = ['ws_rpc_duration', 'ws_event_latency', 'ws_connecting', 'ws_reconnect_duration', 'ws_reconnect_success', 'ws_msgs_lost', 'ws_msgs_duplicated'];

/** Imports an artillery report's aggregate. */
export function importArtillery(data: Record<string, unknown>, source: ImportSource): Result {
  const aggregate = asObject(data['aggregate']);
  const counters = asObject(aggregate?.['counters']);
  if (aggregate === undefined || counters === undefined) {
    throw new UsageError('IMPORT_BAD_FILE', `${source.file} does not look like an artillery report: it lacks "aggregate.counters". Check the file, or pass the right --format.`);
  }
  const firstMs = asNumber(aggregate['firstMetricAt']) ?? asNumber(aggregate['firstCounterAt']);
  const lastMs = asNumber(aggregate['lastMetricAt']) ?? asNumber(aggregate['lastCounterAt']);
  const durationMs = firstMs !== undefined && lastMs !== undefined ? Math.max(0, lastMs - firstMs) : 0;
  const warnings: string[] = [];
  if (durationMs === 0) warnings.push('The report does not say when the test ran: duration unknown (0).');
  const metrics: MetricResult[] = [];

  for (const [key, raw] of Object.entries(counters)) {
    const count = asNumber(raw);
    if (count === undefined) continue;
    const mapped = COUNTER_NAMES[key];
    metrics.push(importedMetric(mapped?.name ?? key, 'counter', mapped?.unit ?? (key.endsWith('_bytes') ? 'bytes' : 'count'), {}, counterValues(count, durationMs), null));
  }
  const requests = asNumber(counters['http.requests']);
  if (requests !== undefined && requests > 0) {
    const responses = asNumber(counters['http.responses']) ?? 0;
    const errorCodes = Object.entries(counters)
      .filter(([key]) => /^http\.codes\.[45]\d\d$/.test(key))
      .reduce((sum, [, value]) => sum + (asNumber(value) ?? 0), 0);
    const failed = Math.max(0, requests - responses) + errorCodes;
    metrics.push(importedMetric('http_req_failed', 'rate', 'ratio', {}, rateValues(failed, Math.max(0, requests - failed)), requests));
  }

  const summaries = asObject(aggregate['summaries']) ?? {};
  for (const [key, raw] of Object.entries(summaries)) {
    const summary = asObject(raw);
    if (summary === undefined) continue;
    const values = renamedNumbers(summary, SUMMARY_STATS);
    const count = asNumber(summary['count']);
    values['count'] = count ?? 0;
    const unit: MetricUnit = /response_time|session_length|duration|latency/.test(key) ? 'ms' : 'none';
    metrics.push(importedMetric(SUMMARY_NAMES[key] ?? key, 'trend', unit, {}, values, count ?? null));
  }

  const present = new Set(metrics.map((m) => m.name));
  const missing = WS_METRICS_ARTILLERY_LACKS.filter((name) => !present.has(name));
  warnings.push(`artillery records counts and rates only: ${missing.join(', ')} are not in this result (thresholds on them are inconclusive).`);
  if (Array.isArray(data['intermediate']) && data['intermediate'].length > 0) warnings.push('Per-period data (intermediate) is not imported: windowed thresholds are inconclusive on this result.');

  return importedResult(source, {
    format: 'artillery',
    tool: { name: 'artillery', version: null },
    startedAtMs: firstMs ?? source.modifiedAtMs - durationMs,
    durationMs,
    targetUrl: null,
    scenario: 'artillery',
    scenarioOptions: {},
    metrics,
    warnings,
    verdict: null,
  });
}
