/**
 * prepare (seed §3.1): the WebSocket endpoint configured, the feature flag added and off, the
 * WebSocket service running and healthy, the app's streams probed (`verify.ws`, `verify.sse`), its
 * metrics reachable, and a baseline load test recorded.
 * Gate out: the service healthy and the baseline passed.
 */
import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../../lib/atomic-write.js';
import { CONFIG_FILE_NAME } from '../config.js';
import { endpoints, inRepo, relativeToRepo, type MigrationContext } from '../context.js';
import { readEnvFile, readEnvValue, updateEnvFile } from '../env-file.js';
import { featuresFileText, inspectFeaturesFile } from '../features-file.js';
import { filesSayFlag, flipFlag, describeFlip } from '../flag.js';
import { runLoadGate, describeLoadGate } from '../load-gate.js';
import { checkMetrics } from '../metrics-check.js';
import { WSMIG_GITIGNORE } from '../paths.js';
import { probesStep } from '../probes/probe-step.js';
import { ensureServiceHealthy, viewService } from '../service-control.js';
import type { Step } from '../steps.js';
import { uncommittedUnder } from '../tree-check.js';
import { WsmigError } from '../../lib/errors.js';

export interface PrepareOptions {
  /** Start the service (false: `--no-start`, check one already running). */
  start: boolean;
}

/** Paths prepare commits: what it creates in the repository. */
function committedPaths(context: MigrationContext): string[] {
  return [context.config.flag.featuresFile, relativeToRepo(context, context.paths.gitignore), CONFIG_FILE_NAME];
}

