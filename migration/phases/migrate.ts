/**
 * migrate (seed §3.2): the sse-to-ws codemod applied and committed (the legacy path stays behind
 * the flag), the flag turned on, the load-test gate passed against the service, and a usage
 * snapshot taken. Gate out: the timeline's migrate duration and the load-test gate green.
 */
import { canaryUnfinished, describeCanaryPlan, resolveCanaryPlan, type CanaryRequest } from '../canary/plan.js';
import { canaryDone, runCanary } from '../canary/step.js';
import { runCodemod, describeManualWork } from '../codemod.js';
import { endpoints } from '../context.js';
import { WsmigError } from '../../lib/errors.js';
import { describeFlip, filesSayFlag, flipFlag, liveFlagValue } from '../flag.js';
import { describeLoadGate, runLoadGate } from '../load-gate.js';
import { ensureServiceHealthy, restartManagedService, viewService } from '../service-control.js';
import type { Step } from '../steps.js';
import { uncommittedUnder } from '../tree-check.js';
import { snapshotUsage } from '../usage-snapshot.js';

/** The step that checks (and, when wsmig manages it, restarts) the service: every later phase starts with it. */
export function serviceStep(phase: string): Step {
  return {
    id: `${phase}.service`,
    title: 'Check the WebSocket service',
    describe: (context) => [`check ${endpoints(context).health}; restart the service if wsmig started it and it is unhealthy`],
    async check(context) {
      const view = await viewService(context);
      return view.health.healthy ? { done: true, detail: view.managed ? `healthy (started by wsmig, pid ${view.managed.pid})` : `healthy at ${view.health.url}` } : { done: false, detail: `not healthy (${view.health.problem ?? 'unknown'})` };
    },
    apply: (context) => ensureServiceHealthy(context, { mayStart: context.state.get().service !== null }),
  };
}

/** The step that makes sure the flag is on (files and live). */
export function flagOnStep(phase: string): Step {
  return {
    id: `${phase}.flag-on`,
    title: 'Turn the flag on',
    describe: (context) => [...context.config.envFiles.map((file) => `set ${context.config.flag.name}=true in ${file}`), `POST ${endpoints(context).flag} {"value":true} (restart the service instead if it cannot switch live and wsmig started it)`],
    async check(context) {
      const files = await filesSayFlag(context, true);
      if (!files) return { done: false, detail: `${context.config.flag.name} is not true everywhere` };
      const live = await liveFlagValue(context);
      if (live === false) return { done: false, detail: 'the files say true, the running service says false' };
      return { done: true, detail: `${context.config.flag.name}=true${live === true ? ' (the service agrees)' : ''}` };
    },
    async apply(context) {
      const report = await flipFlag(context, true);
      let detail = describeFlip(report, context.config.flag.name);
      if (!report.live.applied) {
        if (context.state.get().service !== null) {
          await restartManagedService(context);
          detail += '; restarted the service wsmig manages to pick the value up';
        } else {
          detail += '; restart the service yourself so that it reads the new value';
          context.progress({ kind: 'warning', message: `the service did not switch live (${report.live.detail}): restart it so that it reads ${context.config.flag.name}=true` });
        }
      }
      if (context.state.get().flagOnAt === null) {
        await context.state.update((state) => {
          state.flagOnAt = context.clock().toISOString();
        });
      }
      return detail;
    },
  };
}

/**
 * The migrate phase's flag step: straight to 100 % as {@link flagOnStep}, or through the canary's
 * steps with analysis when one is asked for (`--canary`, `rollout.steps`) or is in progress.
 */
function rolloutStep(request: CanaryRequest): Step {
  const direct = flagOnStep('migrate');
  return {
    ...direct,
    describe: (context) => {
      const plan = resolveCanaryPlan(context, request);
      return plan === null ? direct.describe(context) : describeCanaryPlan(context, plan);
    },
    async check(context) {
      const plan = resolveCanaryPlan(context, request);
      const onEverywhere = await direct.check(context);
      if (plan === null) return onEverywhere;
      const canary = context.state.get().canary;
      if (canaryUnfinished(canary)) return { done: false, detail: `the canary is ${canary.status} at the ${canary.steps[canary.current] ?? '?'} % step` };
      if (onEverywhere.done) return { done: true, detail: canaryDone(canary) ? `canary promoted to 100 % (${onEverywhere.detail})` : `${onEverywhere.detail}: already at 100 %, no canary to run` };
      return { done: false, detail: `canary ${plan.steps.join(' → ')} % to run` };
    },
    async apply(context) {
      const plan = resolveCanaryPlan(context, request);
      return plan === null ? direct.apply(context) : runCanary(context, plan);
    },
  };
}

