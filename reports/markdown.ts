/** `report.md`: the run as a Markdown document a team can paste into a pull request or an incident. */
import { formatDurationMs } from '../lib/duration.js';
import type { Result } from '../scenarios/result/types.js';
import { metricLabel, observedText, runInfo, samplesText, valuesText, verdictLabel, verdictMeaning, windowText } from './describe.js';

/** Escapes text for a Markdown table cell (pipes, newlines, HTML and emphasis characters). */
export function markdownCell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c] as string).replace(/([*_`[\]])/g, '\\$1').replace(/\r?\n/g, ' ');
}

/** Renders the whole report as Markdown. */
export function renderMarkdown(result: Result): string {
  const cell = markdownCell;
  const out: string[] = [];
  const verdict = result.verdict;
  out.push(`# wsmig load report — ${cell(verdictLabel(verdict))}`, '', `**${cell(verdictLabel(verdict))}**: ${cell(verdictMeaning(verdict))}`, '');
  out.push('| run | |', '|---|---|');
  for (const [key, value] of runInfo(result)) out.push(`| ${cell(key)} | ${cell(value)} |`);

  if (verdict !== null) {
    out.push('', '## Thresholds', '', '| status | metric | threshold | observed | samples | window | reason |', '|---|---|---|---|---|---|---|');
    for (const t of verdict.thresholds) {
      out.push(`| ${t.status.toUpperCase()} | ${cell(t.metric)} | ${cell(t.expression)} | ${cell(observedText(t, result))} | ${t.samples.toLocaleString('en-US')} | ${cell(windowText(t))} | ${cell(t.reason)} |`);
    }
  }

  out.push('', '## Metrics', '', '| metric | type | values | samples |', '|---|---|---|---|');
  for (const metric of result.metrics) out.push(`| ${cell(metricLabel(metric))} | ${metric.type} | ${cell(valuesText(metric))} | ${samplesText(metric)} |`);

  if (result.generator !== null) {
    const g = result.generator;
    out.push(
      '',
      '## Load generator',
      '',
      `${g.workers} worker(s); late sends ${g.lateSends}; dropped iterations ${g.droppedIterations}; send lag p99 ${g.sendLagP99Ms.toFixed(1)} ms; CPU ${g.cpuPercent.toFixed(0)}% of one core; max RSS ${(g.maxRssBytes / 1048576).toFixed(0)} MiB.`,
      '',
      g.problems.length === 0 ? 'Healthy: the generator kept up, so the measurements stand.' : `**Problems** (the generator fell behind; measurements are not trustworthy):\n\n${g.problems.map((p) => `- ${cell(p)}`).join('\n')}`,
    );
  }
  if (result.warnings.length > 0) out.push('', '## Warnings', '', ...result.warnings.map((w) => `- ${cell(w)}`));
  out.push('', '## Scenarios', '');
  for (const scenario of result.scenarios) {
    out.push(`### ${cell(scenario.name)}`, '', `${scenario.engine}, from ${formatDurationMs(scenario.startOffsetMs)} for ${formatDurationMs(scenario.durationMs)}.`, '', '```json', JSON.stringify(scenario.options, null, 2).replace(/```/g, '` ` `'), '```', '');
  }
  out.push('Charts (latency percentiles, connections and reconnects, server resources) are in `report.html`; the data is in `result.json` (schema `wsmig.result/v1`, see docs/result-schema.md).', '');
  return out.join('\n');
}
