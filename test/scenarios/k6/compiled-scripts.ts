/**
 * Compiles scenarios/k6 into a temporary folder, as `npm run build` does into dist/, so the k6
 * engine's tests use freshly compiled scripts without touching dist/ (other tests run from it).
 */
import { execa } from 'execa';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../helpers/cli.js';

export async function compileK6Scripts(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wsmig-k6-scripts-'));
  await execa(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(REPO_ROOT, 'scenarios', 'k6', 'tsconfig.json'), '--outDir', dir]);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
