/**
 * The watch loop (as Argo Rollouts' and Flagger's analysis, for a feature flag): read the metrics
 * every interval, evaluate the rollback thresholds on the latest intervals, and end when
 * `failureLimit` evaluations in a row breached, when the source stayed unreachable that long, or
 * when `maxDurationMs` passed. What to do on a breach (roll back or exit 99) is the caller's.
 */
import type { ThresholdSet } from '../../scenarios/thresholds/index.js';
import type { Verdict } from '../../scenarios/result/types.js';
import { evaluateWatch, historyNeeded } from './evaluate.js';
import { intervalValues, type IntervalValues } from './interval-values.js';
import type { MetricMapping } from './mapping.js';
import type { SampleSet } from './samples.js';
import type { MetricsSource } from './source.js';

export interface WatchEvaluation {
  /** 1 for the first evaluation. */
  index: number;
  at: string;
  /** `unreachable`: the source could not be read this interval. */
  status: 'pass' | 'fail' | 'inconclusive' | 'unreachable';
  /** Evaluations in a row that breached, this one included. */
  breachStreak: number;
  /** Intervals in a row the source could not be read. */
  unreachableStreak: number;
  verdict: Verdict | null;
  /** The interval's values (what was observed), when the source answered. */
  values: IntervalValues | null;
  error?: string;
}

export type WatchEnd =
  /** `maxDurationMs` passed (or the watch was stopped) and the last evaluation passed. */
  | { outcome: 'healthy'; evaluations: number; last: WatchEvaluation | null }
  /** Ended without a passing last evaluation: no data, too little data, metrics it cannot observe. */
  | { outcome: 'inconclusive'; evaluations: number; last: WatchEvaluation | null }
  /** `failureLimit` evaluations in a row breached. */
  | { outcome: 'breached'; evaluations: number; last: WatchEvaluation; verdict: Verdict; detectedAtMs: number }
  /** The source could not be read for `failureLimit` intervals in a row. */
  | { outcome: 'source-unreachable'; evaluations: number; last: WatchEvaluation; error: string };

export interface WatchOptions {
  source: MetricsSource;
  thresholds: ThresholdSet;
  intervalMs: number;
  failureLimit: number;
  /** End a watch that has not breached after this long; null = until stopped. */
  maxDurationMs: number | null;
  /** Threshold metrics read from the service's own series (`watch.metrics`). */
  mapping?: MetricMapping;
  /** Called after every evaluation (the CLI logs it). */
  onEvaluation?: (evaluation: WatchEvaluation) => void;
  /** Stops the watch (SIGINT/SIGTERM). */
  signal?: AbortSignal;
  /** Wall clock, ms (injectable for tests). */
  now?: () => number;
  /** Waits until the given clock time or the signal (injectable for tests). */
  sleepUntil?: (atMs: number, signal?: AbortSignal) => Promise<void>;
}

/** Runs the watch until it breaches, loses its source, reaches its maximum duration or is stopped. */
export async function watchMetrics(options: WatchOptions): Promise<WatchEnd> {
  const now = options.now ?? Date.now;
  const sleepUntil = options.sleepUntil ?? defaultSleepUntil;
  const keep = historyNeeded(options.thresholds.definitions, options.intervalMs);
  const startedAtMs = now();
  const history: IntervalValues[] = [];
  let previous: SampleSet | undefined;
  let evaluations = 0;
  let breachStreak = 0;
  let unreachableStreak = 0;
  let last: WatchEvaluation | null = null;

  for (let tick = 0; ; tick++) {
    if (tick > 0) await sleepUntil(startedAtMs + tick * options.intervalMs, options.signal);
    if (options.signal?.aborted) break;
    const atMs = now();
    let reading: SampleSet | undefined;
    let error: string | undefined;
    try {
      reading = { atMs, samples: await options.source.read() };
    } catch (caught) {
      error = caught instanceof Error ? caught.message : String(caught);
    }
    if (tick > 0 || error !== undefined) {
      evaluations++;
      if (reading === undefined) {
        unreachableStreak++;
        breachStreak = 0;
        // The next good reading starts a fresh baseline: a delta across the gap would blur it.
        previous = undefined;
        last = { index: evaluations, at: new Date(atMs).toISOString(), status: 'unreachable', breachStreak, unreachableStreak, verdict: null, values: null, error: error ?? 'no reading' };
        options.onEvaluation?.(last);
        if (unreachableStreak >= options.failureLimit) return { outcome: 'source-unreachable', evaluations, last, error: last.error ?? 'unreachable' };
      } else if (previous === undefined) {
        unreachableStreak = 0;
      } else {
        unreachableStreak = 0;
        const values = intervalValues(previous, reading, options.mapping);
        history.push(values);
        if (history.length > keep) history.splice(0, history.length - keep);
        const verdict = evaluateWatch(history, options.thresholds.definitions, {
          intervalMs: options.intervalMs,
          source: options.source.description,
          thresholdsSource: options.thresholds.source,
          now: () => new Date(atMs),
        });
        breachStreak = verdict.status === 'fail' ? breachStreak + 1 : 0;
        last = { index: evaluations, at: new Date(atMs).toISOString(), status: verdict.status, breachStreak, unreachableStreak, verdict, values };
        options.onEvaluation?.(last);
        if (breachStreak >= options.failureLimit) return { outcome: 'breached', evaluations, last, verdict, detectedAtMs: atMs };
      }
    }
    if (reading !== undefined) previous = reading;
    // Stop when the next tick would fall past the maximum (half an interval of slack for timer drift).
    if (options.maxDurationMs !== null && now() - startedAtMs + options.intervalMs > options.maxDurationMs + options.intervalMs / 2) break;
  }
  return last?.status === 'pass' ? { outcome: 'healthy', evaluations, last } : { outcome: 'inconclusive', evaluations, last };
}

function defaultSleepUntil(atMs: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const delay = Math.max(0, atMs - Date.now());
    const timer = setTimeout(done, delay);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
