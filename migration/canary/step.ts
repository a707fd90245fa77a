/**
 * The migrate phase's flag step as a canary (Argo Rollouts' steps with analysis, for a feature flag):
 * raise `USE_NEW_WS_SYNC` to each percentage of the plan in turn, hold it while watch's thresholds
 * are evaluated on the live metrics, then promote (pass), pause (inconclusive) or roll back
 * (breach). Every step is journaled and kept in the state, so a run that dies mid-step is resumed
 * by the next `wsmig migrate phase migrate`, holding until the step's planned end.
 *
 * A breach ends this step with `CANARY_BREACHED`; the phase runner then runs the rollback (flag to
 * 0 %, legacy code, verification, incident report) under the lock it already holds.
 */
import { formatDurationMs } from '../../lib/duration.js';
import { ExitCode, WsmigError } from '../../lib/errors.js';
import { formatFlagValue } from '../../lib/flag-rollout.js';
import { readThresholdsFile } from '../../scenarios/thresholds/index.js';
import { relativeToRepo, type MigrationContext } from '../context.js';
import { describeFlip, flipFlag, liveFlagState, setFlagPercentage } from '../flag.js';
import { fileNameTime } from '../paths.js';
import type { RollbackTrigger } from '../rollback/incident.js';
import { restartManagedService } from '../service-control.js';
import type { CanaryRecord, CanaryStepRecord } from '../state.js';
import type { StepRunContext } from '../steps.js';
import { configuredSource } from '../watch/run.js';
import { holdStep, reasonsOf, summarizeStep } from './analysis.js';
import { canaryUnfinished, minimumStepMs, type CanaryPlan } from './plan.js';
import { writeCanaryReport } from './report.js';

/** The error a breached step ends with; `trigger` is the rollback's. */
export const CANARY_BREACHED = 'CANARY_BREACHED';

/** The trigger a breached canary step hands to the rollback. */
export function canaryTriggerOf(error: WsmigError): RollbackTrigger | undefined {
  return error.code === CANARY_BREACHED ? (error.details?.['trigger'] as RollbackTrigger | undefined) : undefined;
}

/** Saves the canary record (the state is the one writer's: the phase holds the lock). */
async function saveCanary(context: MigrationContext, canary: CanaryRecord): Promise<void> {
  await context.state.update((state) => {
    state.canary = structuredClone(canary);
  });
}

/** Rewrites the canary's report and records where it is. */
export async function writeReportOf(context: MigrationContext, canary: CanaryRecord, incident: string | null): Promise<string> {
  const files = await writeCanaryReport(context.paths.reports, { schema: 'wsmig.canary/v1', flag: context.config.flag.name, canary, incident, writtenAt: context.clock().toISOString() });
  canary.report = relativeToRepo(context, files.json);
  return canary.report;
}

/** Raises the flag to a step's percentage, in the files and live; a service that cannot follow live is restarted when wsmig manages it. */
async function raiseFlag(context: MigrationContext, percentage: number): Promise<string> {
  const name = context.config.flag.name;
  // 100 % is the full rollout: flipFlag also turns a hard-coded features default on (and commits it).
  const report = percentage === 100 ? await flipFlag(context, true) : await setFlagPercentage(context, percentage);
  const detail = percentage === 100 ? describeFlip(report, name) : `${name}=${formatFlagValue(percentage)}: ${report.live.detail}`;
  if (report.live.applied) return detail;
  if (context.state.get().service !== null) {
    await restartManagedService(context);
    const live = await liveFlagState(context);
    if (live?.percentage === percentage) return `${detail}; restarted the service wsmig manages to pick the value up`;
  }
  throw new WsmigError(
    'CANARY_FLAG_NOT_LIVE',
    `The service did not take ${name}=${formatFlagValue(percentage)} live (${report.live.detail}), so the canary cannot measure its cohort. The env files say ${formatFlagValue(percentage)}: restart the service so that it reads them, then rerun \`wsmig migrate phase migrate\` to resume the canary.`,
  );
}

