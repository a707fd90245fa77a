/**
 * `wsmig rollback` (seed §4.2), from any phase: flip the flag off, restore the SSE implementation,
 * verify the system state, and write an incident report. Every step is check → apply → record, so
 * rolling back twice is harmless, and a rollback that was interrupted finishes on the next run.
 * The result says whether the system was verified healthy (exit 0) or not (exit 4).
 */
import { ExitCode, UsageError, WsmigError } from '../../lib/errors.js';
import { readResultFile } from '../../scenarios/result/schema.js';
import { canaryUnfinished } from '../canary/plan.js';
import { writeReportOf } from '../canary/step.js';
import { endpoints, relativeToRepo, type MigrationContext } from '../context.js';
import { describeFlip, filesSayFlag, flipFlag, liveFlagState, type LiveFlagState } from '../flag.js';
import { acquireLock } from '../lock.js';
import { fileNameTime } from '../paths.js';
import { checkHealth } from '../service.js';
import { restartManagedService } from '../service-control.js';
import { planSteps, runSteps, type Step, type StepOutcome } from '../steps.js';
import { INCIDENT_SCHEMA, breachesOf, writeIncident, type IncidentReport, type RollbackTrigger } from './incident.js';
import { planRestore, restoreLegacyCode, type RestoreOutcome } from './restore.js';
import { describeSsePath, verifyLegacyTransport, type Verification } from './verify.js';

export interface RollbackOptions {
  trigger: RollbackTrigger;
  dryRun: boolean;
  /** How long to wait for a running phase to release the lock (default 30 s). */
  lockWaitMs?: number;
  /** The caller holds the lock already (a phase whose canary breached). */
  lockHeld?: boolean;
}

export interface RollbackResult {
  dryRun: boolean;
  verified: boolean;
  outcomes: StepOutcome[];
  restore: RestoreOutcome | null;
  verification: Verification | null;
  incident: { json: string; markdown: string } | null;
  restoreAndVerifyMs: number;
  serviceRestartMs: number;
  resume: string[];
}

/** The trigger for `--from-report FILE`: the report's verdict must be fail; undefined when it is not. */
export async function triggerFromReport(file: string): Promise<{ trigger: RollbackTrigger } | { skip: string }> {
  const result = await readResultFile(file);
  const verdict = result.verdict;
  if (!verdict) return { skip: `${file} has no verdict (the run was not evaluated against thresholds): nothing to roll back` };
  if (verdict.status !== 'fail') return { skip: `${file}'s verdict is ${verdict.status}, not fail: nothing to roll back` };
  const failed = verdict.thresholds.filter((outcome) => outcome.status === 'fail');
  return { trigger: { kind: 'report', file, verdict, reason: `${failed.length} threshold(s) failed: ${failed.map((outcome) => `${outcome.metric} ${outcome.expression} (${outcome.reason})`).join('; ')}` } };
}

/** What a person does to pick the migration up again after this rollback. */
function resumeAdvice(context: MigrationContext, restore: RestoreOutcome | null): string[] {
  const advice = [
    'Find and fix the cause: the trigger above, the service log (.wsmig/logs/service.log), and `wsmig migrate status`.',
  ];
  if (restore?.manual.length) advice.push(`Finish the restore by hand for: ${restore.manual.map((entry) => entry.path).join(', ')}.`);
  if (restore?.commit) advice.push(`The rollback commit ${restore.commit.slice(0, 12)} brought the legacy code back; deploy it as you deploy any commit.`);
  advice.push(`Turn the flag back on with \`wsmig migrate phase migrate\` (it reruns the load-test gate), then watch the rollout with \`wsmig watch --rollback\`.`);
  advice.push(`When the timeline's ${context.config.timeline.migrate} have passed again, \`wsmig migrate phase stabilize\` removes the legacy code once more.`);
  return advice;
}

