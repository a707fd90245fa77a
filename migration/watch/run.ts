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
import { serviceMetricsUrls, type MigrationConfig } from '../config.js';
import { promqlOf, type MetricMapping } from './mapping.js';
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
  /** Threshold metrics read from the service's own series (`watch.metrics`). */
  mapping?: MetricMapping;
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
export function sourceOf(options: Pick<RunWatchOptions, 'metricsUrls' | 'prometheusUrl' | 'prometheusSelector' | 'credentials' | 'mapping'>): MetricsSource {
  const metricsUrls = options.metricsUrls ?? [];
  const mapping = options.mapping ?? {};
  if (metricsUrls.length > 0 && options.prometheusUrl) throw new UsageError('WATCH_TWO_SOURCES', 'Give either --metrics URL or --prometheus URL, not both.');
  if (options.prometheusUrl) return prometheusSource(options.prometheusUrl, options.prometheusSelector, mapping);
  const promql = promqlOf(mapping).map(([metric]) => metric);
  if (promql.length > 0) {
    throw new UsageError('PROMQL_NEEDS_PROMETHEUS', `watch.metrics maps ${promql.join(', ')} to PromQL, which only a Prometheus server evaluates: give --prometheus URL (or watch.prometheus in wsmig.config.json), or map ${promql.length === 1 ? 'it' : 'them'} to a histogram, counter or gauge of the service's /metrics.`);
  }
  if (metricsUrls.length > 0) return metricsEndpointsSource(metricsUrls, options.credentials);
  throw new UsageError('WATCH_NO_SOURCE', 'Say what to watch: --metrics http://host:port/metrics (the service itself) or --prometheus http://host:9090 (a Prometheus server scraping it).');
}

/** The source a repository's config says (watch.prometheus, else the service's /metrics, each instance's). */
export function configuredSource(config: MigrationConfig, credentials: ServiceCredentials): MetricsSource {
  const { prometheus, metrics } = config.watch;
  return sourceOf(prometheus ? { prometheusUrl: prometheus.url, ...(prometheus.selector ? { prometheusSelector: prometheus.selector } : {}), mapping: metrics } : { metricsUrls: serviceMetricsUrls(config), credentials, mapping: metrics });
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
    ...(options.mapping ? { mapping: options.mapping } : {}),
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
