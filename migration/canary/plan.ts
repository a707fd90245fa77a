/**
 * A flag canary's plan: the percentages the migrate phase raises `USE_NEW_WS_SYNC` through, how long
 * each is held, and the analysis (watch's thresholds, interval and failure limit) that gates each
 * step. From `--canary 5,25,50,100 --step 30m`, else the config's `rollout`, else the canary in
 * progress (a rerun resumes it with the plan it started with).
 */
import { formatDurationMs, parseDurationMs } from '../../lib/duration.js';
import { UsageError } from '../../lib/errors.js';
import { canarySteps } from '../config.js';
import { inRepo, type MigrationContext } from '../context.js';
import type { CanaryRecord } from '../state.js';
import { defaultWatchThresholdsFile } from '../watch/run.js';

export interface CanaryPlan {
  steps: number[];
  stepMs: number;
  intervalMs: number;
  failureLimit: number;
  /** The thresholds file (absolute). */
  thresholds: string;
}

/** What the command line asked for (`--canary`, `--step`); both optional. */
export interface CanaryRequest {
  steps?: number[];
  stepMs?: number;
}

/** The shortest step: a step must hold long enough for a baseline reading and two evaluations. */
export function minimumStepMs(intervalMs: number): number {
  return intervalMs * 3;
}

/** Parses `--canary 5,25,50,100`. */
export function parseCanarySteps(text: string): number[] {
  const parts = text.split(',').map((part) => part.trim().replace(/%$/, ''));
  const numbers = parts.map((part) => (/^\d+$/.test(part) ? Number(part) : Number.NaN));
  const parsed = canarySteps.safeParse(numbers);
  if (parts.some((part) => part === '') || numbers.some(Number.isNaN) || !parsed.success) {
    const why = parsed.success ? 'each step must be a whole percentage' : (parsed.error.issues[0]?.message ?? 'invalid');
    throw new UsageError('BAD_CANARY', `Invalid --canary "${text}": ${why}. Give rising whole percentages ending at 100, e.g. --canary 5,25,50,100.`);
  }
  return parsed.data;
}

/** Parses `--step 30m`. */
export function parseStepDuration(text: string): number {
  return parseDurationMs(text, '--step');
}

function samePlan(a: Pick<CanaryPlan, 'steps' | 'stepMs'>, b: Pick<CanaryPlan, 'steps' | 'stepMs'>): boolean {
  return a.stepMs === b.stepMs && a.steps.length === b.steps.length && a.steps.every((step, index) => step === b.steps[index]);
}

/** Whether a canary record is still to be finished (a rerun resumes it). */
export function canaryUnfinished(record: CanaryRecord | null): record is CanaryRecord {
  return record !== null && (record.status === 'running' || record.status === 'paused');
}

/**
 * The plan to run now, or null when the flag goes to 100 % at once. A canary in progress wins over
 * the config (its plan is in the state); asking on the command line for a different plan while one
 * is in progress is refused, since the steps already held were judged against the old one.
 */
export function resolveCanaryPlan(context: MigrationContext, request: CanaryRequest): CanaryPlan | null {
  const { rollout, watch } = context.config;
  const intervalMs = parseDurationMs(watch.interval, 'watch.interval');
  const thresholds = watch.thresholds ? inRepo(context, watch.thresholds) : defaultWatchThresholdsFile();
  const inProgress = context.state.get().canary;
  if (canaryUnfinished(inProgress)) {
    const asked = request.steps ?? (request.stepMs !== undefined ? inProgress.steps : undefined);
    if (asked !== undefined && !samePlan({ steps: asked, stepMs: request.stepMs ?? inProgress.stepMs }, inProgress)) {
      throw new UsageError(
        'CANARY_IN_PROGRESS',
        `A canary is in progress (${inProgress.steps.join(', ')} % with ${inProgress.stepMs} ms steps, at the ${inProgress.steps[inProgress.current] ?? '?'} % step): rerun \`wsmig migrate phase migrate\` without --canary/--step to resume it, or \`wsmig rollback --reason "…"\` to end it first.`,
      );
    }
    return { steps: inProgress.steps, stepMs: inProgress.stepMs, intervalMs: inProgress.intervalMs, failureLimit: inProgress.failureLimit, thresholds: inProgress.thresholds };
  }
  const steps = request.steps ?? rollout.steps;
  if (steps === null) {
    if (request.stepMs !== undefined) throw new UsageError('STEP_WITHOUT_CANARY', '--step needs a canary: add --canary 5,25,50,100 (or `rollout.steps` in wsmig.config.json).');
    return null;
  }
  const stepMs = request.stepMs ?? parseDurationMs(rollout.stepDuration, 'rollout.stepDuration');
  if (stepMs < minimumStepMs(intervalMs)) {
    throw new UsageError('STEP_TOO_SHORT', `A canary step of ${stepMs} ms is too short to analyse: with watch.interval ${watch.interval} a step needs at least ${minimumStepMs(intervalMs)} ms (a baseline reading and two evaluations). Lengthen --step or shorten watch.interval.`);
  }
  return { steps, stepMs, intervalMs, failureLimit: watch.failureLimit, thresholds };
}

/** The plan, one line per step, for `--dry-run`, `migrate plan` and the step's description. */
export function describeCanaryPlan(context: MigrationContext, plan: CanaryPlan): string[] {
  const name = context.config.flag.name;
  const lines = plan.steps.map(
    (percentage, index) =>
      `step ${index + 1}/${plan.steps.length}: set ${name}=${percentage === 100 ? 'true' : `${percentage}%`} (env files and live), hold ${formatDurationMs(plan.stepMs)} reading the metrics every ${formatDurationMs(plan.intervalMs)}: promote on pass, pause on inconclusive, roll back to 0 % and run the rollback after ${plan.failureLimit} breaching evaluations in a row`,
  );
  return [...lines, `thresholds: ${plan.thresholds} (on the WebSocket cohort; the SSE cohort shown beside it where the service measures both)`];
}
