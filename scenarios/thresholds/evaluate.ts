/**
 * Evaluates thresholds against a Result into a Verdict: pass, fail or inconclusive, each threshold
 * with its observed value, sample count, window and a reason a person can act on. Too few samples,
 * a metric that was not measured, or a percentile the source cannot answer is inconclusive — never a pass.
 */
import { metricDefinition, METRIC_CATALOG } from '../result/metric-catalog.js';
import type { MetricResult, MetricType, Result, ThresholdOutcome, Verdict } from '../result/types.js';
import { closestNames } from './did-you-mean.js';
import { formatCount, formatValue } from '../result/format.js';
import { compare, METHODS_BY_TYPE, methodFitsType, methodText } from './grammar.js';
import { methodValue, observeRun, observeWindow, type Observation } from './observation.js';
import type { ThresholdDefinition } from './thresholds-file.js';

export interface EvaluateOptions {
  /** The thresholds file, or null for inline thresholds. */
  source: string | null;
  /** The clock for `evaluatedAt` (default: now). */
  now?: () => Date;
  /** Set when the run was stopped early by this abortOnFail threshold. */
  abortedBy?: string;
}

/**
 * Evaluates every threshold over the whole run, or per window where one is set (a breach needs
 * `consecutive` failed windows in a row). Verdict: any fail → fail; else any inconclusive →
 * inconclusive; else pass.
 */
export function evaluateThresholds(result: Result, thresholds: readonly ThresholdDefinition[], options: EvaluateOptions): Verdict {
  const outcomes = thresholds.map((definition) => evaluateThreshold(result, definition));
  const status = outcomes.some((o) => o.status === 'fail') ? 'fail' : outcomes.some((o) => o.status === 'inconclusive') || outcomes.length === 0 ? 'inconclusive' : 'pass';
  return {
    status,
    thresholds: outcomes,
    thresholdsSource: options.source,
    evaluatedAt: (options.now ?? (() => new Date()))().toISOString(),
    ...(options.abortedBy === undefined ? {} : { abortedBy: options.abortedBy }),
  };
}

/** Whether a run should stop now: the first `abortOnFail` threshold that fails once its `delayAbortEval` has passed. */
export type AbortDecision = { abort: false } | { abort: true; by: string; outcome: ThresholdOutcome };

/**
 * The incremental check engines run during a run (k6's `abortOnFail` + `delayAbortEval`): evaluates
 * only `abortOnFail` thresholds whose delay has passed (`elapsedMs` > delay) against a partial Result.
 * Inconclusive never aborts.
 */
export function shouldAbort(partialResult: Result, thresholds: readonly ThresholdDefinition[], elapsedMs: number): AbortDecision {
  for (const definition of thresholds) {
    if (!definition.abortOnFail) continue;
    if (definition.delayAbortEvalMs !== null && elapsedMs <= definition.delayAbortEvalMs) continue;
    const outcome = evaluateThreshold(partialResult, definition);
    if (outcome.status === 'fail') return { abort: true, by: `${definition.selector}: ${definition.expression}`, outcome };
  }
  return { abort: false };
}