function newCanary(context: MigrationContext, plan: CanaryPlan): CanaryRecord {
  const now = context.clock();
  return {
    id: fileNameTime(now),
    steps: plan.steps,
    stepMs: plan.stepMs,
    intervalMs: plan.intervalMs,
    failureLimit: plan.failureLimit,
    thresholds: plan.thresholds,
    startedAt: now.toISOString(),
    status: 'running',
    current: 0,
    history: [],
    report: null,
  };
}

/** Whether the canary ran to its end and the flag is on everywhere. */
export function canaryDone(canary: CanaryRecord | null): boolean {
  return canary !== null && canary.status === 'done';
}

/** Runs (or resumes) the canary; returns what it did. Throws on a pause or a breach. */
export async function runCanary(context: StepRunContext, plan: CanaryPlan): Promise<string> {
  const stored = context.state.get().canary;
  const canary: CanaryRecord = canaryUnfinished(stored) ? structuredClone(stored) : newCanary(context, plan);
  const resumedRun = canaryUnfinished(stored);
  canary.status = 'running';
  await saveCanary(context, canary);
  if (context.state.get().flagOnAt === null) {
    await context.state.update((state) => {
      state.flagOnAt = context.clock().toISOString();
    });
  }
  await context.journal.append({ runId: context.runId, command: 'migrate', event: 'note', step: 'migrate.flag-on', detail: `${resumedRun ? 'resuming' : 'starting'} the canary ${canary.steps.join(' → ')} %`, data: { canary: canary.id, steps: canary.steps, stepMs: canary.stepMs } });

  const thresholds = await readThresholdsFile(plan.thresholds);
  const source = configuredSource(context.config, context.credentials);
  const name = context.config.flag.name;

  for (let index = canary.current; index < canary.steps.length; index++) {
    const percentage = canary.steps[index] as number;
    canary.current = index;
    const previous = canary.history.at(-1);
    let step: CanaryStepRecord;
    const now = context.clock();
    if (previous && previous.percentage === percentage && previous.outcome === 'holding') {
      // The run holding this step died: hold on until the step's planned end.
      step = previous;
      step.resumedAt.push(now.toISOString());
      context.progress({ kind: 'note', message: `resuming the ${percentage} % step (started ${step.startedAt}), held until ${step.endsAt}` });
    } else {
      step = { percentage, startedAt: now.toISOString(), endsAt: new Date(now.getTime() + canary.stepMs).toISOString(), outcome: 'holding', evaluations: 0, last: null, summary: null, resumedAt: [] };
      canary.history.push(step);
    }
    await saveCanary(context, canary);
    const raised = await raiseFlag(context, percentage);
    await context.journal.append({ runId: context.runId, command: 'migrate', event: 'note', step: 'migrate.flag-on', detail: `canary step ${index + 1}/${canary.steps.length}: ${raised}; holding until ${step.endsAt}`, data: { canary: canary.id, percentage } });
    context.progress({ kind: 'note', message: `canary step ${index + 1}/${canary.steps.length}: ${name}=${formatFlagValue(percentage)}, holding ${formatDurationMs(Math.max(0, Date.parse(step.endsAt) - Date.now()))}` });
    await context.checkpoint(`canary-${percentage}`);

    const durationMs = Math.max(Date.parse(step.endsAt) - context.clock().getTime(), minimumStepMs(canary.intervalMs));
    const hold = await holdStep({
      source,
      definitions: thresholds.definitions,
      thresholdsSource: thresholds.source,
      intervalMs: canary.intervalMs,
      failureLimit: canary.failureLimit,
      durationMs,
      mapping: context.config.watch.metrics,
      onEvaluation: async (evaluation) => {
        step.evaluations += 1;
        step.last = { status: evaluation.status, at: evaluation.at, reasons: evaluation.status === 'pass' ? [] : reasonsOf(evaluation) };
        context.progress({ kind: evaluation.status === 'fail' || evaluation.status === 'unreachable' ? 'warning' : 'note', message: `${percentage} % step, evaluation ${step.evaluations}: ${evaluation.status}${evaluation.status === 'fail' ? ` (${evaluation.breachStreak}/${canary.failureLimit} in a row)` : ''}${step.last.reasons.length > 0 ? `: ${step.last.reasons.join('; ')}` : ''}` });
        await saveCanary(context, canary);
      },
    });
    step.summary = summarizeStep(hold.intervals, thresholds.definitions, canary.intervalMs, source.description);
    step.endedAt = context.clock().toISOString();
    const { end } = hold;

    if (end.outcome === 'healthy') {
      step.outcome = 'passed';
      canary.current = index + 1;
      await writeReportOf(context, canary, null);
      await saveCanary(context, canary);
      await context.journal.append({ runId: context.runId, command: 'migrate', event: 'note', step: 'migrate.flag-on', detail: `canary step ${percentage} % passed after ${step.evaluations} evaluations: ${index + 1 < canary.steps.length ? `promoting to ${canary.steps[index + 1]} %` : 'the rollout is complete'}`, data: { canary: canary.id, percentage, outcome: 'passed' } });
      continue;
    }

    if (end.outcome === 'breached') {
      step.outcome = 'breached';
      await writeReportOf(context, canary, null);
      await saveCanary(context, canary);
      const failed = end.verdict.thresholds.filter((outcome) => outcome.status === 'fail');
      const reason = `canary step ${percentage} %: ${failed.map((outcome) => `${outcome.metric} ${outcome.expression}: ${outcome.reason}`).join('; ')}`;
      await context.journal.append({ runId: context.runId, command: 'migrate', event: 'note', step: 'migrate.flag-on', detail: `${reason}; rolling back`, data: { canary: canary.id, percentage, outcome: 'breached' } });
      const trigger: RollbackTrigger = {
        kind: 'canary',
        reason,
        source: source.description,
        verdict: end.verdict,
        breachStreak: end.last.breachStreak,
        failureLimit: canary.failureLimit,
        intervalMs: canary.intervalMs,
        percentage,
        canary: canary.id,
        report: canary.report,
        steps: structuredClone(canary.history),
      };
      throw new WsmigError(CANARY_BREACHED, `The canary breached its thresholds at the ${percentage} % step (${end.last.breachStreak} evaluations in a row): ${failed.map((outcome) => `${outcome.metric} ${outcome.expression}`).join(', ')}. Rolling back.`, { exitCode: ExitCode.thresholdsBreached, details: { trigger } });
    }

    // Inconclusive, or the metrics could not be read: pause, as Argo Rollouts does.
    step.outcome = 'paused';
    canary.status = 'paused';
    await writeReportOf(context, canary, null);
    await saveCanary(context, canary);
    const why = end.outcome === 'source-unreachable' ? `the metrics could not be read (${end.error})` : step.last && step.last.reasons.length > 0 ? step.last.reasons.join('; ') : 'no evaluation passed';
    await context.journal.append({ runId: context.runId, command: 'migrate', event: 'note', step: 'migrate.flag-on', detail: `canary step ${percentage} % paused: ${why}`, data: { canary: canary.id, percentage, outcome: 'paused' } });
    throw new WsmigError(
      'CANARY_PAUSED',
      `The canary paused at the ${percentage} % step: its analysis was inconclusive (${why}). ${name} stays at ${formatFlagValue(percentage)}. Rerun \`wsmig migrate phase migrate\` to hold the step again (e.g. once traffic reaches the WebSocket cohort), or \`wsmig rollback --reason "…"\` to go back to SSE. Report: ${canary.report ?? '—'}.`,
      { exitCode: ExitCode.inconclusive },
    );
  }

  canary.status = 'done';
  canary.endedAt = context.clock().toISOString();
  await writeReportOf(context, canary, null);
  await saveCanary(context, canary);
  const held = canary.history.filter((step) => step.outcome === 'passed').length;
  return `canary ${canary.steps.map((step) => `${step} %`).join(' → ')} promoted (${held} step${held === 1 ? '' : 's'} passed their analysis); ${name}=true. Report: ${canary.report ?? '—'}`;
}
