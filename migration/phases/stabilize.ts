/**
 * stabilize (seed §3.3): the flag stays on, the remove-flag codemod inlines the WebSocket branches
 * and detaches the legacy modules, and the legacy files are removed with `git rm` — all in one
 * commit, whose id is recorded so that a rollback can bring the legacy code back exactly. Not
 * while the SSE bridge still relays a stream a legacy file serves (relayed-routes.ts).
 */
import { promises as fs } from 'node:fs';
import { WsmigError } from '../../lib/errors.js';
import { describeManualWork, runCodemod } from '../codemod.js';
import { endpoints, inRepo, type MigrationContext } from '../context.js';
import { REVERTS_TRAILER } from '../git.js';
import { findLegacyReferences } from '../legacy-references.js';
import { request } from '../http.js';
import { findRelayedLegacyFiles, relayedRoutesError } from '../relayed-routes.js';
import type { Step } from '../steps.js';
import { flagOnStep, serviceStep } from './migrate.js';
import { uncommittedUnder } from '../tree-check.js';

/** Where remove-flag runs: the frontend paths, and every file importing a legacy module. */
async function removeFlagTargets(context: MigrationContext): Promise<string[]> {
  const references = await findLegacyReferences(context, context.config.legacyFiles);
  return [...new Set([...context.config.codemodPaths, ...references.map((reference) => reference.file)])];
}

/** The stabilize commit on HEAD's history that is still in effect (not reverted by a rollback), if any. */
export async function activeStabilizeCommit(context: MigrationContext): Promise<string | undefined> {
  const recorded = context.state.get().commits.stabilize;
  const candidates = recorded ? [recorded, ...(await context.git.commitsWithPhase('stabilize'))] : await context.git.commitsWithPhase('stabilize');
  const reverted = new Set<string>();
  for (const rollback of await context.git.commitsWithPhase('rollback')) {
    const target = await context.git.trailer(rollback, REVERTS_TRAILER);
    if (target) reverted.add(target);
  }
  for (const commit of candidates) {
    if (!(await context.git.exists(commit)) || !(await context.git.isAncestor(commit))) continue;
    if (!reverted.has(commit)) return commit;
  }
  return undefined;
}

/** The configured legacy files that are not in the working tree. */
export async function missingLegacyFiles(context: MigrationContext): Promise<string[]> {
  const missing: string[] = [];
  for (const file of context.config.legacyFiles) {
    if (!(await fs.stat(inRepo(context, file)).then(() => true, () => false))) missing.push(file);
  }
  return missing;
}

export interface StabilizeOptions {
  /** Remove legacy files even when the bridge still relays their routes (`--force`). */
  force: boolean;
}

/** The step that refuses to go on while the bridge relays a route a legacy file serves. */
function relayedRoutesStep(options: StabilizeOptions): Step {
  return {
    id: 'stabilize.relayed-routes',
    title: 'Check that the SSE bridge no longer relays the legacy routes',
    describe: (context) => [`read bridge.routes from ${endpoints(context).health}; refuse (exit 3) to remove a legacy file that names a relayed route${options.force ? ' (--force: warn and go on)' : ', unless --force'}`],
    async check(context) {
      if ((await missingLegacyFiles(context)).length === context.config.legacyFiles.length) return { done: true, detail: 'no legacy file left in the tree' };
      const report = await findRelayedLegacyFiles(context);
      return { done: report.files.length === 0, detail: report.detail };
    },
    async apply(context) {
      const report = await findRelayedLegacyFiles(context);
      if (report.files.length === 0) return report.detail;
      if (!options.force) throw relayedRoutesError(report);
      context.progress({ kind: 'warning', message: `--force: removing the legacy files although ${report.detail}` });
      return `--force: going on although ${report.detail}`;
    },
  };
}

