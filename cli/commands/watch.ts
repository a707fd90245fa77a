import type { Command } from 'commander';
import { parseDurationMs } from '../../lib/duration.js';
import { credentialFlags, integerFlag } from '../flags.js';
import { readFile } from 'node:fs/promises';
import { UsageError, isWsmigError, messageOf } from '../../lib/errors.js';
import { metricMappingSchema, type MetricMapping } from '../../migration/watch/mapping.js';
import { createLogger } from '../../lib/logger.js';
import { findRepoRoot, loadConfig, serviceMetricsUrls, type LoadedConfig } from '../../migration/config.js';
import { inRepo, openContext } from '../../migration/context.js';
import { resolveServiceCredentials } from '../../migration/credentials.js';
import { ServiceCredentials } from '../../scenarios/credentials.js';
import { renderEvaluation, renderRollback } from '../../migration/render.js';
import { defaultWatchThresholdsFile, runWatch } from '../../migration/watch/run.js';
import { printProgress } from './migrate.js';

interface WatchOptions {
  metrics: string[];
  tokenEnv?: string;
  prometheus?: string;
  prometheusSelector?: string;
  metricMap?: string;
  thresholds?: string;
  interval?: string;
  failureLimit?: string;
  rollback?: boolean;
  maxDuration?: string;
  cwd?: string;
  json?: boolean;
}

function jsonLine(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** A --metrics value: an http(s) URL. */
function checkedUrl(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new UsageError('BAD_FLAG', `Invalid --metrics "${text}": use the full URL of a /metrics endpoint, e.g. http://10.0.0.11:3000/metrics.`);
  return text;
}

/** A `--metric-map` file: the `watch.metrics` mapping as JSON. */
async function readMetricMap(file: string): Promise<MetricMapping> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError('BAD_METRIC_MAP', `Cannot read --metric-map ${file}: ${messageOf(error)}. Give a JSON file such as {"ws_rpc_duration": {"histogram": "app_ws_reply_seconds"}}.`);
  }
  const parsed = metricMappingSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new UsageError('BAD_METRIC_MAP', `--metric-map ${file}: ${issue ? `${issue.path.join('.') || '(top)'}: ${issue.message}` : 'invalid'}. See docs/migration.md, "Watching a service that is not wsmig's".`);
  }
  return parsed.data;
}

/** The repository's config when there is one (watch works without it unless --rollback). */
async function optionalConfig(cwd: string | undefined, required: boolean): Promise<LoadedConfig | undefined> {
  try {
    return await loadConfig(await findRepoRoot(cwd ?? process.cwd()));
  } catch (error) {
    if (required || !isWsmigError(error) || error.code !== 'CONFIG_MISSING') throw error;
    return undefined;
  }
}

