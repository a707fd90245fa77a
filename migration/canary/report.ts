/**
 * The canary report: `.wsmig/reports/<canary id>-canary.{json,md,html}`, rewritten after every step,
 * so a promotion, a pause and a rollback each leave the whole story: every step with its cohorts'
 * sizes and each threshold on the WebSocket and SSE cohorts side by side.
 */
import path from 'node:path';
import { writeFileAtomic } from '../../lib/atomic-write.js';
import { formatDurationMs } from '../../lib/duration.js';
import { escapeHtml } from '../../reports/html.js';
import { markdownCell } from '../../reports/markdown.js';
import type { CanaryRecord, CanaryStepRecord, CohortOutcome } from '../state.js';

export const CANARY_REPORT_SCHEMA = 'wsmig.canary/v1';

export interface CanaryReport {
  schema: typeof CANARY_REPORT_SCHEMA;
  flag: string;
  canary: CanaryRecord;
  /** The incident report of the rollback that ended the canary, when one did. */
  incident: string | null;
  writtenAt: string;
}

/** Files of a canary's report (absolute), from its id. */
export function canaryReportFiles(reportsDir: string, id: string): { json: string; markdown: string; html: string } {
  const base = path.join(reportsDir, `${id}-canary`);
  return { json: `${base}.json`, markdown: `${base}.md`, html: `${base}.html` };
}

