/**
 * One watch evaluation: the thresholds (same grammar and evaluator as a load run) against the most
 * recent intervals. Each interval becomes one series point of a Result; a threshold without a
 * window is judged on the latest interval alone, one with `window`/`consecutive` on the latest
 * `consecutive` windows — so a verdict always says "now", never "at some point since the start".
 */
import { evaluateThreshold, type ThresholdDefinition } from '../../scenarios/thresholds/index.js';
import { MetricsRecorder, buildResult } from '../../scenarios/result/recorder.js';
import type { Result, ThresholdOutcome, Verdict } from '../../scenarios/result/types.js';
import type { IntervalValues } from './interval-values.js';

/** How many intervals a threshold needs: one without a window, `ceil(window / interval) × consecutive` with one. */
function intervalsNeeded(definition: ThresholdDefinition, intervalMs: number): number {
  if (definition.windowMs === null) return 1;
  return Math.max(1, Math.ceil(definition.windowMs / intervalMs)) * definition.consecutive;
}

/** The largest number of intervals any threshold needs: how much history the watch keeps. */
export function historyNeeded(definitions: readonly ThresholdDefinition[], intervalMs: number): number {
  return Math.max(1, ...definitions.map((definition) => intervalsNeeded(definition, intervalMs)));
}

/**
 * Builds a Result whose series are the given intervals, one point each, laid out on an even
 * `intervalMs` grid (the real intervals vary by a few ms; the values were computed over the real ones).
 */
export function resultOfIntervals(intervals: readonly IntervalValues[], intervalMs: number, source: string): Result {
  const startMs = 0;
  const recorder = new MetricsRecorder({ startMs, intervalMs, now: () => startMs });
  intervals.forEach((values, index) => {
    const atMs = startMs + index * intervalMs + intervalMs / 2;
    if (values.rssBytes !== undefined) recorder.gauge('server_rss_bytes').set(values.rssBytes, atMs);
    if (values.cpuPercent !== undefined) recorder.gauge('server_cpu_percent').set(values.cpuPercent, atMs);
    if (values.eventLoopLagSeconds !== undefined) recorder.gauge('server_event_loop_lag_seconds').set(values.eventLoopLagSeconds, atMs);
    if (values.connections !== undefined) recorder.gauge('server_connections').set(values.connections, atMs);
    if (values.unexpectedDisconnects !== undefined) recorder.counter('ws_unexpected_disconnects').add(values.unexpectedDisconnects, atMs);
    if (values.connectAttempts !== undefined) {
      const rate = recorder.rate('ws_connect_success');
      for (let i = 0; i < values.connectAttempts.accepted; i++) rate.add(true, atMs);
      for (let i = 0; i < values.connectAttempts.failed; i++) rate.add(false, atMs);
    }
    if (values.rpcSamplesMs !== undefined) for (const sample of values.rpcSamplesMs) recorder.trend('ws_rpc_duration').add(sample, atMs);
    if (values.rpcBuckets !== undefined) {
      const trend = recorder.trend('ws_rpc_duration');
      for (const bucket of values.rpcBuckets) {
        if (bucket.count === 0) continue;
        // Above the last finite bound nothing is known but "more than it": record at that bound (as histogram_quantile does).
        if (!Number.isFinite(bucket.upperMs)) {
          for (let i = 0; i < bucket.count; i++) trend.add(bucket.lowerMs, atMs);
          continue;
        }
        const width = bucket.upperMs - bucket.lowerMs;
        for (let i = 0; i < bucket.count; i++) trend.add(bucket.lowerMs + (width * (i + 0.5)) / bucket.count, atMs);
      }
    }
  });
  const durationMs = Math.max(1, intervals.length) * intervalMs;
  return buildResult(recorder.snapshot(), {
    runId: 'watch',
    tool: { name: 'wsmig', version: null },
    engine: 'imported',
    scenarios: [],
    target: { url: source, embedded: false },
    startedAt: new Date(intervals[0]?.startMs ?? 0).toISOString(),
    endedAt: new Date(intervals.at(-1)?.endMs ?? 0).toISOString(),
    durationMs,
    intervalMs,
    generator: null,
    environment: { node: null, platform: null, cpus: null, wsmig: null },
    source: { file: source, format: 'prometheus' },
    warnings: [],
  });
}

/**
 * Evaluates every threshold on the intervals it needs (the newest last in `history`). A threshold
 * that needs more intervals than there are yet is inconclusive: too early to tell is not healthy.
 */
export function evaluateWatch(history: readonly IntervalValues[], definitions: readonly ThresholdDefinition[], options: { intervalMs: number; source: string; thresholdsSource: string | null; now: () => Date }): Verdict {
  const outcomes: ThresholdOutcome[] = definitions.map((definition) => {
    const needed = intervalsNeeded(definition, options.intervalMs);
    if (history.length < needed) {
      return {
        metric: definition.selector,
        expression: definition.expression,
        status: 'inconclusive',
        observed: null,
        samples: 0,
        window: null,
        abortOnFail: definition.abortOnFail,
        reason: `needs ${needed} interval${needed === 1 ? '' : 's'} of data, ${history.length} so far`,
      };
    }
    const result = resultOfIntervals(history.slice(-needed), options.intervalMs, options.source);
    return evaluateThreshold(result, definition);
  });
  const status = outcomes.some((outcome) => outcome.status === 'fail') ? 'fail' : outcomes.some((outcome) => outcome.status === 'inconclusive') || outcomes.length === 0 ? 'inconclusive' : 'pass';
  return { status, thresholds: outcomes, thresholdsSource: options.thresholdsSource, evaluatedAt: options.now().toISOString() };
}
