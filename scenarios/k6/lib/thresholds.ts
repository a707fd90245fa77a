/**
 * wsmig thresholds (docs/thresholds.md) turned into what k6 can evaluate itself. wsmig's grammar
 * is k6's plus `window`/`consecutive` (a breach only when N windows in a row fail) and
 * `minSamples` (too few samples is inconclusive, never a pass). k6 has neither: it evaluates every
 * threshold over the whole run. So a windowed threshold is left out (k6 would judge something
 * else), `minSamples` is dropped (k6 cannot be inconclusive), and metrics this run does not record
 * (the server_* figures wsmig scrapes, a scenario's own metrics in another scenario) are left out:
 * k6 evaluates a threshold on a metric without samples as if its value were 0, so `rate>0.99` on a
 * rate nobody recorded would fail the run. wsmig re-evaluates the imported Result with the full
 * grammar anyway; the notes say what k6 did not check.
 * No k6 imports: unit-tested in Node.
 */

/** One threshold as k6's `options.thresholds` takes it. */
export type K6Threshold = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string };

/** What k6 will evaluate, and what it will not (for people). */
export interface K6Thresholds {
  thresholds: Record<string, K6Threshold[]>;
  notes: string[];
}

const WSMIG_ONLY_KEYS = ['window', 'consecutive', 'minSamples'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The metric name of a selector: `ws_rpc_duration{scenario:latency}` → `ws_rpc_duration`. */
export function metricOfSelector(selector: string): string {
  const brace = selector.indexOf('{');
  return (brace < 0 ? selector : selector.slice(0, brace)).trim();
}

function convertEntry(selector: string, entry: unknown, where: string, notes: string[]): K6Threshold | undefined {
  if (typeof entry === 'string') return entry;
  if (!isRecord(entry) || typeof entry['threshold'] !== 'string') {
    throw new Error(`${where}: "${selector}" must list expressions such as "p(99)<250" or objects { threshold, abortOnFail?, delayAbortEval? }.`);
  }
  const expression = entry['threshold'];
  if (entry['window'] !== undefined) {
    notes.push(`${selector}: "${expression}" is evaluated over ${String(entry['window'])} windows, which k6 cannot do; wsmig evaluates it after the run.`);
    return undefined;
  }
  const dropped = WSMIG_ONLY_KEYS.filter((key) => entry[key] !== undefined);
  if (dropped.length > 0) notes.push(`${selector}: "${expression}" ${dropped.join(' and ')} ignored by k6 (whole-run only); wsmig applies it after the run.`);
  const converted: { threshold: string; abortOnFail?: boolean; delayAbortEval?: string } = { threshold: expression };
  if (typeof entry['abortOnFail'] === 'boolean') converted.abortOnFail = entry['abortOnFail'];
  if (typeof entry['delayAbortEval'] === 'string') converted.delayAbortEval = entry['delayAbortEval'];
  return converted.abortOnFail === undefined && converted.delayAbortEval === undefined ? expression : converted;
}

/** The value of a selector's `scenario` tag, if it has one: `ws_rpc_duration{scenario:latency}` → `latency`. */
export function scenarioOfSelector(selector: string): string | undefined {
  const match = /[{,]\s*scenario\s*:\s*"?([^",}]+?)"?\s*[,}]/.exec(selector);
  return match === null ? undefined : match[1];
}

/**
 * Converts a wsmig thresholds document (`{ "<selector>": [...] }`, or `{ "thresholds": { ... } }`)
 * into k6 thresholds for the run of `scenario` that records `recordedMetrics`.
 * @param where names the file in error messages.
 * @throws Error when the document is not a thresholds map.
 */
export function thresholdsForK6(document: unknown, recordedMetrics: readonly string[], where: string, scenario: string): K6Thresholds {
  const map = isRecord(document) && isRecord(document['thresholds']) ? document['thresholds'] : document;
  if (!isRecord(map)) throw new Error(`${where}: expected an object of "<metric selector>": [thresholds], as in k6's options.thresholds.`);
  const thresholds: Record<string, K6Threshold[]> = {};
  const notes: string[] = [];
  for (const selector of Object.keys(map)) {
    const metric = metricOfSelector(selector);
    const selectedScenario = scenarioOfSelector(selector);
    if (selectedScenario !== undefined && selectedScenario !== scenario) {
      notes.push(`${selector}: about scenario ${selectedScenario}, not ${scenario}; left out.`);
      continue;
    }
    if (recordedMetrics.indexOf(metric) < 0) {
      notes.push(`${selector}: not recorded by k6 in this run; wsmig evaluates it after the run if it measures it.`);
      continue;
    }
    const value = map[selector];
    const entries = Array.isArray(value) ? value : [value];
    const kept: K6Threshold[] = [];
    for (const entry of entries) {
      const converted = convertEntry(selector, entry, where, notes);
      if (converted !== undefined) kept.push(converted);
    }
    if (kept.length > 0) thresholds[selector] = kept;
  }
  return { thresholds, notes };
}
