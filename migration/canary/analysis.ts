/**
 * A canary step's analysis: watch's loop (the same thresholds, interval and failure limit as
 * `wsmig watch`) held for the step, and a summary of the whole step with both cohorts side by side.
 *
 * The WebSocket cohort is what the `ws_*` thresholds measure (the service's WebSocket series). The
 * SSE cohort is shown beside it where the service measures the same thing on its legacy endpoints:
 * `ws_rpc_duration` against `wsmig_sse_request_duration_seconds`. The cohorts' sizes come from the
 * service's `/api/config` answers by transport, and its open connections and streams.
 */
import { evaluateThreshold, type ThresholdDefinition } from '../../scenarios/thresholds/index.js';
import { observedText } from '../../reports/describe.js';
import type { Result } from '../../scenarios/result/types.js';
import type { CanarySummary, CohortOutcome } from '../state.js';
import { resultOfIntervals } from '../watch/evaluate.js';
import type { IntervalValues } from '../watch/interval-values.js';
import type { MetricMapping } from '../watch/mapping.js';
import type { MetricsSource } from '../watch/source.js';
import { watchMetrics, type WatchEnd, type WatchEvaluation } from '../watch/watch.js';

/** Threshold metrics the SSE cohort has a counterpart for, and how to read it from an interval. */
const SSE_COUNTERPARTS: Record<string, (values: IntervalValues) => Partial<IntervalValues>> = {
  ws_rpc_duration: (values) => (values.sseRequestBuckets ? { rpcBuckets: values.sseRequestBuckets } : {}),
};

export interface HoldOptions {
  source: MetricsSource;
  definitions: ThresholdDefinition[];
  thresholdsSource: string | null;
  intervalMs: number;
  failureLimit: number;
  /** How long to hold. */
  durationMs: number;
  /** Threshold metrics read from the service's own series (`watch.metrics`). */
  mapping?: MetricMapping;
  onEvaluation?: (evaluation: WatchEvaluation) => Promise<void> | void;
  signal?: AbortSignal;
}

export interface HoldOutcome {
  end: WatchEnd;
  /** Every interval the step measured (the summary's input). */
  intervals: IntervalValues[];
}

/** Holds a step: watches until it breaches, loses its source, or the duration passes. */
export async function holdStep(options: HoldOptions): Promise<HoldOutcome> {
  const intervals: IntervalValues[] = [];
  const pending: Promise<void>[] = [];
  const end = await watchMetrics({
    source: options.source,
    thresholds: { source: options.thresholdsSource, definitions: options.definitions },
    intervalMs: options.intervalMs,
    failureLimit: options.failureLimit,
    maxDurationMs: options.durationMs,
    ...(options.mapping ? { mapping: options.mapping } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    onEvaluation: (evaluation) => {
      if (evaluation.values) intervals.push(evaluation.values);
      const done = options.onEvaluation?.(evaluation);
      if (done) pending.push(done);
    },
  });
  await Promise.all(pending);
  return { end, intervals };
}

function cohortOutcome(definition: ThresholdDefinition, result: Result): CohortOutcome {
  const outcome = evaluateThreshold(result, definition);
  return { status: outcome.status, observed: outcome.observed, observedText: observedText(outcome, result), samples: outcome.samples };
}

/** The step as a whole: each threshold over all its intervals, for each cohort, and the cohorts' sizes. */
export function summarizeStep(intervals: readonly IntervalValues[], definitions: readonly ThresholdDefinition[], intervalMs: number, source: string): CanarySummary {
  const wsResult = resultOfIntervals(intervals, intervalMs, source);
  const thresholds = definitions.map((definition) => {
    const counterpart = SSE_COUNTERPARTS[definition.metric];
    const sseIntervals = counterpart ? intervals.map((values) => ({ startMs: values.startMs, endMs: values.endMs, ...counterpart(values) })) : [];
    const measured = sseIntervals.some((values) => Object.keys(values).length > 2);
    return {
      metric: definition.selector,
      expression: definition.expression,
      ws: cohortOutcome(definition, wsResult),
      sse: measured ? cohortOutcome(definition, resultOfIntervals(sseIntervals, intervalMs, source)) : null,
    };
  });
  const answers = intervals.filter((values) => values.configAnswers !== undefined);
  return {
    configAnswers: answers.length === 0 ? null : answers.reduce((sum, values) => ({ ws: sum.ws + (values.configAnswers?.ws ?? 0), sse: sum.sse + (values.configAnswers?.sse ?? 0) }), { ws: 0, sse: 0 }),
    wsConnectionsMax: maxOf(intervals.map((values) => values.connections)),
    sseStreamsMax: maxOf(intervals.map((values) => values.sseStreams)),
    thresholds,
  };
}

function maxOf(values: readonly (number | undefined)[]): number | null {
  const present = values.filter((value): value is number => value !== undefined);
  return present.length === 0 ? null : Math.max(...present);
}

/** The reasons of an evaluation's failed and inconclusive thresholds, for the state and the report. */
export function reasonsOf(evaluation: WatchEvaluation): string[] {
  if (evaluation.verdict === null) return [evaluation.error ?? evaluation.status];
  return evaluation.verdict.thresholds.filter((outcome) => outcome.status !== 'pass').map((outcome) => `${outcome.metric} ${outcome.expression}: ${outcome.status} (${outcome.reason})`);
}
