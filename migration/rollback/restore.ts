/**
 * Rollback's "restore the SSE implementation" (seed §4.2 step 2): bring back what stabilize removed,
 * byte for byte, without destroying later, unrelated work.
 *
 * 1. When stabilize's commit is on HEAD and nothing is staged, `git revert --no-commit` it.
 * 2. When that conflicts with later commits, abort it (with nothing staged, the abort keeps every
 *    unstaged change and untracked file) and restore selectively from the commit's parent: always the
 *    legacy files, plus every file the commit changed that no later commit touched. Files changed
 *    since are listed as manual work. Files with uncommitted changes are never overwritten.
 * 3. Commit what was restored, trailers `Wsmig-Phase: rollback` and `Wsmig-Reverts: <commit>`.
 */
import { promises as fs } from 'node:fs';
import { inRepo, type MigrationContext } from '../context.js';
import { REVERTS_TRAILER } from '../git.js';
import { activeStabilizeCommit, missingLegacyFiles } from '../phases/stabilize.js';

export interface RestorePlan {
  /** What will happen (or happened). */
  action: 'nothing-to-restore' | 'already-restored' | 'revert' | 'restore-paths';
  stabilizeCommit: string | null;
  detail: string;
}

export interface RestoreOutcome extends RestorePlan {
  /** The rollback commit, when one was made. */
  commit: string | null;
  /** Paths brought back byte for byte from the stabilize commit's parent. */
  restored: string[];
  /** Paths left for a person, and why. */
  manual: { path: string; why: string }[];
  /** Each legacy file compared with its content before stabilize. */
  legacyFiles: { path: string; identical: boolean }[];
}

/** Decides what restoring needs, changing nothing. */
export async function planRestore(context: MigrationContext): Promise<RestorePlan> {
  const active = await activeStabilizeCommit(context);
  if (active) {
    return { action: 'revert', stabilizeCommit: active, detail: `revert ${active.slice(0, 12)} (stabilize); if later work conflicts, restore the legacy files and the untouched files from its parent` };
  }
  const reverted = (await context.git.commitsWithPhase('stabilize'))[0];
  const missing = await missingLegacyFiles(context);
  if (reverted && missing.length === 0) return { action: 'already-restored', stabilizeCommit: reverted, detail: `stabilize (${reverted.slice(0, 12)}) was already rolled back; the legacy files are in place` };
  if (missing.length === 0) return { action: 'nothing-to-restore', stabilizeCommit: null, detail: 'stabilize has not removed anything: the legacy files are in place' };
  return { action: 'nothing-to-restore', stabilizeCommit: reverted ?? null, detail: `no wsmig stabilize commit in effect, but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing: restore ${missing.length === 1 ? 'it' : 'them'} by hand` };
}

/** Compares each legacy file's bytes with its content in `commit`. */
async function compareLegacyFiles(context: MigrationContext, commit: string): Promise<{ path: string; identical: boolean }[]> {
  const out: { path: string; identical: boolean }[] = [];
  for (const file of context.config.legacyFiles) {
    const expected = await context.git.fileAt(commit, file);
    const actual = await fs.readFile(inRepo(context, file)).catch(() => undefined);
    out.push({ path: file, identical: expected !== undefined && actual !== undefined && expected.equals(actual) });
  }
  return out;
}