/** Evaluates one threshold against a Result. */
export function evaluateThreshold(result: Result, definition: ThresholdDefinition): ThresholdOutcome {
  const base = {
    metric: definition.selector,
    expression: definition.expression,
    abortOnFail: definition.abortOnFail,
    window: null,
  };
  const inconclusive = (reason: string, samples = 0, observed: number | null = null): ThresholdOutcome => ({
    ...base,
    status: 'inconclusive',
    observed,
    samples,
    reason,
  });

  const sameName = result.metrics.filter((metric) => metric.name === definition.metric);
  if (sameName.length === 0) {
    if (metricDefinition(definition.metric) !== undefined) return inconclusive(`${definition.metric} was not measured in this run: no samples, so no verdict`);
    const names = new Set([...result.metrics.map((m) => m.name), ...METRIC_CATALOG.map((d) => d.name)]);
    const suggestions = closestNames(definition.metric, [...names]);
    return inconclusive(
      `${definition.metric} is neither in this result nor a wsmig metric${suggestions.length > 0 ? `; did you mean ${suggestions.map((s) => `"${s}"`).join(' or ')}?` : ''}`,
    );
  }
  const type = (sameName[0] as MetricResult).type;
  if (!methodFitsType(definition.method, type)) {
    return inconclusive(`${methodText(definition)} does not apply to ${definition.metric}, a ${type} (use ${METHODS_BY_TYPE[type].join(', ')})`);
  }
  const matched = selectSubMetrics(sameName, definition.tags);
  if (matched.length === 0) {
    const tagSets = sameName.filter((m) => Object.keys(m.tags).length > 0).map((m) => formatTags(m.tags));
    return inconclusive(
      `no ${definition.metric} samples carry ${formatTags(definition.tags)}; tag sets in this result: ${tagSets.length > 0 ? tagSets.join(', ') : 'none (only the untagged aggregate)'}`,
    );
  }
  const minSamples = definition.minSamples ?? defaultMinSamples(type);
  const run = observeRun(matched);
  if (run.samplesUnknown) {
    if (minSamples > 1) return inconclusive(`the source of ${definition.metric} does not say how many samples it saw, so minSamples ${formatCount(minSamples)} cannot be checked`);
  } else if (run.samples === 0 && type !== 'counter') {
    return inconclusive(`${definition.metric} has no samples in this run: a ${type} without samples has no value`);
  } else if (run.samples < minSamples) {
    return inconclusive(`only ${formatCount(run.samples)} sample${run.samples === 1 ? '' : 's'} of ${definition.metric}, fewer than the ${formatCount(minSamples)} needed`, run.samples);
  }
  if (definition.windowMs === null) {
    const read = methodValue(run, definition.method, definition.percentile);
    if (!read.ok) return inconclusive(read.why, run.samples);
    const passed = compare(read.value, definition.operator, definition.value);
    return {
      ...base,
      status: passed ? 'pass' : 'fail',
      observed: read.value,
      samples: run.samples,
      reason: comparison(definition, run, read.value, passed),
    };
  }
  return evaluateWindows(result, definition, matched, run, minSamples, base);
}

