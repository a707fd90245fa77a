/**
 * `npm run bench:client-size`: what `wsmig/client` costs a page. Bundles it for the browser with
 * esbuild (minified, tree-shaken, as an app's bundler would) for three imports — `WSClient` alone,
 * `WSClient` + `SyncManager`, and everything with the drop-in adapters — and prints minified and
 * gzipped sizes against the targets (≤ 6 KB gzipped for WSClient alone, ≤ 12 KB with the adapters).
 * Also fails a bundle that pulls in anything Node-only.
 */
import { build } from 'esbuild';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLIENT = path.join(ROOT, 'dist/reference/client/index.js');

interface Case {
  name: string;
  imports: string[];
  /** Gzipped bytes at most, when the case has a target. */
  targetGzip?: number;
}

const CASES: Case[] = [
  { name: 'WSClient alone', imports: ['WSClient'], targetGzip: 6 * 1024 },
  { name: 'WSClient + SyncManager', imports: ['WSClient', 'SyncManager'] },
  { name: 'with the drop-in adapters', imports: ['WSClient', 'SyncManager', 'WsEventSource', 'wsFetch', 'wsFetchEventSource', 'getSharedClient'], targetGzip: 12 * 1024 },
];

async function bundle(imports: readonly string[]): Promise<Uint8Array> {
  const result = await build({
    stdin: { contents: `import { ${imports.join(', ')} } from ${JSON.stringify(CLIENT)};\nglobalThis.__wsmig = { ${imports.join(', ')} };\n`, resolveDir: ROOT, loader: 'js' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error('esbuild produced no output');
  return file.contents;
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

let failed = false;
process.stdout.write('wsmig/client bundled for the browser (esbuild, minified, esm)\n');
for (const entry of CASES) {
  const code = await bundle(entry.imports);
  const gzipped = gzipSync(code, { level: 9 }).length;
  const nodeOnly = /\bnode:|require\(["'](ws|fs|http|https|net|tls)["']\)/.test(Buffer.from(code).toString('utf8'));
  const verdict = entry.targetGzip === undefined ? '' : gzipped <= entry.targetGzip ? `  PASS target <= ${kb(entry.targetGzip)}` : `  FAIL target <= ${kb(entry.targetGzip)}`;
  if ((entry.targetGzip !== undefined && gzipped > entry.targetGzip) || nodeOnly) failed = true;
  process.stdout.write(`  ${entry.name.padEnd(28)} ${kb(code.length).padStart(9)} minified  ${kb(gzipped).padStart(8)} gzipped${verdict}${nodeOnly ? '  FAIL: Node-only code in the browser bundle' : ''}\n`);
}
process.exitCode = failed ? 1 : 0;