/** Writes the three files; returns their paths. */
export async function writeCanaryReport(reportsDir: string, report: CanaryReport): Promise<{ json: string; markdown: string; html: string }> {
  const files = canaryReportFiles(reportsDir, report.canary.id);
  await writeFileAtomic(files.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFileAtomic(files.markdown, renderCanaryMarkdown(report));
  await writeFileAtomic(files.html, renderCanaryHtml(report));
  return files;
}

const STATUS_TEXT: Record<CanaryRecord['status'], string> = {
  running: 'running',
  paused: 'PAUSED (inconclusive analysis)',
  'rolled-back': 'ROLLED BACK',
  done: 'promoted to 100 %',
};

const OUTCOME_TEXT: Record<CanaryStepRecord['outcome'], string> = {
  holding: 'holding',
  passed: 'passed: promoted',
  paused: 'inconclusive: paused',
  breached: 'breached: rolled back',
};

function outcomeCell(outcome: CohortOutcome | null): string {
  if (outcome === null) return 'not measured';
  const observed = outcome.observedText ?? (outcome.observed === null ? '—' : String(Math.round(outcome.observed * 1000) / 1000));
  return `${outcome.status} (${observed}, n=${outcome.samples})`;
}

function stepDuration(step: CanaryStepRecord): string {
  const end = step.endedAt ?? step.endsAt;
  return formatDurationMs(Date.parse(end) - Date.parse(step.startedAt));
}

/** One row of cohort figures per step, shared by both renderings. */
function cohortRow(step: CanaryStepRecord): string[] {
  const summary = step.summary;
  return [
    `${step.percentage} %`,
    OUTCOME_TEXT[step.outcome],
    `${step.startedAt} (${stepDuration(step)}${step.resumedAt.length > 0 ? `, resumed ${step.resumedAt.length}×` : ''})`,
    String(step.evaluations),
    summary?.configAnswers ? String(summary.configAnswers.ws) : '—',
    summary?.configAnswers ? String(summary.configAnswers.sse) : '—',
    summary?.wsConnectionsMax === null || summary === null ? '—' : String(summary.wsConnectionsMax),
    summary?.sseStreamsMax === null || summary === null ? '—' : String(summary.sseStreamsMax),
  ];
}

const COHORT_HEADERS = ['step', 'outcome', 'started (held)', 'evaluations', 'WS cohort (config answers)', 'SSE cohort (config answers)', 'WS connections (max)', 'SSE streams (max)'];

function renderCanaryMarkdown(report: CanaryReport): string {
  const { canary } = report;
  const lines: string[] = [];
  lines.push(`# Canary of ${report.flag}: ${STATUS_TEXT[canary.status]}`, '');
  lines.push(`- Plan: ${canary.steps.map((step) => `${step} %`).join(' → ')}, each held ${formatDurationMs(canary.stepMs)}, read every ${formatDurationMs(canary.intervalMs)}; roll back after ${canary.failureLimit} breaching evaluations in a row`);
  lines.push(`- Thresholds: \`${canary.thresholds}\``);
  lines.push(`- Started ${canary.startedAt}${canary.endedAt ? `, ended ${canary.endedAt}` : ''}`);
  if (report.incident) lines.push(`- Incident report: \`${report.incident}\``);
  lines.push('', '## Steps and cohorts', '', `| ${COHORT_HEADERS.join(' | ')} |`, `|${COHORT_HEADERS.map(() => '---').join('|')}|`);
  for (const step of canary.history) lines.push(`| ${cohortRow(step).map(markdownCell).join(' | ')} |`);
  for (const step of canary.history) {
    lines.push('', `## ${step.percentage} % step: ${OUTCOME_TEXT[step.outcome]}`, '');
    if (step.summary === null || step.summary.thresholds.length === 0) lines.push('No analysis recorded (the step did not complete an evaluation).');
    else {
      lines.push('| threshold | WebSocket cohort | SSE cohort |', '|---|---|---|');
      for (const threshold of step.summary.thresholds) lines.push(`| ${markdownCell(`${threshold.metric} ${threshold.expression}`)} | ${markdownCell(outcomeCell(threshold.ws))} | ${markdownCell(outcomeCell(threshold.sse))} |`);
    }
    if (step.last && step.last.reasons.length > 0) {
      lines.push('', `Last evaluation (${step.last.at}): ${step.last.status}`);
      for (const reason of step.last.reasons) lines.push(`- ${reason}`);
    }
  }
  lines.push('');
  return lines.join('\n');
}

function htmlTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const head = headers.map((header) => `<th>${escapeHtml(header)}</th>`).join('');
  const body = rows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** A bar per step: the WebSocket cohort's share of the `/api/config` answers against the step's percentage. */
function cohortBars(canary: CanaryRecord): string {
  const rows = canary.history.map((step) => {
    const answers = step.summary?.configAnswers;
    const total = answers ? answers.ws + answers.sse : 0;
    const share = answers && total > 0 ? (answers.ws / total) * 100 : null;
    const width = share === null ? 0 : Math.round(share * 3);
    const label = share === null ? 'no answers counted' : `${share.toFixed(1)} % of ${total} answers on WebSocket`;
    return `<div class="bar-row"><span class="bar-label">${step.percentage} %</span><span class="bar" style="width:${width}px"></span><span>${escapeHtml(label)}</span></div>`;
  });
  return rows.join('\n');
}

function renderCanaryHtml(report: CanaryReport): string {
  const { canary } = report;
  const sections = canary.history.map((step) => {
    const rows = (step.summary?.thresholds ?? []).map((threshold) => [`${threshold.metric} ${threshold.expression}`, outcomeCell(threshold.ws), outcomeCell(threshold.sse)]);
    const reasons = step.last && step.last.reasons.length > 0 ? `<p>Last evaluation (${escapeHtml(step.last.at)}): ${escapeHtml(step.last.status)}</p><ul>${step.last.reasons.map((reason) => `<li>${escapeHtml(reason)}</li>`).join('')}</ul>` : '';
    const table = rows.length > 0 ? htmlTable(['threshold', 'WebSocket cohort', 'SSE cohort'], rows) : '<p>No analysis recorded (the step did not complete an evaluation).</p>';
    return `<section class="step ${escapeHtml(step.outcome)}"><h2>${step.percentage} % step: ${escapeHtml(OUTCOME_TEXT[step.outcome])}</h2>${table}${reasons}</section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Canary of ${escapeHtml(report.flag)}: ${escapeHtml(STATUS_TEXT[canary.status])}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
.bar-row{display:flex;gap:.6em;align-items:center;margin:.2em 0}.bar-label{width:4em}.bar{display:inline-block;height:1em;background:#2b7bb9}
.step.breached h2{color:#b00}.step.paused h2{color:#a60}.step.passed h2{color:#161}
</style></head><body>
<h1>Canary of ${escapeHtml(report.flag)}: ${escapeHtml(STATUS_TEXT[canary.status])}</h1>
<p>Plan: ${escapeHtml(canary.steps.map((step) => `${step} %`).join(' → '))}, each held ${escapeHtml(formatDurationMs(canary.stepMs))}, read every ${escapeHtml(formatDurationMs(canary.intervalMs))}; roll back after ${canary.failureLimit} breaching evaluations in a row. Thresholds: <code>${escapeHtml(canary.thresholds)}</code>.</p>
${report.incident ? `<p>Incident report: <code>${escapeHtml(report.incident)}</code></p>` : ''}
<h2>Steps and cohorts</h2>
${htmlTable(COHORT_HEADERS, canary.history.map(cohortRow))}
<h3>WebSocket share of the flag answers</h3>
${cohortBars(canary)}
${sections.join('\n')}
</body></html>
`;
}
