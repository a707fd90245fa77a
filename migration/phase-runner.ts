/**
 * `wsmig migrate phase <name>` and `wsmig migrate plan <name>`: the order of phases, the gates
 * between them, the lock, the dirty-tree rule, and the state and journal around the steps.
 */
import { ExitCode, UsageError, WsmigError } from '../lib/errors.js';
import type { CanaryRequest } from './canary/plan.js';
import { canaryTriggerOf } from './canary/step.js';
import { endpoints, type MigrationContext } from './context.js';
import type { RollbackTrigger } from './rollback/incident.js';
import { rollback, type RollbackResult } from './rollback/rollback.js';
import { gateOut, previousPhase, type GateStatus } from './gates.js';
import { acquireLock } from './lock.js';
import { migrateSteps } from './phases/migrate.js';
import { prepareSteps } from './phases/prepare.js';
import { stabilizeSteps } from './phases/stabilize.js';
import { checkHealth } from './service.js';
import { PHASES, type PhaseName } from './state.js';
import { planSteps, runSteps, type Step, type StepOutcome } from './steps.js';
import { assertCleanTree } from './tree-check.js';

export interface PhaseOptions {
  dryRun: boolean;
  /** Go ahead over a dirty tree, and (with `reason`) through a closed gate. */
  force: boolean;
  reason?: string;
  /** prepare: start the service (false: `--no-start`). */
  start: boolean;
  /** migrate: raise the flag by canary steps (`--canary`, `--step`). */
  canary?: CanaryRequest;
}

export interface PhaseReport {
  phase: PhaseName;
  dryRun: boolean;
  status: 'done' | 'failed' | 'planned';
  outcomes: StepOutcome[];
  /** The gate into this phase (out of the previous one), as found before the run. */
  gateIn: GateStatus | null;
  /** Set when `--force` went through a closed gate. */
  forcedReason: string | null;
  /** The gate out of this phase after the run. */
  gateOut: GateStatus;
  /** What to do next, for people. */
  next: string;
  error?: { code: string; message: string; exitCode: number };
  /** The rollback a breached canary step ran. */
  rollback?: RollbackResult;
}

/** The steps of a phase (`force` defaults to false, as for plans). */
export function stepsOf(phase: PhaseName, options: Pick<PhaseOptions, 'start'> & Partial<Pick<PhaseOptions, 'force' | 'canary'>>): Step[] {
  if (phase === 'prepare') return prepareSteps({ start: options.start });
  if (phase === 'migrate') return migrateSteps(options.canary);
  return stabilizeSteps({ force: options.force ?? false });
}

/** Validates a phase name from the command line. */
export function parsePhase(text: string): PhaseName {
  if ((PHASES as readonly string[]).includes(text)) return text as PhaseName;
  throw new UsageError('UNKNOWN_PHASE', `Unknown phase "${text}": use one of ${PHASES.join(', ')}.`);
}

/** `migrate plan`: every step with whether it is done and what it would change. Changes nothing. */
export async function planPhase(context: MigrationContext, phase: PhaseName, options: Pick<PhaseOptions, 'start' | 'canary'>): Promise<StepOutcome[]> {
  await context.git.assertRepository();
  await context.state.load();
  return planSteps(context, stepsOf(phase, options));
}

/** The gate into a phase now (null for prepare, which has none). */
async function gateInto(context: MigrationContext, phase: PhaseName): Promise<GateStatus | null> {
  const previous = previousPhase(phase);
  return previous ? gateAfter(context, previous) : null;
}

/**
 * Runs a phase. Rerunning is safe (done steps are skipped); a failure leaves the state saying
 * which step to resume from; `dryRun` changes nothing at all (no lock, state or journal write).
 * @throws WsmigError (never for a failed step: the report carries it, so the caller can print the steps first).
 */
