/**
 * The incident report every rollback writes: `.wsmig/incidents/<time>.json` (for machines) and
 * `.md` (for people): what triggered it (the breached thresholds with their observed values, or the
 * reason given), each step taken, the verification, and how to resume the migration later.
 */
import path from 'node:path';
import { writeFileAtomic } from '../../lib/atomic-write.js';
import { markdownCell } from '../../reports/markdown.js';
import type { ThresholdOutcome, Verdict } from '../../scenarios/result/types.js';
import type { CanaryStepRecord } from '../state.js';
import type { StepOutcome } from '../steps.js';
import type { RestoreOutcome } from './restore.js';
import type { Verification } from './verify.js';

export const INCIDENT_SCHEMA = 'wsmig.incident/v1';

/** Why a rollback ran. */
export type RollbackTrigger =
  /** `wsmig rollback --reason TEXT` (or no reason: "manual"). */
  | { kind: 'manual'; reason: string }
  /** `wsmig rollback --from-report result.json` with a failed verdict. */
  | { kind: 'report'; file: string; reason: string; verdict: Verdict }
  /** `wsmig watch --rollback` after consecutive breaching evaluations. */
  | { kind: 'watch'; reason: string; source: string; verdict: Verdict; breachStreak: number; failureLimit: number; intervalMs: number }
  /** A canary step of `wsmig migrate phase migrate --canary` that breached (`steps`: every step held, the breached one last). */
  | { kind: 'canary'; reason: string; source: string; verdict: Verdict; breachStreak: number; failureLimit: number; intervalMs: number; percentage: number; canary: string; report: string | null; steps: CanaryStepRecord[] };

export interface IncidentReport {
  schema: typeof INCIDENT_SCHEMA;
  id: string;
  startedAt: string;
  endedAt: string;
  durationMs: number;
  trigger: RollbackTrigger;
  /** The thresholds that failed, when the trigger was a verdict. */
  breaches: ThresholdOutcome[];
  steps: StepOutcome[];
  restore: RestoreOutcome | null;
  verification: Verification | null;
  /** The system was verified healthy on SSE afterwards. */
  verified: boolean;
  /** Time to restore the code and verify, the service's own restart excluded (bench:rollback's figure). */
  restoreAndVerifyMs: number;
  serviceRestartMs: number;
  resume: string[];
}

/** The failed thresholds of a trigger's verdict. */
export function breachesOf(trigger: RollbackTrigger): ThresholdOutcome[] {
  return trigger.kind === 'manual' ? [] : trigger.verdict.thresholds.filter((outcome) => outcome.status === 'fail');
}

/** Writes both files; returns their paths. */
export async function writeIncident(dir: string, report: IncidentReport): Promise<{ json: string; markdown: string }> {
  const base = path.join(dir, report.id);
  await writeFileAtomic(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
  await writeFileAtomic(`${base}.md`, renderIncident(report));
  return { json: `${base}.json`, markdown: `${base}.md` };
}

/** The Markdown rendering of an incident. */
function renderIncident(report: IncidentReport): string {
  const lines: string[] = [];
  lines.push(`# Rollback ${report.startedAt}: ${report.verified ? 'verified on SSE' : 'NOT VERIFIED'}`, '');
  lines.push(`- Started: ${report.startedAt}, ended: ${report.endedAt} (${report.durationMs} ms)`);
  lines.push(`- Restore and verify: ${report.restoreAndVerifyMs} ms (service restart excluded: ${report.serviceRestartMs} ms)`);
  lines.push('', '## Trigger', '');
  const { trigger } = report;
  if (trigger.kind === 'manual') lines.push(`Manual rollback: ${trigger.reason}`);
  if (trigger.kind === 'report') lines.push(`Load-test report \`${trigger.file}\` with verdict **${trigger.verdict.status}**: ${trigger.reason}`);
  if (trigger.kind === 'watch') lines.push(`\`wsmig watch\` on ${trigger.source}: ${trigger.breachStreak} breaching evaluations in a row (failure limit ${trigger.failureLimit}, interval ${trigger.intervalMs} ms). ${trigger.reason}`);
  if (trigger.kind === 'canary') {
    lines.push(`The canary's ${trigger.percentage} % step: ${trigger.breachStreak} breaching evaluations in a row on ${trigger.source} (failure limit ${trigger.failureLimit}, interval ${trigger.intervalMs} ms). ${trigger.reason}`);
    lines.push('', '| step | outcome | evaluations | WS cohort (config answers) | SSE cohort (config answers) |', '|---|---|---|---|---|');
    for (const step of trigger.steps) lines.push(`| ${step.percentage} % | ${step.outcome} | ${step.evaluations} | ${step.summary?.configAnswers?.ws ?? '—'} | ${step.summary?.configAnswers?.sse ?? '—'} |`);
    if (trigger.report) lines.push('', `Canary report (every step's thresholds on both cohorts): \`${trigger.report}\``);
  }
  if (report.breaches.length > 0) {
    lines.push('', '| metric | threshold | observed | samples | why |', '|---|---|---|---|---|');
    for (const breach of report.breaches) lines.push(`| ${markdownCell(breach.metric)} | ${markdownCell(breach.expression)} | ${breach.observed ?? '—'} | ${breach.samples} | ${markdownCell(breach.reason)} |`);
  }
  lines.push('', '## Steps taken', '', '| step | status | time | detail |', '|---|---|---|---|');
  for (const step of report.steps) lines.push(`| ${markdownCell(step.title)} | ${step.status} | ${step.durationMs} ms | ${markdownCell(step.detail)} |`);
  if (report.restore) {
    lines.push('', '## Code restored', '', report.restore.detail);
    if (report.restore.commit) lines.push('', `Rollback commit: \`${report.restore.commit}\``);
    for (const file of report.restore.legacyFiles) lines.push(`- \`${file.path}\`: ${file.identical ? 'byte-identical to before stabilize' : '**differs from before stabilize**'}`);
    if (report.restore.manual.length > 0) {
      lines.push('', 'Left for manual work:');
      for (const entry of report.restore.manual) lines.push(`- \`${entry.path}\`: ${entry.why}`);
    }
  }
  lines.push('', '## Verification', '');
  if (!report.verification) lines.push('Not run.');
  else for (const check of report.verification.checks) lines.push(`- ${check.ok ? 'OK' : 'FAILED'} ${check.name}: ${check.detail} (${check.durationMs} ms)`);
  lines.push('', '## Resuming the migration', '');
  for (const step of report.resume) lines.push(`1. ${step}`);
  lines.push('');
  return lines.join('\n');
}
