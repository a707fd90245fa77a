/**
 * Thresholds files: JSON or YAML, k6's `thresholds` object (alone, or inside k6-style options as
 * `{ "thresholds": { … } }`), with wsmig's additions in the object form (`window`, `consecutive`,
 * `minSamples`). See docs/thresholds.md.
 *
 * ```json
 * { "ws_rpc_duration{scenario:latency}": ["p(99)<250", { "threshold": "avg<50", "abortOnFail": true }],
 *   "server_cpu_percent": [{ "threshold": "value<85", "window": "5s", "consecutive": 3 }] }
 * ```
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { parseDurationMs } from '../../lib/duration.js';
import { UsageError, messageOf } from '../../lib/errors.js';
import { PACKAGE_ROOT } from '../../lib/package-info.js';
import { metricDefinition } from '../result/metric-catalog.js';
import { GrammarError, METHODS_BY_TYPE, methodFitsType, methodText, parseExpression, parseSelector, type ThresholdExpression } from './grammar.js';

/** One threshold: a selector and an expression, with its options. */
export interface ThresholdDefinition extends ThresholdExpression {
  /** The key as written, e.g. `ws_rpc_duration{scenario:latency}`. */
  selector: string;
  /** The metric name of the selector. */
  metric: string;
  /** The selector's tags (`{}` for the whole metric). */
  tags: Record<string, string>;
  /** The expression as written, e.g. `p(99)<250`. */
  expression: string;
  abortOnFail: boolean;
  /** k6's `delayAbortEval`: no abort before this much of the run has passed. Null: from the start. */
  delayAbortEvalMs: number | null;
  /** Evaluate per window of this size instead of over the whole run. */
  windowMs: number | null;
  /** With a window: windows in a row that must fail for a breach (default 1). */
  consecutive: number;
  /** Fewer samples than this makes the threshold inconclusive. Null: 1 for trends, rates and gauges, 0 for counters. */
  minSamples: number | null;
}

/** Parsed thresholds and where they came from. */
export interface ThresholdSet {
  /** The file they were read from, or null for thresholds given inline. */
  source: string | null;
  definitions: ThresholdDefinition[];
}

const OBJECT_KEYS = ['threshold', 'abortOnFail', 'delayAbortEval', 'window', 'consecutive', 'minSamples'];

/** The thresholds file wsmig uses when none is given: the seed's rollback triggers plus message integrity. */
export function defaultThresholdsFile(): string {
  return path.join(PACKAGE_ROOT, 'scenarios', 'rollback-thresholds.json');
}

/**
 * Reads and parses a thresholds file (`.yaml`/`.yml` as YAML, anything else as JSON, falling back to YAML).
 * @throws UsageError `THRESHOLDS_NOT_FOUND` or `THRESHOLDS_INVALID` naming the file, the metric and the problem.
 */
export async function readThresholdsFile(file: string): Promise<ThresholdSet> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError('THRESHOLDS_NOT_FOUND', `Cannot read thresholds file ${file} (${messageOf(error)}): pass an existing JSON or YAML file.`, { cause: error });
  }
  return { source: file, definitions: parseThresholds(parseText(text, file), file) };
}

function parseText(text: string, file: string): unknown {
  const yamlFile = /\.ya?ml$/i.test(file);
  if (!yamlFile) {
    try {
      return JSON.parse(text);
    } catch (error) {
      if (/\.json$/i.test(file)) throw invalid(file, `it is not valid JSON (${messageOf(error)})`, error);
    }
  }
  try {
    return parseYaml(text);
  } catch (error) {
    throw invalid(file, `it is not valid ${yamlFile ? 'YAML' : 'JSON or YAML'} (${messageOf(error).split('\n')[0] ?? ''})`, error);
  }
}

/**
 * Parses thresholds given as data (a file's content, or inline): `{ selector: [expression | { threshold, … }] }`,
 * or the same under a `thresholds` key. `file` names the source in errors.
 * @throws UsageError `THRESHOLDS_INVALID`.
 */