/** Restores what stabilize removed (see the module comment); `checkpoint` marks kill points for tests. */
export async function restoreLegacyCode(context: MigrationContext, checkpoint: (label: string) => Promise<void>): Promise<RestoreOutcome> {
  const plan = await planRestore(context);
  if (plan.action !== 'revert' || plan.stabilizeCommit === null) {
    const missing = await missingLegacyFiles(context);
    return {
      ...plan,
      commit: null,
      restored: [],
      manual: missing.map((file) => ({ path: file, why: 'missing, and no wsmig stabilize commit removed it' })),
      legacyFiles: plan.stabilizeCommit ? await compareLegacyFiles(context, `${plan.stabilizeCommit}^`) : context.config.legacyFiles.map((file) => ({ path: file, identical: !missing.includes(file) })),
    };
  }
  const stabilize = plan.stabilizeCommit;
  const parent = `${stabilize}^`;
  const changed = await context.git.changedFiles(stabilize);
  const changedPaths = changed.map((entry) => entry.path);
  const status = await context.git.status();
  const uncommitted = new Set(status.map((entry) => entry.path));
  const staged = status.some((entry) => entry.code[0] !== ' ' && entry.code[0] !== '?');
  const touchedUncommitted = changedPaths.filter((file) => uncommitted.has(file));

  let how: 'revert' | 'restore-paths' = 'restore-paths';
  let why = '';
  if (staged) why = 'changes are staged in the index (a revert could not be aborted without touching them)';
  else if (touchedUncommitted.length > 0) why = `uncommitted changes in ${touchedUncommitted.join(', ')}`;
  else {
    const revert = await context.git.revertNoCommit(stabilize);
    if (revert.clean) how = 'revert';
    else {
      if (await context.git.revertInProgress()) await context.git.revertAbort();
      why = `later work conflicts with reverting it (${firstLine(revert.message)})`;
    }
  }
  await checkpoint(`after-${how}`);

  let restored: string[] = [];
  const manual: { path: string; why: string }[] = [];
  if (how === 'revert') {
    restored = changedPaths;
  } else {
    const toRestore: string[] = [];
    const toRemove: string[] = [];
    const alreadyRestored: string[] = [];
    for (const entry of changed) {
      const isLegacy = context.config.legacyFiles.includes(entry.path);
      // Content equal to the parent's is a restore already done (an interrupted rollback's own work).
      const wanted = await context.git.fileAt(parent, entry.path);
      const current = await fs.readFile(inRepo(context, entry.path)).catch(() => undefined);
      if (wanted === undefined ? current === undefined : current !== undefined && current.equals(wanted)) {
        alreadyRestored.push(entry.path);
        continue;
      }
      if (uncommitted.has(entry.path)) {
        manual.push({ path: entry.path, why: `has uncommitted changes; compare it with \`git show ${stabilize.slice(0, 12)}^:${entry.path}\`` });
        continue;
      }
      const later = await context.git.commitsTouching(stabilize, entry.path);
      if (later.length > 0 && !isLegacy) {
        manual.push({ path: entry.path, why: `changed since stabilize by ${later.map((commit) => commit.slice(0, 12)).join(', ')}; bring back its flag branch by hand (\`git diff ${stabilize.slice(0, 12)}^ ${stabilize.slice(0, 12)} -- ${entry.path}\` shows what stabilize changed)` });
        continue;
      }
      if (entry.status === 'A') toRemove.push(entry.path);
      else toRestore.push(entry.path);
    }
    await context.git.restore(parent, toRestore);
    await context.git.rm(toRemove);
    await context.git.add(alreadyRestored);
    restored = [...toRestore, ...toRemove, ...alreadyRestored];
  }
  await checkpoint('after-restore');

  // Only what differs from HEAD goes into the commit (a path can already hold its old content).
  const toCommit = restored.length === 0 ? [] : (await context.git.ok(['diff', '--cached', '--name-only', '-z', 'HEAD', '--', ...restored], 'diff')).split('\0').filter(Boolean);
  let commit: string | null = null;
  if (toCommit.length > 0) {
    commit = await context.git.commitPaths({
      subject: `wsmig: roll back to the legacy SSE implementation`,
      body: how === 'revert'
        ? `Reverts ${stabilize} (stabilize).`
        : `Restores from ${stabilize}^ the files stabilize changed that no later work touched (${why}).${manual.length > 0 ? `\n\nLeft for manual work:\n${manual.map((entry) => `  ${entry.path}: ${entry.why}`).join('\n')}` : ''}`,
      phase: 'rollback',
      paths: toCommit,
      trailers: { [REVERTS_TRAILER]: stabilize },
      noVerify: true,
    });
    if (await context.git.revertInProgress()) await context.git.ok(['revert', '--quit'], 'revert --quit');
  }
  return {
    action: how,
    stabilizeCommit: stabilize,
    detail: how === 'revert' ? `reverted ${stabilize.slice(0, 12)}` : `restored ${restored.length} file(s) from ${stabilize.slice(0, 12)}^ (${why})`,
    commit,
    restored,
    manual,
    legacyFiles: await compareLegacyFiles(context, parent),
  };
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '')?.trim() ?? text;
}
