/**
 * The codemods as the phases use them: sse-to-ws (migrate) and remove-flag (stabilize), run on
 * repository paths with the migration's config. The phases check the working tree themselves
 * (wsmig's own files and an interrupted step's output are allowed), so the runner's own git check
 * is not repeated here.
 */
import { runCodemod as runCodemodOnFiles } from '../codemods/runner.js';
import { codemodsConfigOf } from './codemods-section.js';
import type { MigrationContext } from './context.js';

export interface ManualSite {
  file: string;
  line: number;
  reason: string;
}

export interface CodemodSummary {
  /** Files the transform changed (or would change, in a dry run), repository-relative. */
  changed: string[];
  /** Sites left for a person, each marked in its file with a `wsmig-codemod:` comment. */
  manual: ManualSite[];
  failed: { file: string; message: string }[];
}

/** One line per manual site: `  file:line: reason`. */
export function describeManualWork(manual: readonly ManualSite[]): string {
  return manual.map((site) => `  ${site.file}:${site.line}: ${site.reason}`).join('\n');
}

/** Runs a codemod on repository paths (relative to the root). */
export async function runCodemod(context: MigrationContext, name: 'sse-to-ws' | 'remove-flag', paths: readonly string[], options: { dry: boolean }): Promise<CodemodSummary> {
  const summary = await runCodemodOnFiles({
    codemod: name,
    paths,
    cwd: context.root,
    dry: options.dry,
    force: true,
    config: { ...codemodsConfigOf(context.config), root: context.root, configFile: context.configFile },
    logger: context.logger,
  });
  return { changed: summary.changed, manual: summary.manual, failed: summary.failed };
}
