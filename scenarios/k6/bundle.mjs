/**
 * Bundles each k6 script (`scenarios/k6/<scenario>.ts`) with esbuild into one self-contained ES
 * module, `<outDir>/<scenario>.js` (default `dist/k6`), as Grafana's k6 TypeScript template does:
 * the scripts import wsmig's own protocol, close-code policy, backoff and duration modules, and the
 * bundle carries them, so there is no copy to keep in step. k6 modules (`k6`, `k6/*`) stay imports:
 * k6 provides them. The type check against @types/k6 is `tsc -p scenarios/k6/tsconfig.json`;
 * `npm run build` runs both. Usage: `node scenarios/k6/bundle.mjs [outDir]`.
 */
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const SCRIPTS_DIR = path.dirname(fileURLToPath(import.meta.url));

/** The scenario scripts: every `.ts` file directly in scenarios/k6 but the type declarations. */
export function k6ScriptEntries() {
  return readdirSync(SCRIPTS_DIR)
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .sort()
    .map((name) => path.join(SCRIPTS_DIR, name));
}

/** Writes `<outDir>/<scenario>.js` for every scenario script. */
export async function bundleK6Scripts(outDir) {
  await build({
    entryPoints: k6ScriptEntries(),
    outdir: outDir,
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    // What the scripts were compiled to before they were bundled; k6 runs it as it is.
    target: 'es2017',
    external: ['k6', 'k6/*'],
    charset: 'utf8',
    legalComments: 'none',
    logLevel: 'warning',
  });
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const distK6 = path.join(SCRIPTS_DIR, '..', '..', 'dist', 'k6');
  // dist/k6 holds nothing else: clear what an older build left there (per-file helpers before bundling).
  if (process.argv[2] === undefined) rmSync(distK6, { recursive: true, force: true });
  await bundleK6Scripts(path.resolve(process.argv[2] ?? distK6));
}