export async function runPhase(context: MigrationContext, phase: PhaseName, options: PhaseOptions): Promise<PhaseReport> {
  await context.git.assertRepository();
  const state = await context.state.load();
  assertPhaseOrder(context, phase);
  const gateIn = await gateInto(context, phase);
  let forcedReason: string | null = null;
  if (gateIn && !gateIn.open) {
    if (!options.force) {
      throw new WsmigError('GATE_CLOSED', `${phase} cannot start yet: the gate out of ${gateIn.phase} is closed:\n${gateIn.blockers.map((line) => `  - ${line}`).join('\n')}\nWait for it, or pass --force --reason "…" to go ahead anyway (recorded in the state and the journal).`, {
        details: { gate: gateIn },
      });
    }
    if (!options.reason || options.reason.trim() === '') {
      throw new UsageError('FORCE_NEEDS_REASON', `--force through the closed gate out of ${gateIn.phase} needs --reason "why", which is recorded in the state and the journal.`);
    }
    forcedReason = options.reason.trim();
  }
  const steps = stepsOf(phase, options);

  if (options.dryRun) {
    const result = await runSteps(context, steps, { command: phase, dryRun: true });
    return { phase, dryRun: true, status: 'planned', outcomes: result.outcomes, gateIn, forcedReason, gateOut: await gateAfter(context, phase), next: `run \`wsmig migrate phase ${phase}\` to apply` };
  }

  // Everything that can refuse the run reads only, before the lock and the state are written:
  // bad input leaves the repository exactly as it was.
  const resuming = state.inProgress !== null && state.inProgress.command === phase;
  const allowed = resuming ? (state.inProgress?.paths ?? []) : [];
  const dirty = await assertCleanTree(context, { force: options.force, allowed, command: `wsmig migrate phase ${phase}` });
  await planSteps(context, steps);

  const lock = await acquireLock(context.paths.lock, { command: `migrate phase ${phase}`, logger: context.logger, clock: context.clock });
  try {
    if (resuming) context.progress({ kind: 'note', message: `resuming the ${phase} run interrupted at ${state.inProgress?.step ?? 'its start'} (run ${state.inProgress?.runId ?? '?'})` });
    if (dirty.length > 0) context.progress({ kind: 'warning', message: `--force: going ahead with uncommitted changes in ${dirty.join(', ')}` });
    const stepPaths = [...new Set(steps.flatMap((step) => step.paths?.(context) ?? []))];
    const now = context.clock().toISOString();
    await context.journal.append({ runId: context.runId, command: phase, event: 'run-start', data: { resuming, force: options.force, ...(forcedReason ? { reason: forcedReason } : {}) } });
    await context.state.update((draft) => {
      draft.inProgress = { runId: context.runId, command: phase, step: null, pid: process.pid, startedAt: now, paths: resuming ? [...new Set([...(draft.inProgress?.paths ?? []), ...stepPaths])] : stepPaths };
      const record = draft.phases[phase];
      draft.phases[phase] = {
        status: 'running',
        startedAt: record && record.status !== 'rolled-back' ? record.startedAt : now,
        lastRunAt: now,
        steps: record && record.status !== 'rolled-back' ? record.steps : {},
        forced: [...(record?.forced ?? []), ...(forcedReason && gateIn ? [{ reason: forcedReason, at: now, gate: `out of ${gateIn.phase}` }] : [])],
      };
    });
    if (forcedReason && gateIn) await context.journal.append({ runId: context.runId, command: phase, event: 'gate', detail: `forced through the closed gate out of ${gateIn.phase}: ${forcedReason}`, data: { blockers: gateIn.blockers } });

    const result = await runSteps(context, steps, {
      command: phase,
      dryRun: false,
      onStepDone: async (step, outcome) => {
        if (outcome.status !== 'done' && outcome.status !== 'failed' && outcome.status !== 'skipped') return;
        await context.state.update((draft) => {
          const record = draft.phases[phase];
          if (record) record.steps[step.id] = { status: outcome.status === 'failed' ? 'failed' : 'done', at: context.clock().toISOString(), detail: outcome.detail };
        });
      },
    });
    const endedAt = context.clock().toISOString();
    const canaryTrigger = result.error ? canaryTriggerOf(result.error) : undefined;
    await context.state.update((draft) => {
      const record = draft.phases[phase];
      if (!record) return;
      record.status = result.error ? 'failed' : 'done';
      if (!result.error) {
        record.completedAt = endedAt;
        draft.inProgress = null;
      }
      // A breached canary is not resumed: the rollback below ends it.
      if (canaryTrigger) draft.inProgress = null;
    });
    await context.journal.append({ runId: context.runId, command: phase, event: 'run-end', detail: result.error ? `failed: ${result.error.code}` : 'done' });
    const rolledBack = canaryTrigger ? await rollBackCanary(context, canaryTrigger) : undefined;
    const gate = await gateAfter(context, phase);
    return {
      phase,
      dryRun: false,
      status: result.error ? 'failed' : 'done',
      outcomes: result.outcomes,
      gateIn,
      forcedReason,
      gateOut: gate,
      next: nextAdvice(phase, result.error === undefined, gate),
      ...(result.error ? { error: { code: result.error.code, message: result.error.message, exitCode: rolledBack && !rolledBack.verified ? ExitCode.notVerified : result.error.exitCode } } : {}),
      ...(rolledBack ? { rollback: rolledBack } : {}),
    };
  } finally {
    await lock.release();
  }
}

/** Rolls back after a breached canary step, under the lock the phase holds (the rollback ends the canary). */
async function rollBackCanary(context: MigrationContext, trigger: RollbackTrigger): Promise<RollbackResult> {
  context.progress({ kind: 'warning', message: `${trigger.reason}: rolling back` });
  return rollback(context, { trigger, dryRun: false, lockHeld: true });
}

/** The gate out of a phase now (prepare's needs the service's health). */
async function gateAfter(context: MigrationContext, phase: PhaseName): Promise<GateStatus> {
  const health = phase === 'prepare' ? await checkHealth(endpoints(context).health, { credentials: context.credentials }) : undefined;
  return gateOut(phase, context.state.get(), context.config, context.clock(), health);
}

/** prepare turns the flag off: refuse it once the migration went past it (rollback is the way back). */
function assertPhaseOrder(context: MigrationContext, phase: PhaseName): void {
  const state = context.state.get();
  if (phase === 'prepare' && state.flagOnAt !== null) {
    throw new WsmigError('PHASE_ORDER', `The migration is past prepare: ${context.config.flag.name} has been on since ${state.flagOnAt}. Rerunning prepare would turn it off behind migrate's back; to go back to SSE, run \`wsmig rollback --reason "…"\`.`);
  }
}

function nextAdvice(phase: PhaseName, succeeded: boolean, gate: GateStatus): string {
  if (!succeeded) return `fix the failed step and rerun \`wsmig migrate phase ${phase}\`: finished steps are skipped`;
  if (phase === 'stabilize') return 'the migration is complete; `wsmig rollback` still restores the legacy code if needed';
  const next = phase === 'prepare' ? 'migrate' : 'stabilize';
  if (gate.open) return `the gate out of ${phase} is open: run \`wsmig migrate phase ${next}\``;
  return `${next} waits for: ${gate.blockers.join('; ')}${phase === 'migrate' ? '. Meanwhile, watch the rollout: `wsmig watch --rollback`' : ''}`;
}

/** The exit code for a phase report: 0 done or planned, else the failed step's. */
export function phaseExitCode(report: PhaseReport): number {
  return report.error ? report.error.exitCode : ExitCode.ok;
}