export function migrateSteps(request: CanaryRequest = {}): Step[] {
  return [
    serviceStep('migrate'),
    {
      id: 'migrate.codemod',
      title: 'Rewrite the SSE consumers to WebSocket (sse-to-ws)',
      paths: (context) => context.config.codemodPaths,
      describe: (context) => [`run the sse-to-ws codemod on ${context.config.codemodPaths.join(', ')} (legacy paths stay behind the flag)`, 'commit the result (trailer Wsmig-Phase: migrate)'],
      async check(context) {
        const commits = await context.git.commitsWithPhase('migrate');
        if (commits.length > 0) return { done: true, detail: `committed as ${(commits[0] as string).slice(0, 12)}` };
        const preview = await runCodemod(context, 'sse-to-ws', context.config.codemodPaths, { dry: true });
        const pending = await uncommittedUnder(context, context.config.codemodPaths);
        if (preview.changed.length === 0 && pending.length === 0) return { done: true, detail: 'nothing left to convert' };
        return { done: false, detail: `${preview.changed.length} file(s) to convert` };
      },
      async apply(context) {
        const summary = await runCodemod(context, 'sse-to-ws', context.config.codemodPaths, { dry: false });
        if (summary.failed.length > 0) {
          throw new WsmigError('CODEMOD_FAILED', `sse-to-ws could not transform ${summary.failed.map((entry) => `${entry.file} (${entry.message})`).join(', ')}. Fix these files (they are left as they were) and rerun.`);
        }
        await context.checkpoint('after-codemod');
        // Commit what is uncommitted under the codemod's paths: the tree was clean there when the
        // phase started (or holds this step's own interrupted work), so this is the codemod's output.
        const changed = await uncommittedUnder(context, context.config.codemodPaths);
        if (changed.length === 0) return 'nothing to convert';
        await context.git.add(changed);
        const commit = await context.git.commitPaths({
          subject: 'wsmig: rewrite SSE consumers to WebSocket behind the feature flag',
          body: `sse-to-ws on ${context.config.codemodPaths.join(', ')}. The legacy SSE paths stay until stabilize.${summary.manual.length > 0 ? `\n\nManual work left:\n${describeManualWork(summary.manual)}` : ''}`,
          phase: 'migrate',
          paths: changed,
        });
        await context.state.update((state) => {
          state.commits.migrate = commit;
        });
        const manual = summary.manual.length > 0 ? `; ${summary.manual.length} site(s) need manual work:\n${describeManualWork(summary.manual)}` : '';
        return `converted ${changed.length} file(s), committed as ${commit.slice(0, 12)}${manual}`;
      },
    },
    rolloutStep(request),
    {
      id: 'migrate.load-gate',
      title: 'Run the load-test gate',
      describe: (context) => [describeLoadGate(context, 'gate')],
      async check(context) {
        const { migrateGate, flagOnAt } = context.state.get();
        const fresh = migrateGate !== null && flagOnAt !== null && migrateGate.at >= flagOnAt;
        return fresh && migrateGate?.verdict === 'pass' ? { done: true, detail: `passed at ${migrateGate.at}` } : { done: false, detail: migrateGate ? `last gate: ${migrateGate.verdict}` : 'not run yet' };
      },
      async apply(context) {
        const record = await runLoadGate(context, 'gate');
        return `gate ${record.verdict}: ${record.summary}`;
      },
    },
    {
      id: 'migrate.usage-snapshot',
      title: 'Snapshot the usage metrics',
      describe: (context) => [`save ${endpoints(context).metrics} to .wsmig/reports/<time>-usage.{prom,json}`],
      async check(context) {
        const { usageSnapshots, flagOnAt } = context.state.get();
        const latest = usageSnapshots.at(-1);
        return latest !== undefined && flagOnAt !== null && latest.at >= flagOnAt ? { done: true, detail: latest.file } : { done: false, detail: 'no snapshot since the flag went on' };
      },
      async apply(context) {
        return `saved ${await snapshotUsage(context)}`;
      },
    },
  ];
}
