/** The summary table printed to the terminal after a run or an import. */
import { formatDurationMs } from '../lib/duration.js';
import type { Result, ThresholdOutcome } from '../scenarios/result/types.js';
import { metricLabel, observedText, samplesText, valuesText, verdictLabel, verdictMeaning, windowText } from './describe.js';

export interface ConsoleSummaryOptions {
  /** ANSI colours (for a TTY). Default false. */
  color?: boolean;
}

const ANSI = { red: '\u001b[31m', green: '\u001b[32m', yellow: '\u001b[33m', bold: '\u001b[1m', reset: '\u001b[0m' };

/**
 * A compact plain-text summary: the verdict, each threshold with its observed value and reason,
 * the key metrics (aggregates), generator health and warnings. Ends with a newline.
 */
export function renderConsoleSummary(result: Result, options: ConsoleSummaryOptions = {}): string {
  const paint = (color: keyof typeof ANSI, text: string) => (options.color ? `${ANSI[color]}${text}${ANSI.reset}` : text);
  const statusColor = (status: ThresholdOutcome['status']) => (status === 'pass' ? 'green' : status === 'fail' ? 'red' : 'yellow');
  const lines: string[] = [];
  const verdict = result.verdict;
  const scenarioNames = result.scenarios.map((s) => s.name).join(', ') || '—';
  lines.push(
    `${paint('bold', 'wsmig')} ${scenarioNames} · ${result.engine}${result.tool.name === 'wsmig' ? '' : ` (${result.tool.name})`} · ${formatDurationMs(result.durationMs)} · ${result.target.embedded ? 'embedded reference server' : (result.target.url ?? 'target unknown')}`,
  );
  const label = verdictLabel(verdict);
  lines.push(`verdict: ${verdict === null ? label : paint(statusColor(verdict.status), label)} — ${verdictMeaning(verdict)}`);

  if (verdict !== null && verdict.thresholds.length > 0) {
    lines.push('', 'thresholds');
    const rows = verdict.thresholds.map((t) => [t.status.toUpperCase(), t.metric, t.expression, observedText(t, result), windowText(t), t.reason]);
    for (const [i, row] of table(rows, ['status', 'metric', 'threshold', 'observed', 'window', 'reason']).entries()) {
      const outcome = i === 0 ? undefined : verdict.thresholds[i - 1];
      lines.push(`  ${outcome === undefined ? row : paint(statusColor(outcome.status), row)}`);
    }
  }

  // Aggregates, plus the sub-metrics of names that have no aggregate (some imports list only those).
  const hasAggregate = new Set(result.metrics.filter((m) => Object.keys(m.tags).length === 0).map((m) => m.name));
  const aggregates = result.metrics.filter((m) => Object.keys(m.tags).length === 0 || !hasAggregate.has(m.name));
  if (aggregates.length > 0) {
    lines.push('', 'metrics');
    for (const row of table(aggregates.map((m) => [metricLabel(m), valuesText(m), `n=${samplesText(m)}`]), ['metric', 'values', 'samples'])) lines.push(`  ${row}`);
  }

  const generator = result.generator;
  if (generator !== null) {
    const health = generator.problems.length === 0 ? 'healthy' : `PROBLEMS: ${generator.problems.join('; ')}`;
    lines.push(
      '',
      `generator: ${generator.workers} worker${generator.workers === 1 ? '' : 's'}, late sends ${generator.lateSends}, dropped iterations ${generator.droppedIterations}, send lag p99 ${generator.sendLagP99Ms.toFixed(1)}ms, CPU ${generator.cpuPercent.toFixed(0)}% — ${generator.problems.length === 0 ? health : paint('red', health)}`,
    );
  }
  if (result.warnings.length > 0) {
    lines.push('', 'warnings');
    for (const warning of result.warnings) lines.push(`  - ${paint('yellow', warning)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Left-aligned columns; the last column is not padded. */
function table(rows: string[][], header: string[]): string[] {
  const all = [header, ...rows];
  const widths = header.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column] ?? 0))).join('  '));
}
