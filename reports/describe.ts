/** Words and short value summaries shared by the console, Markdown and HTML reports. */
import { formatDurationMs } from '../lib/duration.js';
import { ExitCode } from '../lib/errors.js';
import { formatCount, formatNumber, formatValue } from '../scenarios/result/format.js';
import type { MetricResult, Result, ThresholdOutcome, Verdict } from '../scenarios/result/types.js';

/** The exit code a verdict status maps to: 0 pass, 99 fail (as k6), 98 inconclusive. */
export function exitCodeOfStatus(status: Verdict['status']): ExitCode {
  return status === 'pass' ? ExitCode.ok : status === 'fail' ? ExitCode.thresholdsBreached : ExitCode.inconclusive;
}

/** `PASS`, `FAIL`, `INCONCLUSIVE`, or `NOT EVALUATED`. */
export function verdictLabel(verdict: Verdict | null): string {
  return verdict === null ? 'NOT EVALUATED' : verdict.status.toUpperCase();
}

/** One sentence for the banner: what the verdict means for the rollout. */
export function verdictMeaning(verdict: Verdict | null): string {
  if (verdict === null) return 'No thresholds were evaluated: evaluate them with --thresholds to get a verdict.';
  const failed = verdict.thresholds.filter((t) => t.status === 'fail').length;
  const inconclusive = verdict.thresholds.filter((t) => t.status === 'inconclusive').length;
  const total = verdict.thresholds.length;
  const aborted = verdict.abortedBy === undefined ? '' : ` The run was stopped early by ${verdict.abortedBy}.`;
  switch (verdict.status) {
    case 'pass':
      return `All ${total} thresholds passed (exit 0).${aborted}`;
    case 'fail':
      return `${failed} of ${total} thresholds breached (exit 99): do not roll out; the reasons below say what failed.${aborted}`;
    case 'inconclusive':
      return `${inconclusive} of ${total} thresholds could not be decided (exit 98): too little data is never a pass; the reasons below say what is missing.${aborted}`;
  }
}

/** The run's particulars, as `[label, value]` rows (labels in lower case): id, scenarios, engine, target, start, duration, thresholds, source. */
export function runInfo(result: Result): Array<[label: string, value: string]> {
  const verdict = result.verdict;
  const info: Array<[string, string]> = [
    ['run id', result.runId],
    ['scenarios', result.scenarios.map((s) => s.name).join(', ') || '—'],
    ['engine', `${result.engine} (${result.tool.name}${result.tool.version === null ? '' : ` ${result.tool.version}`})`],
    ['target', result.target.embedded ? `embedded reference server${result.target.url === null ? '' : ` (${result.target.url})`}` : (result.target.url ?? 'unknown')],
    ['started', result.startedAt],
    ['duration', formatDurationMs(result.durationMs)],
    ['thresholds', verdict?.thresholdsSource ?? (verdict === null ? 'not evaluated' : 'inline')],
  ];
  if (result.source !== null) info.push(['imported from', `${result.source.file} (${result.source.format})`]);
  return info;
}

/** `{scenario:latency}`, or an empty string for the aggregate. */
function tagsText(tags: Record<string, string>): string {
  const entries = Object.entries(tags);
  return entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}:${v}`).join(',')}}`;
}

/** `ws_rpc_duration{scenario:latency}`. */
export function metricLabel(metric: MetricResult): string {
  return `${metric.name}${tagsText(metric.tags)}`;
}

/** The observed value of a threshold in its metric's unit, or `—`. */
export function observedText(outcome: ThresholdOutcome, result: Result): string {
  if (outcome.observed === null) return '—';
  const name = outcome.metric.split('{')[0];
  const unit = result.metrics.find((m) => m.name === name)?.unit ?? 'none';
  return formatValue(outcome.observed, unit);
}

/** `10s × 3 (2 of 6 failed)` for a windowed threshold, or `whole run`. */
export function windowText(outcome: ThresholdOutcome): string {
  if (outcome.window === null) return 'whole run';
  const { sizeMs, consecutive, windows, failedWindows } = outcome.window;
  return `${formatNumber(sizeMs / 1000)}s × ${consecutive} (${failedWindows} of ${windows} failed)`;
}

/** A one-line summary of a metric's values: `med 3.1ms · p95 8ms · p99 12.4ms · max 40ms`. */
export function valuesText(metric: MetricResult): string {
  const values = metric.values as unknown as Record<string, number | undefined>;
  const v = (key: string) => {
    const value = values[key];
    return value === undefined ? undefined : formatValue(value, metric.unit);
  };
  switch (metric.type) {
    case 'trend':
      return [['med', v('med')], ['p95', v('p(95)')], ['p99', v('p(99)')], ['max', v('max')]]
        .filter(([, text]) => text !== undefined)
        .map(([label, text]) => `${label} ${text}`)
        .join(' · ');
    case 'counter':
      return `${formatValue(values['count'] ?? 0, metric.unit)} (${formatNumber(values['rate'] ?? 0)}/s)`;
    case 'rate': {
      const passes = values['passes'] ?? 0;
      const total = passes + (values['fails'] ?? 0);
      return `${formatNumber((values['rate'] ?? 0) * 100)}% (${formatCount(passes)} of ${formatCount(total)})`;
    }
    case 'gauge':
      return `${v('value') ?? '—'} (min ${v('min') ?? '—'}, max ${v('max') ?? '—'})`;
  }
}

/** Sample count for people: `18,233`, or `unknown` for imports that did not say. */
export function samplesText(metric: Pick<MetricResult, 'samples' | 'samplesUnknown'>): string {
  return metric.samplesUnknown ? 'unknown' : formatCount(metric.samples);
}