function evaluateWindows(
  result: Result,
  definition: ThresholdDefinition,
  matched: MetricResult[],
  run: Observation,
  minSamples: number,
  base: Pick<ThresholdOutcome, 'metric' | 'expression' | 'abortOnFail'>,
): ThresholdOutcome {
  const sizeMs = definition.windowMs as number;
  const consecutive = definition.consecutive;
  const emptyWindow = { sizeMs, consecutive, windows: 0, failedWindows: 0, longestFailedRun: 0, firstBreachAtMs: null };
  const inconclusive = (reason: string): ThresholdOutcome => ({ ...base, status: 'inconclusive', observed: null, samples: run.samples, window: emptyWindow, reason });
  if (matched.every((metric) => metric.series === undefined)) {
    return inconclusive(`a ${formatWindow(sizeMs)} window needs a time series, and this result has none for ${definition.metric} (imported summaries carry only totals)`);
  }
  if (sizeMs < result.intervalMs || sizeMs % result.intervalMs !== 0) {
    return inconclusive(`a ${formatWindow(sizeMs)} window cannot be cut from ${formatWindow(result.intervalMs)} series intervals: use a whole multiple of ${formatWindow(result.intervalMs)}`);
  }
  const lastPointMs = Math.max(0, ...matched.flatMap((metric) => (metric.series ?? []).map((point) => point.t + result.intervalMs)));
  const runEndMs = Math.max(result.durationMs, lastPointMs);
  const windowCount = Math.max(1, Math.ceil(runEndMs / sizeMs));

  let windows = 0;
  let failedWindows = 0;
  let currentRun = 0;
  let longestFailedRun = 0;
  let firstBreachAtMs: number | null = null;
  let worst: { value: number; startMs: number; samples: number } | null = null;
  let unanswerable: string | null = null;
  for (let index = 0; index < windowCount; index += 1) {
    const startMs = index * sizeMs;
    const endMs = startMs + sizeMs;
    const observation = observeWindow(matched, startMs, endMs, Math.min(endMs, runEndMs) - startMs);
    if (observation.samples < minSamples) {
      currentRun = 0;
      continue;
    }
    const read = methodValue(observation, definition.method, definition.percentile);
    if (!read.ok) {
      unanswerable = read.why;
      currentRun = 0;
      continue;
    }
    windows += 1;
    if (worst === null || isWorse(read.value, worst.value, definition)) worst = { value: read.value, startMs, samples: observation.samples };
    if (compare(read.value, definition.operator, definition.value)) {
      currentRun = 0;
      continue;
    }
    failedWindows += 1;
    currentRun += 1;
    longestFailedRun = Math.max(longestFailedRun, currentRun);
    if (currentRun === consecutive && firstBreachAtMs === null) firstBreachAtMs = Math.min(endMs, runEndMs);
  }
  const window = { sizeMs, consecutive, windows, failedWindows, longestFailedRun, firstBreachAtMs };
  if (windows === 0 || worst === null) {
    return {
      ...inconclusive(unanswerable ?? `no ${formatWindow(sizeMs)} window had the ${formatCount(minSamples)} sample${minSamples === 1 ? '' : 's'} needed`),
      window,
    };
  }
  const breached = longestFailedRun >= consecutive;
  const worstText = `${methodText(definition)}=${formatValue(worst.value, run.unit)} in the ${formatWindow(sizeMs)} window from ${formatWindow(worst.startMs)} (n=${formatCount(worst.samples)})`;
  const counts = `${failedWindows} of ${windows} ${formatWindow(sizeMs)} windows failed ${definition.expression}, longest run ${longestFailedRun}`;
  const reason = breached
    ? `${counts} (breach at ${consecutive} in a row, reached at ${formatWindow(firstBreachAtMs ?? 0)}); worst ${worstText}`
    : `${counts} (a breach needs ${consecutive} in a row); worst ${worstText}`;
  return { ...base, status: breached ? 'fail' : 'pass', observed: worst.value, samples: run.samples, window, reason };
}

/** The sub-metrics a selector means: the aggregate for no tags; else the exact tag set, or every tag set containing the selector's tags. */
function selectSubMetrics(metrics: MetricResult[], tags: Record<string, string>): MetricResult[] {
  const entries = Object.entries(tags);
  if (entries.length === 0) {
    const aggregate = metrics.filter((metric) => Object.keys(metric.tags).length === 0);
    return aggregate.length > 0 ? aggregate : metrics;
  }
  const containing = metrics.filter((metric) => Object.keys(metric.tags).length > 0 && entries.every(([key, value]) => metric.tags[key] === value));
  const exact = containing.find((metric) => Object.keys(metric.tags).length === entries.length);
  return exact !== undefined ? [exact] : containing;
}

function defaultMinSamples(type: MetricType): number {
  return type === 'counter' ? 0 : 1;
}

/** Is `a` further on the failing side than `b`? (largest for < and <=, smallest for > and >=) */
function isWorse(a: number, b: number, definition: ThresholdDefinition): boolean {
  switch (definition.operator) {
    case '<':
    case '<=':
      return a > b;
    case '>':
    case '>=':
      return a < b;
    default:
      return !compare(a, definition.operator, definition.value) && compare(b, definition.operator, definition.value);
  }
}

/** `p(99)=312.4ms > 250 (n=18,233)`, with what it breached when it failed. */
function comparison(definition: ThresholdDefinition, run: Observation, observed: number, passed: boolean): string {
  const relation = observed < definition.value ? '<' : observed > definition.value ? '>' : '==';
  const text = `${methodText(definition)}=${formatValue(observed, run.unit)} ${relation} ${definition.value} (n=${run.samplesUnknown ? 'unknown' : formatCount(run.samples)})`;
  return passed ? text : `${text}: breaches ${definition.expression}`;
}

function formatTags(tags: Record<string, string>): string {
  return `{${Object.entries(tags)
    .map(([key, value]) => `${key}:${value}`)
    .join(',')}}`;
}

function formatWindow(ms: number): string {
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
