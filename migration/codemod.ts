/**
 * The codemods as the phases use them: sse-to-ws (migrate) and remove-flag (stabilize), run on
 * repository paths with the migration's config, reporting changed files and manual sites.
 */
import { WsmigError } from '../lib/errors.js';
import type { MigrationContext } from './context.js';

export interface ManualSite {
  file: string;
  line: number;
  reason: string;
}

export interface CodemodSummary {
  /** Files the transform changed (or would change, in a dry run), repository-relative. */
  changed: string[];
  manual: ManualSite[];
  failed: { file: string; message: string }[];
}

/** One line per manual site: `  file:line: reason`. */
export function describeManualWork(manual: readonly ManualSite[]): string {
  return manual.map((site) => `  ${site.file}:${site.line}: ${site.reason}`).join('\n');
}

/** Runs a codemod on repository paths. */
export async function runCodemod(context: MigrationContext, name: 'sse-to-ws' | 'remove-flag', paths: readonly string[], options: { dry: boolean }): Promise<CodemodSummary> {
  throw new WsmigError('CODEMOD_RUNNER_MISSING', `the codemods runner is not available yet (${name} on ${paths.join(', ')} in ${context.root}, dry ${options.dry})`);
}
