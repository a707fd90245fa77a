/**
 * `wsmig watch` end to end: pick the metrics source, read the thresholds, watch, and on a breach
 * either roll back (`--rollback`) or report it. Decides the exit code:
 * 0 healthy at the end, 98 inconclusive or the source unreachable, 99 breached (rolled back and
 * verified, or not asked to roll back), 4 breached and the rollback could not be verified.
 */
import path from 'node:path';
import { ExitCode, UsageError } from '../../lib/errors.js';
import { PACKAGE_ROOT } from '../../lib/package-info.js';
import type { ServiceCredentials } from '../../scenarios/credentials.js';
import { readThresholdsFile, type ThresholdSet } from '../../scenarios/thresholds/index.js';
import type { MigrationContext } from '../context.js';
import { rollback, type RollbackResult } from '../rollback/rollback.js';
import { metricsEndpointsSource, prometheusSource, type MetricsSource } from './source.js';
import { watchMetrics, type WatchEnd, type WatchEvaluation } from './watch.js';

/** The thresholds watch uses when none are given: the server-observable rollback triggers. */
export function defaultWatchThresholdsFile(): string {
  return path.join(PACKAGE_ROOT, 'migration', 'watch-thresholds.json');
}

export interface RunWatchOptions {
  /** The service's `/metrics`: one, or one per instance (read together). */
  metricsUrls?: readonly string[];
  prometheusUrl?: string;
  prometheusSelector?: string;
  /** The service's credentials, sent with the `/metrics` scrapes (not to Prometheus). */
  credentials?: ServiceCredentials;
  thresholdsFile: string;
  intervalMs: number;
  failureLimit: number;
  maxDurationMs: number | null;
  /** Roll back on a breach: needs the repository (its context). */
  rollbackContext: MigrationContext | null;
  onEvaluation?: (evaluation: WatchEvaluation) => void;
  onNotice?: (text: string) => void;
  signal?: AbortSignal;
}

export interface RunWatchResult {
  end: WatchEnd;
  rollback: RollbackResult | null;
  exitCode: number;
  source: string;
  thresholds: string | null;
}

/** Builds the metrics source from the options. */
function sourceOf(options: Pick<RunWatchOptions, 'metricsUrls' | 'prometheusUrl' | 'prometheusSelector' | 'credentials'>): MetricsSource {
  const metricsUrls = options.metricsUrls ?? [];
  if (metricsUrls.length > 0 && options.prometheusUrl) throw new UsageError('WATCH_TWO_SOURCES', 'Give either --metrics URL or --prometheus URL, not both.');
  if (options.prometheusUrl) return prometheusSource(options.prometheusUrl, options.prometheusSelector);
  if (metricsUrls.length > 0) return metricsEndpointsSource(metricsUrls, options.credentials);
  throw new UsageError('WATCH_NO_SOURCE', 'Say what to watch: --metrics http://host:port/metrics (the service itself) or --prometheus http://host:9090 (a Prometheus server scraping it).');
}

/** Watches until the end, then acts; see the module comment for exit codes. */
export async function runWatch(options: RunWatchOptions): Promise<RunWatchResult> {
  const source = sourceOf(options);
  const thresholds: ThresholdSet = await readThresholdsFile(options.thresholdsFile);
  options.onNotice?.(`watching ${source.description} every ${options.intervalMs} ms against ${thresholds.source ?? 'inline thresholds'}; acting after ${options.failureLimit} breaching evaluations in a row${options.rollbackContext ? ' (rollback)' : ''}`);
  const end = await watchMetrics({
    source,
    thresholds,
    intervalMs: options.intervalMs,
    failureLimit: options.failureLimit,
    maxDurationMs: options.maxDurationMs,
    ...(options.onEvaluation ? { onEvaluation: options.onEvaluation } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const base = { source: source.description, thresholds: thresholds.source };
  if (end.outcome === 'healthy') return { ...base, end, rollback: null, exitCode: ExitCode.ok };
  if (end.outcome === 'inconclusive' || end.outcome === 'source-unreachable') return { ...base, end, rollback: null, exitCode: ExitCode.inconclusive };
  if (!options.rollbackContext) return { ...base, end, rollback: null, exitCode: ExitCode.thresholdsBreached };
  const failed = end.verdict.thresholds.filter((outcome) => outcome.status === 'fail');
  options.onNotice?.(`${end.last.breachStreak} breaching evaluations in a row: rolling back`);
  const result = await rollback(options.rollbackContext, {
    dryRun: false,
    trigger: {
      kind: 'watch',
      reason: failed.map((outcome) => `${outcome.metric} ${outcome.expression}: ${outcome.reason}`).join('; '),
      source: source.description,
      verdict: end.verdict,
      breachStreak: end.last.breachStreak,
      failureLimit: options.failureLimit,
      intervalMs: options.intervalMs,
    },
  });
  return { ...base, end, rollback: result, exitCode: result.verified ? ExitCode.thresholdsBreached : ExitCode.notVerified };
}