export function parseThresholds(data: unknown, file: string): ThresholdDefinition[] {
  if (!isPlainObject(data)) throw invalid(file, 'it must be an object of metric selectors, e.g. { "ws_rpc_duration": ["p(99)<250"] }');
  const table = isPlainObject(data['thresholds']) ? data['thresholds'] : data;
  const definitions: ThresholdDefinition[] = [];
  for (const [selector, list] of Object.entries(table)) {
    const where = `${file}: "${selector}"`;
    let parsedSelector;
    try {
      parsedSelector = parseSelector(selector);
    } catch (error) {
      throw invalid(file, `"${selector}": ${messageOf(error)}`, error);
    }
    if (!Array.isArray(list)) {
      throw new UsageError('THRESHOLDS_INVALID', `${where}: use an array of expressions, e.g. ["p(99)<250"] (got ${describe(list)}).`);
    }
    if (list.length === 0) throw new UsageError('THRESHOLDS_INVALID', `${where}: the array is empty; give at least one expression or remove the key.`);
    for (const entry of list) definitions.push(parseEntry(entry, selector, parsedSelector, where));
  }
  if (definitions.length === 0) throw invalid(file, 'it defines no thresholds; a run checked against nothing cannot pass');
  return definitions;
}

function parseEntry(entry: unknown, selector: string, parsed: { name: string; tags: Record<string, string> }, where: string): ThresholdDefinition {
  const fail = (problem: string): UsageError => new UsageError('THRESHOLDS_INVALID', `${where}: ${problem}.`);
  let options: Record<string, unknown>;
  if (typeof entry === 'string') options = { threshold: entry };
  else if (isPlainObject(entry)) options = entry;
  else throw fail(`each entry must be an expression string or { "threshold": "…" }, got ${describe(entry)}`);

  const unknownKey = Object.keys(options).find((key) => !OBJECT_KEYS.includes(key));
  if (unknownKey !== undefined) throw fail(`unknown option "${unknownKey}" (use ${OBJECT_KEYS.join(', ')})`);
  const text = options['threshold'];
  if (typeof text !== 'string') throw fail(`"threshold" must be an expression string such as "p(99)<250", got ${describe(text)}`);

  let expression: ThresholdExpression;
  try {
    expression = parseExpression(text);
  } catch (error) {
    if (error instanceof GrammarError) throw fail(error.message);
    throw error;
  }
  const definition = metricDefinition(parsed.name);
  if (definition !== undefined && !methodFitsType(expression.method, definition.type)) {
    throw fail(
      `"${text}" uses ${methodText(expression)}, which does not apply to ${parsed.name}, a ${definition.type} (use ${METHODS_BY_TYPE[definition.type].join(', ')})`,
    );
  }
  const abortOnFail = options['abortOnFail'] ?? false;
  if (typeof abortOnFail !== 'boolean') throw fail(`"abortOnFail" must be true or false, got ${describe(abortOnFail)}`);
  const delayAbortEvalMs = durationOption(options['delayAbortEval'], 'delayAbortEval', fail);
  const windowMs = durationOption(options['window'], 'window', fail);
  if (windowMs !== null && windowMs <= 0) throw fail(`"window" must be longer than 0, e.g. "10s"`);
  const consecutive = integerOption(options['consecutive'], 'consecutive', 1, fail) ?? 1;
  if (options['consecutive'] !== undefined && windowMs === null) throw fail(`"consecutive" needs a "window" (e.g. "window": "10s")`);
  const minSamples = integerOption(options['minSamples'], 'minSamples', 0, fail);
  return {
    ...expression,
    selector,
    metric: parsed.name,
    tags: parsed.tags,
    expression: text,
    abortOnFail,
    delayAbortEvalMs,
    windowMs,
    consecutive,
    minSamples,
  };
}

function durationOption(value: unknown, key: string, fail: (problem: string) => UsageError): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' && typeof value !== 'number') throw fail(`"${key}" must be a duration such as "10s", got ${describe(value)}`);
  try {
    return parseDurationMs(String(value), key);
  } catch {
    throw fail(`bad ${key} "${String(value)}": use a number with a unit, such as 500ms, 10s or 1m`);
  }
}

function integerOption(value: unknown, key: string, min: number, fail: (problem: string) => UsageError): number | null {
  if (value === undefined) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw fail(`"${key}" must be a whole number ≥ ${min}, got ${describe(value)}`);
  return value;
}

function invalid(file: string, problem: string, cause?: unknown): UsageError {
  return new UsageError('THRESHOLDS_INVALID', `${file}: ${problem}.`, cause === undefined ? {} : { cause });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  return JSON.stringify(value) ?? String(value);
}
