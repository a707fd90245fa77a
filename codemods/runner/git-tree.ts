/**
 * The git checks a codemod run makes before writing: it rewrites files in place, so every file it may
 * touch must be committed (reviewable with `git diff`, undoable with `git checkout`).
 */
import { execa } from 'execa';
import { UsageError } from '../../lib/errors.js';

/** The repository's top folder, or `undefined` outside a git repository (or without git). */
export async function gitTopLevel(cwd: string): Promise<string | undefined> {
  const result = await execa('git', ['rev-parse', '--show-toplevel'], { cwd, reject: false });
  return result.exitCode === 0 ? result.stdout.trim() : undefined;
}

/**
 * Refuses to go on when the paths are not in a git repository or have uncommitted changes
 * (untracked files included).
 * @throws UsageError `CODEMOD_NOT_GIT` or `CODEMOD_DIRTY_TREE`, saying how to go on.
 */
export async function assertCommitted(paths: readonly string[], cwd: string): Promise<void> {
  const top = await gitTopLevel(cwd);
  if (!top) {
    throw new UsageError('CODEMOD_NOT_GIT', `${cwd} is not inside a git repository: the codemod would rewrite files that could not be reviewed or undone. Commit the code to git first, preview with --dry, or pass --force.`);
  }
  const result = await execa('git', ['status', '--porcelain', '--untracked-files=all', '--', ...paths], { cwd: top, reject: false });
  if (result.exitCode !== 0) {
    throw new UsageError('CODEMOD_GIT_STATUS', `git status failed under ${top}: ${result.stderr.trim()}. Check that the paths are inside the repository.`);
  }
  const dirty = result.stdout.split('\n').filter((line) => line.trim().length > 0);
  if (dirty.length > 0) {
    const listed = dirty.slice(0, 10).map((line) => `  ${line}`).join('\n');
    const more = dirty.length > 10 ? `\n  … and ${dirty.length - 10} more` : '';
    throw new UsageError('CODEMOD_DIRTY_TREE', `the paths to transform have uncommitted changes:\n${listed}${more}\nCommit or stash them first so the codemod's changes can be reviewed on their own, preview with --dry, or pass --force.`);
  }
}