export function prepareSteps(options: PrepareOptions): Step[] {
  return [
    {
      id: 'prepare.wsmig-dir',
      title: 'Keep wsmig\'s run state out of git',
      paths: (context) => [relativeToRepo(context, context.paths.gitignore)],
      describe: (context) => [`write ${relativeToRepo(context, context.paths.gitignore)}: state, journal, lock, logs and reports stay local; incidents/ is kept`],
      async check(context) {
        const text = await fs.readFile(context.paths.gitignore, 'utf8').catch(() => undefined);
        return text === WSMIG_GITIGNORE ? { done: true, detail: `${relativeToRepo(context, context.paths.gitignore)} in place` } : { done: false, detail: 'not written yet' };
      },
      async apply(context) {
        await writeFileAtomic(context.paths.gitignore, WSMIG_GITIGNORE);
        return `wrote ${relativeToRepo(context, context.paths.gitignore)}`;
      },
    },
    {
      id: 'prepare.ws-endpoint',
      title: 'Configure the WebSocket endpoint',
      describe: (context) => context.config.envFiles.map((file) => `set ${context.config.wsEndpoint.name}=${context.config.wsEndpoint.value} in ${file}`),
      async check(context) {
        const { name, value } = context.config.wsEndpoint;
        for (const file of context.config.envFiles) {
          const { text } = await readEnvFile(inRepo(context, file));
          if (readEnvValue(text, name) !== value) return { done: false, detail: `${file} does not set ${name}=${value}` };
        }
        return { done: true, detail: `${name}=${value} already in ${context.config.envFiles.join(', ')}` };
      },
      async apply(context) {
        const { name, value } = context.config.wsEndpoint;
        const changed: string[] = [];
        for (const file of context.config.envFiles) {
          const change = await updateEnvFile(inRepo(context, file), { [name]: value });
          if (change.changed) changed.push(`${file}${change.created ? ' (created)' : ''}`);
        }
        return `${name}=${value} written to ${changed.join(', ')}`;
      },
    },
    {
      id: 'prepare.features-file',
      title: 'Add the feature flag module',
      paths: (context) => [context.config.flag.featuresFile],
      describe: (context) => [`create ${context.config.flag.featuresFile}: export const features = { ${context.config.flag.featuresKey}: process.env.${context.config.flag.name} === 'true' || <a rollout percentage such as 25%> }`],
      async check(context) {
        const { featuresFile, featuresKey, name } = context.config.flag;
        // Throws, before anything changed, when the module exists in a shape wsmig cannot work with.
        const info = await inspectFeaturesFile(inRepo(context, featuresFile), featuresKey, name);
        if (!info) return { done: false, detail: `${featuresFile} does not exist yet` };
        const forms = { 'env-opt-in': `reads ${name} (off unless 'true')`, 'env-rollout': `reads ${name} (on for 'true' or a rollout percentage)`, 'env-opt-out': `reads ${name} (on unless 'false')` };
        const form = info.form.kind === 'literal' ? `hard-coded ${info.form.value}` : forms[info.form.kind];
        return { done: true, detail: `${featuresFile} exists and ${featuresKey} ${form} (line ${info.line})` };
      },
      async apply(context) {
        const { featuresFile, featuresKey, name } = context.config.flag;
        await writeFileAtomic(inRepo(context, featuresFile), featuresFileText(featuresKey, name));
        return `created ${featuresFile}`;
      },
    },
    {
      id: 'prepare.flag-off',
      title: `Set the flag off`,
      describe: (context) => context.config.envFiles.map((file) => `set ${context.config.flag.name}=false in ${file}`),
      async check(context) {
        const off = await filesSayFlag(context, false);
        return off ? { done: true, detail: `${context.config.flag.name}=false already` } : { done: false, detail: `${context.config.flag.name} is not false everywhere` };
      },
      async apply(context) {
        return describeFlip(await flipFlag(context, false), context.config.flag.name);
      },
    },
    {
      id: 'prepare.commit',
      title: 'Commit the flag module and wsmig\'s config',
      paths: (context) => committedPaths(context),
      describe: (context) => [`commit ${committedPaths(context).join(', ')} (trailer Wsmig-Phase: prepare), where they changed`],
      async check(context) {
        const pending = await uncommittedUnder(context, committedPaths(context));
        return pending.length === 0 ? { done: true, detail: 'nothing of prepare\'s left to commit' } : { done: false, detail: `uncommitted: ${pending.join(', ')}` };
      },
      async apply(context) {
        const pending = await uncommittedUnder(context, committedPaths(context));
        await context.git.add(pending);
        const commit = await context.git.commitPaths({
          subject: 'wsmig: prepare the WebSocket migration',
          body: `Adds the ${context.config.flag.featuresKey} feature flag (off) and wsmig's configuration.`,
          phase: 'prepare',
          paths: pending,
        });
        await context.state.update((state) => {
          state.commits.prepare = commit;
        });
        return `committed ${pending.join(', ')} as ${commit.slice(0, 12)}`;
      },
    },
    {
      id: 'prepare.service',
      title: options.start ? 'Start the WebSocket service' : 'Check the running WebSocket service',
      describe: (context) =>
        options.start
          ? [`start ${JSON.stringify(context.config.service.command)} detached (output in .wsmig/logs/service.log) and wait for ${endpoints(context).health}`]
          : [`check that ${endpoints(context).health} answers healthy`],
      async check(context) {
        const view = await viewService(context);
        if (!view.health.healthy) return { done: false, detail: `not healthy at ${view.health.url} (${view.health.problem ?? 'unknown'})` };
        return { done: true, detail: view.managed ? `healthy (started by wsmig, pid ${view.managed.pid})` : `healthy at ${view.health.url}` };
      },
      async apply(context) {
        if (!options.start) {
          const view = await viewService(context);
          throw new WsmigError('SERVICE_NOT_RUNNING', `--no-start: no healthy service answers ${view.health.url} (${view.health.problem ?? 'unknown'}). Start it yourself, or rerun without --no-start to let wsmig start ${JSON.stringify(context.config.service.command)}.`);
        }
        return ensureServiceHealthy(context, { mayStart: true });
      },
    },
    probesStep('prepare'),
    {
      id: 'prepare.metrics',
      title: 'Verify the service\'s metrics',
      describe: (context) => [`read ${endpoints(context).metrics} and check the wsmig_* metrics watch and the load tests need`],
      async check(context) {
        const report = await checkMetrics(endpoints(context).metrics, context.credentials);
        return report.ok ? { done: true, detail: report.detail } : { done: false, detail: report.detail };
      },
      async apply(context) {
        const report = await checkMetrics(endpoints(context).metrics, context.credentials);
        if (!report.ok) throw new WsmigError('METRICS_UNAVAILABLE', `${report.detail}. wsmig watch and the load-test gates read these metrics: expose them (see docs/server.md), then rerun.`);
        return report.detail;
      },
    },
    {
      id: 'prepare.baseline',
      title: 'Record a baseline load test',
      describe: (context) => [describeLoadGate(context, 'baseline')],
      async check(context) {
        const baseline = context.state.get().baseline;
        return baseline?.verdict === 'pass' ? { done: true, detail: `baseline passed at ${baseline.at} (${baseline.reportDir ?? 'no report'})` } : { done: false, detail: baseline ? `last baseline: ${baseline.verdict}` : 'no baseline yet' };
      },
      async apply(context) {
        const record = await runLoadGate(context, 'baseline');
        return `baseline ${record.verdict}: ${record.summary}`;
      },
    },
  ];
}
