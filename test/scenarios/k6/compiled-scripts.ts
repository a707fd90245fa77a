/**
 * Bundles scenarios/k6 into a temporary folder, as `npm run build` does into dist/k6, so the k6
 * engine's tests use freshly bundled scripts without touching dist/ (other tests run from it).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from '../../helpers/cli.js';

/** scenarios/k6/bundle.mjs, the bundler `npm run build` runs. */
export const K6_BUNDLER = path.join(REPO_ROOT, 'scenarios', 'k6', 'bundle.mjs');

export async function compileK6Scripts(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wsmig-k6-scripts-'));
  const { bundleK6Scripts } = (await import(pathToFileURL(K6_BUNDLER).href)) as { bundleK6Scripts(outDir: string): Promise<void> };
  await bundleK6Scripts(dir);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
