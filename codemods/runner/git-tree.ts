/**
 * The git check a codemod run makes before writing: it rewrites files in place, so every file it may
 * touch must be committed (reviewable with `git diff`, undoable with `git checkout`).
 */
import { UsageError, WsmigError } from '../../lib/errors.js';
import { listChangedFiles, uncommittedChanges } from '../../lib/git.js';

/**
 * Refuses to go on when the paths are not in a git repository or have uncommitted changes
 * (untracked files included).
 * @param top the top folder of the repository holding the paths (`gitTopLevel`), `undefined` outside one
 * @throws UsageError `CODEMOD_NOT_GIT`, `CODEMOD_GIT_STATUS` or `CODEMOD_DIRTY_TREE`, saying how to go on.
 */
export async function assertCommitted(paths: readonly string[], top: string | undefined): Promise<void> {
  if (!top) {
    throw new UsageError('CODEMOD_NOT_GIT', `${paths[0]} is not inside a git repository: the codemod would rewrite files that could not be reviewed or undone. Commit the code to git first, preview with --dry, or pass --force.`);
  }
  const dirty = await uncommittedChanges(top, paths).catch((error: unknown) => {
    if (error instanceof WsmigError && error.code === 'GIT_FAILED') throw new UsageError('CODEMOD_GIT_STATUS', `${error.message}. Check that the paths are inside the repository.`, { cause: error });
    throw error;
  });
  if (dirty.length > 0) {
    const listed = listChangedFiles(dirty.map((entry) => `${entry.code} ${entry.path}`));
    throw new UsageError('CODEMOD_DIRTY_TREE', `the paths to transform have uncommitted changes:\n${listed}\nCommit or stash them first so the codemod's changes can be reviewed on their own, preview with --dry, or pass --force.`);
  }
}
