/**
 * autocannon's result object (the JSON `autocannon --json` prints, or what `autocannon()` resolves),
 * into a Result: `latency` → `http_req_duration` (ms; its percentiles `p99_9` → `p(99.9)`),
 * responses → `http_reqs`, errors and non-2xx → `http_req_failed`, `throughput.total` → `data_received`.
 *
 * The coordinated-omission trap: with a rate set and `ignoreCoordinatedOmission` off, autocannon
 * adds synthetic latency samples (FACTS.md: 10,233 samples for 200 responses). A latency sample count
 * that matches neither the responses nor the 2xx responses is flagged in the warnings.
 */
import { UsageError } from '../../lib/errors.js';
import type { MetricResult, Result } from '../result/types.js';
import { asNumber, asObject, counterValues, importedMetric, importedResult, rateValues, renamedNumbers, type ImportSource } from './imported-result.js';

/** Imports an autocannon result. */
export function importAutocannon(data: Record<string, unknown>, source: ImportSource): Result {
  const latency = asObject(data['latency']);
  const requests = asObject(data['requests']);
  if (latency === undefined || requests === undefined) {
    throw new UsageError('IMPORT_BAD_FILE', `${source.file} does not look like an autocannon result: it lacks "latency" or "requests". Check the file, or pass the right --format.`);
  }
  const durationMs = (asNumber(data['duration']) ?? 0) * 1000;
  const startMs = typeof data['start'] === 'string' ? Date.parse(data['start']) : NaN;
  const responses = asNumber(requests['total']) ?? 0;
  const non2xx = asNumber(data['non2xx']) ?? 0;
  const errors = asNumber(data['errors']) ?? 0;
  const latencySamples = asNumber(latency['totalCount']);
  const warnings: string[] = [];

  // autocannon's percentiles are `p99`, `p99_9`: k6's `p(99)`, `p(99.9)`.
  const percentiles = Object.keys(latency).flatMap((key) => {
    const match = /^p(\d+)(?:_(\d+))?$/.exec(key);
    return match === null ? [] : [[key, `p(${match[1]}${match[2] === undefined ? '' : `.${match[2]}`})`] as const];
  });
  const latencyValues = renamedNumbers(latency, [['min', 'min'], ['max', 'max'], ['mean', 'avg'], ['p50', 'med'], ...percentiles]);
  latencyValues['count'] = latencySamples ?? 0;

  if (latencySamples === undefined) {
    warnings.push('autocannon did not report latency.totalCount: whether its latency samples match the responses cannot be checked.');
  } else if (latencySamples !== responses && latencySamples !== responses - non2xx) {
    warnings.push(
      `autocannon recorded ${latencySamples} latency samples for ${responses} responses: its coordinated-omission correction added synthetic samples, so http_req_duration percentiles are not measurements. Rerun with ignoreCoordinatedOmission: true (wsmig's autocannon engine always does).`,
    );
  }
  warnings.push('autocannon measures latency in whole milliseconds and counts only 2xx responses toward it by default; it reports no bytes sent.');

  const metrics: MetricResult[] = [
    importedMetric('http_req_duration', 'trend', 'ms', {}, latencyValues, latencySamples ?? null),
    importedMetric('http_reqs', 'counter', 'count', {}, counterValues(responses, durationMs), null),
    importedMetric('http_req_failed', 'rate', 'ratio', {}, rateValues(non2xx + errors, responses - non2xx), responses + errors),
  ];
  const throughput = asObject(data['throughput']);
  const bytes = asNumber(throughput?.['total']);
  if (bytes !== undefined) metrics.push(importedMetric('data_received', 'counter', 'bytes', {}, counterValues(bytes, durationMs), null));
  const timeouts = asNumber(data['timeouts']);
  if (timeouts !== undefined && timeouts > 0) warnings.push(`${timeouts} requests timed out (counted as failed in http_req_failed).`);

  const options: Record<string, unknown> = {};
  for (const key of ['connections', 'pipelining', 'workers', 'sampleInt', 'title']) if (data[key] !== undefined) options[key] = data[key];
  return importedResult(source, {
    format: 'autocannon',
    tool: { name: 'autocannon', version: null },
    startedAtMs: Number.isFinite(startMs) ? startMs : source.modifiedAtMs - durationMs,
    durationMs,
    targetUrl: typeof data['url'] === 'string' ? data['url'] : null,
    scenario: typeof data['title'] === 'string' ? data['title'] : 'autocannon',
    scenarioOptions: options,
    metrics,
    warnings,
    verdict: null,
  });
}