/** Runs the rollback. Throws only when it cannot start (no lock, no git); a failed step is in the result. */
export async function rollback(context: MigrationContext, options: RollbackOptions): Promise<RollbackResult> {
  await context.git.assertRepository();
  await context.state.load();
  let restore: RestoreOutcome | null = null;
  let verification: Verification | null = null;
  let serviceRestartMs = 0;

  const steps: Step[] = [
    {
      id: 'rollback.flag-off',
      title: 'Turn the flag off',
      describe: (ctx) => [...ctx.config.envFiles.map((file) => `set ${ctx.config.flag.name}=false in ${file}`), `set the features default off where it is hard-coded`, `POST ${endpoints(ctx).flag} {"value":false}`],
      async check(ctx) {
        const files = await filesSayFlag(ctx, false);
        const live = await liveFlagState(ctx);
        return files && !liveOn(live) ? { done: true, detail: `${ctx.config.flag.name}=false already${live !== undefined ? ' (the service agrees)' : ''}` } : { done: false, detail: files ? `the running service still sends ${live?.percentage ?? '?'} % to WebSocket` : `${ctx.config.flag.name} is not false everywhere` };
      },
      async apply(ctx) {
        return describeFlip(await flipFlag(ctx, false), ctx.config.flag.name);
      },
    },
    {
      id: 'rollback.restore-code',
      title: 'Restore the legacy SSE implementation',
      paths: (ctx) => ctx.config.legacyFiles,
      describe: async (ctx) => [(await planRestore(ctx)).detail],
      async check(ctx) {
        const plan = await planRestore(ctx);
        return plan.action === 'revert' ? { done: false, detail: plan.detail } : { done: true, detail: plan.detail };
      },
      async apply(ctx) {
        restore = await restoreLegacyCode(ctx, ctx.checkpoint);
        const differing = restore.legacyFiles.filter((file) => !file.identical);
        if (differing.length > 0) {
          throw new WsmigError('RESTORE_INCOMPLETE', `${restore.detail}, but ${differing.map((file) => file.path).join(', ')} ${differing.length === 1 ? 'is' : 'are'} not byte-identical to before stabilize${restore.manual.length > 0 ? `; manual work: ${restore.manual.map((entry) => `${entry.path} (${entry.why})`).join('; ')}` : ''}.`, { exitCode: ExitCode.notVerified });
        }
        const manual = restore.manual.length > 0 ? `; left for manual work: ${restore.manual.map((entry) => `${entry.path} (${entry.why})`).join('; ')}` : '';
        return `${restore.detail}${restore.commit ? `, commit ${restore.commit.slice(0, 12)}` : ''}; legacy files byte-identical to before stabilize${manual}`;
      },
    },
    {
      id: 'rollback.service',
      title: 'Check the service',
      describe: (ctx) => [`check ${endpoints(ctx).health}; restart the service if wsmig started it and it is unhealthy or still on WebSocket`],
      async check(ctx) {
        const health = await checkHealth(endpoints(ctx).health, { credentials: ctx.credentials });
        const live = await liveFlagState(ctx);
        return health.healthy && !liveOn(live) ? { done: true, detail: `healthy at ${health.url}` } : { done: false, detail: health.healthy ? 'healthy, but still serving WebSocket' : `not healthy (${health.problem ?? 'unknown'})` };
      },
      async apply(ctx) {
        if (ctx.state.get().service === null) {
          const health = await checkHealth(endpoints(ctx).health, { credentials: ctx.credentials });
          throw new WsmigError('SERVICE_NEEDS_RESTART', health.healthy
            ? `The service at ${endpoints(ctx).config} did not switch to SSE live and wsmig did not start it: restart it yourself so that it reads ${ctx.config.flag.name}=false.`
            : `The service is not healthy at ${health.url} (${health.problem ?? 'unknown'}) and wsmig did not start it: restart it yourself.`, { exitCode: ExitCode.notVerified });
        }
        const started = Date.now();
        const record = await restartManagedService(ctx);
        serviceRestartMs = Date.now() - started;
        return `restarted the service (pid ${record.pid}) in ${serviceRestartMs} ms`;
      },
    },
    {
      id: 'rollback.verify',
      title: 'Verify SSE end to end',
      describe: (ctx) => [`check ${endpoints(ctx).health}, that ${endpoints(ctx).config} says "sse", and ${describeSsePath(ctx)}`],
      check: async () => ({ done: false, detail: 'verified on every rollback' }),
      async apply(ctx) {
        verification = await verifyLegacyTransport(ctx);
        const failed = verification.checks.filter((check) => !check.ok);
        if (failed.length > 0) throw new WsmigError('ROLLBACK_NOT_VERIFIED', `The system is not verified on SSE: ${failed.map((check) => `${check.name}: ${check.detail}`).join('; ')}`, { exitCode: ExitCode.notVerified });
        return verification.checks.map((check) => check.detail).join('; ');
      },
    },
  ];

  if (options.dryRun) {
    const outcomes = await planSteps(context, steps);
    return { dryRun: true, verified: false, outcomes, restore: null, verification: null, incident: null, restoreAndVerifyMs: 0, serviceRestartMs: 0, resume: [] };
  }

  const lock = options.lockHeld ? { release: async () => undefined } : await acquireLock(context.paths.lock, { command: 'rollback', logger: context.logger, clock: context.clock, waitMs: options.lockWaitMs ?? 30_000 });
  try {
    const startedAt = context.clock();
    const started = Date.now();
    await context.journal.append({ runId: context.runId, command: 'rollback', event: 'run-start', detail: options.trigger.reason, data: { trigger: options.trigger.kind } });
    const result = await runSteps(context, steps, { command: 'rollback', dryRun: false, continueOnFailure: true });
    const verified = result.error === undefined && (verification as Verification | null)?.healthy === true;
    const endedAt = context.clock();
    const totalMs = Date.now() - started;
    const restored = restore as RestoreOutcome | null;
    const report: IncidentReport = {
      schema: INCIDENT_SCHEMA,
      id: fileNameTime(startedAt),
      startedAt: startedAt.toISOString(),
      endedAt: endedAt.toISOString(),
      durationMs: totalMs,
      trigger: options.trigger,
      breaches: breachesOf(options.trigger),
      steps: result.outcomes,
      restore: restored,
      verification,
      verified,
      restoreAndVerifyMs: totalMs - serviceRestartMs,
      serviceRestartMs,
      resume: resumeAdvice(context, restored),
    };
    const incident = await writeIncident(context.paths.incidents, report);
    await context.state.update((state) => {
      state.rollbacks.push({ at: report.startedAt, trigger: `${options.trigger.kind}: ${options.trigger.reason}`, incident: incident.json, verified, commit: restored?.commit ?? null });
      for (const phase of ['migrate', 'stabilize'] as const) {
        const record = state.phases[phase];
        if (record) record.status = 'rolled-back';
      }
      state.flagOnAt = null;
      state.migrateGate = null;
    });
    await endCanary(context, incident.json);
    await context.journal.append({ runId: context.runId, command: 'rollback', event: 'run-end', detail: verified ? 'verified' : 'not verified', data: { incident: incident.json } });
    return { dryRun: false, verified, outcomes: result.outcomes, restore: restored, verification, incident, restoreAndVerifyMs: report.restoreAndVerifyMs, serviceRestartMs, resume: report.resume };
  } finally {
    await lock.release();
  }
}

/** Whether the service still sends anyone to WebSocket (a partial rollout counts); a service that does not say is taken at its word elsewhere (health, verification). */
function liveOn(live: LiveFlagState | undefined): boolean {
  return live !== undefined && live.percentage > 0;
}

/** A rollback ends the canary in progress, if any: it is not resumed, and its report says how it ended. */
async function endCanary(context: MigrationContext, incident: string): Promise<void> {
  const canary = context.state.get().canary;
  if (!canaryUnfinished(canary)) return;
  const ended = structuredClone(canary);
  ended.status = 'rolled-back';
  ended.endedAt = context.clock().toISOString();
  await writeReportOf(context, ended, relativeToRepo(context, incident));
  await context.state.update((state) => {
    state.canary = ended;
  });
}

/** Checks `--reason` / `--from-report` usage. */
export function manualTrigger(reason: string | undefined): RollbackTrigger {
  if (reason !== undefined && reason.trim() === '') throw new UsageError('EMPTY_REASON', '--reason needs a text saying why you roll back; it goes into the incident report.');
  return { kind: 'manual', reason: reason?.trim() ?? 'manual rollback (no reason given)' };
}