/** Registers `wsmig watch`. */
export function registerWatchCommand(program: Command): void {
  program
    .command('watch')
    .description('Evaluate the rollback thresholds against live metrics every interval; after --failure-limit breaches in a row, roll back (--rollback) or exit 99.')
    .option('--metrics <url>', "the service's /metrics (Prometheus text), read with its token (the config's service.tokenEnv, else WSMIG_TOKEN); repeat it for each instance of a cluster (read together); default: the config's service.metricsUrls, else its /metrics", (value: string, previous: string[]) => [...previous, value], [] as string[])
    .option('--token-env <name>', "environment variable holding the service's bearer token for its /metrics (default: the config's service.tokenEnv, else WSMIG_TOKEN)")
    .option('--prometheus <url>', 'a Prometheus server scraping the service (its HTTP API)')
    .option('--prometheus-selector <matchers>', 'label matchers narrowing the series, e.g. job="app"')
    .option('--metric-map <file>', "JSON file mapping threshold metrics to the service's own series or PromQL (default: the config's watch.metrics; docs/migration.md)")
    .option('--thresholds <file>', "thresholds file (default: the config's watch.thresholds, else wsmig's migration/watch-thresholds.json)")
    .option('--interval <duration>', "how often to read the metrics (default: the config's watch.interval, else 10s)")
    .option('--failure-limit <n>', "breaching evaluations in a row before acting (default: the config's watch.failureLimit, else 3)")
    .option('--rollback', 'run `wsmig rollback` on a breach instead of exiting 99')
    .option('--max-duration <duration>', 'end a healthy watch after this long (exit 0)')
    .option('--cwd <dir>', 'where to look for wsmig.config.json (default: the working directory)')
    .option('--json', 'print each evaluation as a JSON line on stdout')
    .action(async (options: WatchOptions) => {
      const loaded = await optionalConfig(options.cwd, options.rollback === true);
      const watchConfig = loaded?.config.watch;
      const intervalMs = parseDurationMs(options.interval ?? watchConfig?.interval ?? '10s', '--interval');
      if (intervalMs < 100) throw new UsageError('BAD_INTERVAL', `--interval ${options.interval ?? ''} is too short: use 100ms or more (Prometheus scrapes every few seconds).`);
      const failureLimit = integerFlag('--failure-limit', options.failureLimit, 1) ?? watchConfig?.failureLimit ?? 3;
      const maxDurationMs = options.maxDuration === undefined ? null : parseDurationMs(options.maxDuration, '--max-duration');
      const thresholdsFile = options.thresholds ?? (loaded && watchConfig?.thresholds ? inRepo(loaded, watchConfig.thresholds) : defaultWatchThresholdsFile());
      const configuredPrometheus = options.metrics.length === 0 && options.prometheus === undefined ? (watchConfig?.prometheus ?? undefined) : undefined;
      const prometheusUrl = options.prometheus ?? configuredPrometheus?.url;
      const prometheusSelector = options.prometheusSelector ?? configuredPrometheus?.selector;
      const metricsUrls = options.metrics.length > 0 ? options.metrics.map(checkedUrl) : prometheusUrl === undefined && loaded ? serviceMetricsUrls(loaded.config) : [];
      const mapping = options.metricMap !== undefined ? await readMetricMap(options.metricMap) : (watchConfig?.metrics ?? {});
      const logger = createLogger({ name: 'wsmig' });
      const rollbackContext = options.rollback ? await openContext({ logger, progress: printProgress, ...(options.cwd ? { cwd: options.cwd } : {}) }) : null;
      // The config's service.tokenEnv / tokenFile; without a config, WSMIG_TOKEN.
      const credentials =
        options.tokenEnv !== undefined
          ? credentialFlags({ tokenEnv: options.tokenEnv })
          : (rollbackContext?.credentials ?? (loaded ? await resolveServiceCredentials(loaded.config, loaded.root) : ServiceCredentials.fromEnv(process.env)));

      const stop = new AbortController();
      const onSignal = (): void => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        const result = await runWatch({
          metricsUrls,
          ...(prometheusUrl === undefined ? {} : { prometheusUrl }),
          ...(prometheusSelector === undefined ? {} : { prometheusSelector }),
          credentials,
          mapping,
          thresholdsFile,
          intervalMs,
          failureLimit,
          maxDurationMs,
          rollbackContext,
          signal: stop.signal,
          onEvaluation: (evaluation) => {
            process.stderr.write(`${renderEvaluation(evaluation, failureLimit)}\n`);
            if (options.json) jsonLine({ event: 'evaluation', ...evaluation });
          },
          onNotice: (text) => process.stderr.write(`» ${text}\n`),
        });
        const summary = {
          event: 'end',
          outcome: result.end.outcome,
          evaluations: result.end.evaluations,
          exitCode: result.exitCode,
          source: result.source,
          thresholds: result.thresholds,
          ...(result.end.outcome === 'source-unreachable' ? { error: result.end.error } : {}),
          ...(result.rollback ? { rollback: { verified: result.rollback.verified, incident: result.rollback.incident, restoreAndVerifyMs: result.rollback.restoreAndVerifyMs } } : {}),
        };
        if (options.json) jsonLine(summary);
        if (result.end.outcome === 'source-unreachable') {
          process.stderr.write(`wsmig: WATCH SOURCE UNREACHABLE for ${failureLimit} intervals in a row: ${result.end.error}. This is not a pass: nothing was evaluated, nothing was rolled back.\n`);
        } else if (result.end.outcome === 'breached' && !result.rollback) {
          process.stderr.write(`wsmig: thresholds breached ${failureLimit} times in a row; run \`wsmig rollback\` (or watch with --rollback).\n`);
        } else if (result.end.outcome === 'inconclusive') {
          process.stderr.write('wsmig: the watch ended without a passing evaluation (no data, or metrics it cannot observe): inconclusive, not healthy.\n');
        } else if (result.end.outcome === 'healthy') {
          process.stderr.write(`wsmig: healthy after ${result.end.evaluations} evaluations.\n`);
        }
        if (result.rollback && !options.json) process.stdout.write(`${renderRollback(result.rollback)}\n`);
        process.exitCode = result.exitCode;
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
    });
}
