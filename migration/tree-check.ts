/**
 * The dirty-tree rule: a phase commits code, so it refuses to start over uncommitted changes that
 * are not its own (they would end up mixed into its commit) unless `--force`. wsmig's own files
 * never count: `.wsmig/`, `wsmig.config.json` (init writes it, prepare commits it) and the env
 * files it edits in place. After an interrupted run, what the
 * interrupted step may have written does not count either: the rerun finishes that work.
 */
import { WsmigError } from '../lib/errors.js';
import { listChangedFiles } from '../lib/git.js';
import { CONFIG_FILE_NAME } from './config.js';
import type { MigrationContext } from './context.js';
import { WSMIG_DIR } from './paths.js';

/** True when `file` (repository-relative, forward slashes) is `prefix` or inside it. */
export function isUnder(file: string, prefix: string): boolean {
  const clean = prefix.replace(/^\.\/+/, '').replace(/\/+$/, '');
  if (clean === '' || clean === '.') return true;
  return file === clean || file.startsWith(`${clean}/`);
}

/** Uncommitted paths that are `prefixes` or inside them: what a step that changed them has to commit. */
export async function uncommittedUnder(context: MigrationContext, prefixes: readonly string[]): Promise<string[]> {
  const entries = await context.git.status();
  return entries.map((entry) => entry.path).filter((file) => prefixes.some((prefix) => isUnder(file, prefix)));
}

/** Uncommitted paths other than wsmig's own and the `allowed` ones. */
export async function foreignChanges(context: MigrationContext, allowed: readonly string[]): Promise<string[]> {
  const ignored = [WSMIG_DIR, CONFIG_FILE_NAME, ...context.config.envFiles, ...allowed];
  const entries = await context.git.status();
  return entries.map((entry) => entry.path).filter((file) => !ignored.some((prefix) => isUnder(file, prefix)));
}

/**
 * Refuses a dirty tree unless forced.
 * @throws WsmigError DIRTY_TREE listing the files.
 */
export async function assertCleanTree(context: MigrationContext, options: { force: boolean; allowed: readonly string[]; command: string }): Promise<string[]> {
  const dirty = await foreignChanges(context, options.allowed);
  if (dirty.length === 0 || options.force) return dirty;
  throw new WsmigError(
    'DIRTY_TREE',
    `The working tree has uncommitted changes that are not wsmig's:\n${listChangedFiles(dirty)}\n${options.command} commits its changes, and yours would be mixed in. Commit or stash them first, or rerun with --force to go ahead anyway.`,
    { details: { dirty } },
  );
}