export function stabilizeSteps(options: StabilizeOptions): Step[] {
  return [
    serviceStep('stabilize'),
    flagOnStep('stabilize'),
    relayedRoutesStep(options),
    {
      id: 'stabilize.remove-legacy',
      title: 'Remove the flag branches and the legacy SSE code',
      paths: (context) => [...context.config.codemodPaths, ...context.config.legacyFiles],
      describe: (context) => [
        `run the remove-flag codemod on ${context.config.codemodPaths.join(', ')} and on every file importing ${context.config.legacyFiles.join(', ')}`,
        `git rm ${context.config.legacyFiles.join(' ')}`,
        'commit both as one commit (trailer Wsmig-Phase: stabilize), its id recorded for rollback',
      ],
      async check(context) {
        const commit = await activeStabilizeCommit(context);
        const missing = await missingLegacyFiles(context);
        const present = context.config.legacyFiles.filter((file) => !missing.includes(file));
        if (commit && present.length === 0) return { done: true, detail: `legacy code removed in ${commit.slice(0, 12)}` };
        const committed: string[] = [];
        for (const file of context.config.legacyFiles) if (await context.git.existsAt('HEAD', file)) committed.push(file);
        if (present.length === 0 && committed.length === 0 && !commit) {
          throw new WsmigError('LEGACY_FILES_MISSING', `None of the legacy files (${context.config.legacyFiles.join(', ')}) exist, and no wsmig stabilize commit removed them. Check legacyFiles in wsmig.config.json; nothing was changed.`);
        }
        return { done: false, detail: `legacy files present: ${present.join(', ') || '(deleted, not committed)'}` };
      },
      async apply(context) {
        // An interrupted run may already have detached the importers: they are in the claimed paths.
        const targets = await removeFlagTargets(context);
        const claimed = await context.claimPaths(targets);
        const preview = await runCodemod(context, 'remove-flag', targets, { dry: true });
        if (preview.manual.length > 0 || preview.failed.length > 0) {
          const lines = [...preview.manual.map((site) => `  ${site.file}:${site.line}: ${site.reason}`), ...preview.failed.map((entry) => `  ${entry.file}: ${entry.message}`)];
          throw new WsmigError('LEGACY_STILL_REFERENCED', `remove-flag cannot finish on its own, so the legacy files stay (deleting them would leave code that does not compile):\n${lines.join('\n')}\nResolve these sites by hand, commit, and rerun \`wsmig migrate phase stabilize\`. Nothing was changed.`, {
            exitCode: 3,
            details: { manual: preview.manual, failed: preview.failed },
          });
        }
        const summary = await runCodemod(context, 'remove-flag', targets, { dry: false });
        await context.checkpoint('after-codemod');
        const left = await findLegacyReferences(context, context.config.legacyFiles);
        if (left.length > 0 || summary.manual.length > 0) {
          const lines = [...left.map((reference) => `  ${reference.file}:${reference.line}: imports ${reference.specifier} (${reference.legacyFile})`)];
          if (summary.manual.length > 0) lines.push(describeManualWork(summary.manual));
          throw new WsmigError('LEGACY_STILL_REFERENCED', `After remove-flag these still use the legacy code, so it stays (deleting it would leave code that does not compile):\n${lines.join('\n')}\nremove-flag's other changes are in the working tree. Fix these sites by hand and rerun \`wsmig migrate phase stabilize\`: it finishes the work and commits it all as one commit.`, {
            exitCode: 3,
            details: { references: left },
          });
        }
        await context.git.rm(context.config.legacyFiles);
        await context.checkpoint('after-git-rm');
        const changed = await uncommittedUnder(context, [...claimed, ...context.config.legacyFiles]);
        await context.git.add(changed.filter((file) => !context.config.legacyFiles.includes(file)));
        const commit = await context.git.commitPaths({
          subject: 'wsmig: remove the legacy SSE implementation',
          body: `remove-flag inlined the ${context.config.flag.featuresKey} branches; git rm ${context.config.legacyFiles.join(' ')}.\nRoll back with \`wsmig rollback\`: it restores these files byte for byte.`,
          phase: 'stabilize',
          paths: changed,
        });
        await context.state.update((state) => {
          state.commits.stabilize = commit;
        });
        return `removed ${context.config.legacyFiles.join(', ')} and the flag branches in ${changed.length} file(s): commit ${commit.slice(0, 12)}`;
      },
    },
    {
      id: 'stabilize.verify',
      title: 'Verify the service serves WebSocket',
      describe: (context) => [`check that ${endpoints(context).config} says transport "ws"`],
      async check(context) {
        const answer = await request(endpoints(context).config, { credentials: context.credentials });
        const transport = (answer.json as { transport?: unknown } | undefined)?.transport;
        return transport === 'ws' ? { done: true, detail: `${endpoints(context).config}: transport ws` } : { done: false, detail: answer.refusal ?? `transport ${String(transport ?? answer.error ?? answer.status)}` };
      },
      async apply(context) {
        const answer = await request(endpoints(context).config, { credentials: context.credentials });
        const transport = (answer.json as { transport?: unknown } | undefined)?.transport;
        if (answer.refusal !== undefined) throw new WsmigError('SERVICE_REFUSED_CREDENTIALS', `${answer.refusal}, so wsmig cannot check that the service serves WebSocket.`);
        if (transport !== 'ws') throw new WsmigError('VERIFY_FAILED', `${endpoints(context).config} says transport ${JSON.stringify(transport ?? null)}, not "ws", after stabilize. Check that the service reads ${context.config.flag.name}=true; \`wsmig rollback\` brings the legacy code back if needed.`);
        return 'transport ws';
      },
    },
  ];
}
