/**
 * The step engine. A phase (and a rollback) is a list of steps; each step answers "already done?"
 * (check), knows how to do itself (apply) and can say what it would change (describe). Running a
 * list is, for each step, check → apply → record, with every event in the journal and the state
 * written after each step, so an interrupted run resumes where it stopped. Callers run
 * {@link planSteps} first as a pre-flight: bad input stops the run before anything changed.
 */
import { WsmigError, isWsmigError, messageOf } from '../lib/errors.js';
import type { MigrationContext } from './context.js';
import { killPointReached } from './kill-point.js';

export interface StepCheck {
  done: boolean;
  /** What was found, for people: "WS_ENDPOINT already set in .env". */
  detail: string;
}

export interface Step {
  /** Stable id, `<phase>.<name>`: journal, state and kill points use it. */
  id: string;
  title: string;
  /** Repository paths (relative) the step may change: an interrupted step's leftovers there do not count as a dirty tree on resume. */
  paths?: (context: MigrationContext) => string[];
  /** What apply would change, one line each (`migrate plan` and `--dry-run` print these). */
  describe: (context: MigrationContext) => Promise<string[]> | string[];
  /** Whether the step's effect is already in place. Reads only; throws on input it cannot work with. */
  check: (context: MigrationContext) => Promise<StepCheck>;
  /** Does the step; returns what it did, for people. */
  apply: (context: StepRunContext) => Promise<string>;
}

/** What apply gets beyond the context. */
export interface StepRunContext extends MigrationContext {
  /** Marks a point inside a step (journaled); see kill-point.ts. */
  checkpoint: (label: string) => Promise<void>;
  /**
   * Records, before changing them, repository paths the step is about to change that its `paths`
   * could not name in advance: if the run is interrupted, the rerun accepts them as this step's
   * unfinished work (not a dirty tree) and commits them. Returns every path claimed by the
   * interrupted and the current run.
   */
  claimPaths: (paths: readonly string[]) => Promise<string[]>;
}

export interface StepOutcome {
  id: string;
  title: string;
  status: 'done' | 'skipped' | 'failed' | 'would-apply' | 'not-reached';
  detail: string;
  /** For dry runs and plans: what apply would change. */
  changes?: string[];
  durationMs: number;
}

export interface RunStepsOptions {
  /** Journal `command` and state key: the phase name, or `rollback`. */
  command: string;
  dryRun: boolean;
  /** Called after each step's outcome is recorded (state updates beyond the step record). */
  onStepDone?: (step: Step, outcome: StepOutcome) => Promise<void>;
  /** Keep going after a failed step (rollback does: every step it can do is worth doing). */
  continueOnFailure?: boolean;
}

export interface RunStepsResult {
  outcomes: StepOutcome[];
  /** The first failure, when a step failed. */
  error?: WsmigError;
}

/**
 * Checks every step without changing anything: the pre-flight (and, for `plan`/`--dry-run`, the
 * whole run). A step whose check throws stops everything: its input is wrong.
 */
export async function planSteps(context: MigrationContext, steps: readonly Step[]): Promise<StepOutcome[]> {
  const outcomes: StepOutcome[] = [];
  for (const step of steps) {
    const started = Date.now();
    const check = await step.check(context);
    outcomes.push({
      id: step.id,
      title: step.title,
      status: check.done ? 'skipped' : 'would-apply',
      detail: check.detail,
      changes: check.done ? [] : await step.describe(context),
      durationMs: Date.now() - started,
    });
  }
  return outcomes;
}

/** Runs steps: check → apply → record each, journaled. */
export async function runSteps(context: MigrationContext, steps: readonly Step[], options: RunStepsOptions): Promise<RunStepsResult> {
  if (options.dryRun) return { outcomes: await planSteps(context, steps) };
  const outcomes: StepOutcome[] = [];
  let firstError: WsmigError | undefined;
  const runContext: StepRunContext = {
    ...context,
    checkpoint: async (label) => {
      await context.journal.append({ runId: context.runId, command: options.command, event: 'step-checkpoint', step: currentStep, detail: label });
      killPointReached(`${currentStep}:${label}`);
    },
    claimPaths: async (paths) => {
      const state = await context.state.update((draft) => {
        if (draft.inProgress) draft.inProgress.paths = [...new Set([...draft.inProgress.paths, ...paths])];
      });
      return state.inProgress?.paths ?? [...paths];
    },
  };
  let currentStep = '';
  for (const step of steps) {
    if (firstError && !options.continueOnFailure) {
      outcomes.push({ id: step.id, title: step.title, status: 'not-reached', detail: 'not run: an earlier step failed', durationMs: 0 });
      continue;
    }
    currentStep = step.id;
    const started = Date.now();
    let outcome: StepOutcome;
    try {
      const check = await step.check(context);
      if (check.done) {
        outcome = { id: step.id, title: step.title, status: 'skipped', detail: check.detail, durationMs: Date.now() - started };
        await context.journal.append({ runId: context.runId, command: options.command, event: 'step-skip', step: step.id, detail: check.detail });
        context.progress({ kind: 'step-skip', step: step.id, title: step.title, message: check.detail });
      } else {
        context.progress({ kind: 'step-start', step: step.id, title: step.title, message: step.title });
        await context.journal.append({ runId: context.runId, command: options.command, event: 'step-start', step: step.id });
        await context.state.update((state) => {
          if (state.inProgress) state.inProgress.step = step.id;
        });
        const detail = await step.apply(runContext);
        // The worst moment to be killed: the work is done but not recorded. A rerun's check must see it.
        await runContext.checkpoint('after-apply');
        outcome = { id: step.id, title: step.title, status: 'done', detail, durationMs: Date.now() - started };
        await context.journal.append({ runId: context.runId, command: options.command, event: 'step-done', step: step.id, detail });
        context.progress({ kind: 'step-done', step: step.id, title: step.title, message: detail });
      }
    } catch (error) {
      const wrapped = isWsmigError(error) ? error : new WsmigError('STEP_FAILED', `${step.title} failed: ${messageOf(error)}`, { cause: error });
      firstError ??= wrapped;
      outcome = { id: step.id, title: step.title, status: 'failed', detail: wrapped.message, durationMs: Date.now() - started };
      await context.journal.append({ runId: context.runId, command: options.command, event: 'step-fail', step: step.id, detail: wrapped.message, data: { code: wrapped.code } });
      context.progress({ kind: 'step-fail', step: step.id, title: step.title, message: wrapped.message });
    }
    outcomes.push(outcome);
    await options.onStepDone?.(step, outcome);
  }
  return firstError ? { outcomes, error: firstError } : { outcomes };
}
