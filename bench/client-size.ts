/**
 * `npm run bench:client-size`: what `wsmig/client` costs a page. Bundles it for the browser with
 * esbuild (minified, tree-shaken, as an app's bundler would) for three imports — `WSClient` alone,
 * `WSClient` + `SyncManager`, and everything with the drop-in adapters — and prints minified and
 * gzipped sizes against the targets (≤ 6 KB gzipped for WSClient alone, ≤ 12 KB with the adapters)
 * and against partysocket's `ReconnectingWebSocket`, the smallest reconnecting client, bundled the
 * same way in the same run (the floor). Fails a target missed, or a bundle that pulls in anything
 * Node-only.
 *
 * `--modules` also lists, per bundle, the modules that weigh most in it (esbuild's metafile: bytes
 * of minified output; 12 of them, or `MODULES_LISTED=N`); `--json` prints the figures as JSON instead.
 */
import { build } from 'esbuild';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLIENT = path.join(ROOT, 'dist/reference/client/index.js');
const MODULES_LISTED = Number(process.env.MODULES_LISTED ?? 12);

interface Case {
  name: string;
  /** The entry module's source: what the page imports and keeps. */
  entry: string;
  /** Gzipped bytes at most, when the case has a target. */
  targetGzip?: number;
}

interface Measured {
  name: string;
  minifiedBytes: number;
  gzippedBytes: number;
  targetGzipBytes: number | undefined;
  nodeOnly: boolean;
  /** Its modules, heaviest first: path in the repository and bytes of minified output. */
  modules: Array<{ path: string; bytes: number }>;
}

function importing(from: string, names: readonly string[]): string {
  return `import { ${names.join(', ')} } from ${JSON.stringify(from)};\nglobalThis.__bench = { ${names.join(', ')} };\n`;
}

const CASES: Case[] = [
  { name: 'WSClient alone', entry: importing(CLIENT, ['WSClient']), targetGzip: 6 * 1024 },
  { name: 'WSClient + SyncManager', entry: importing(CLIENT, ['WSClient', 'SyncManager']) },
  { name: 'with the drop-in adapters', entry: importing(CLIENT, ['WSClient', 'SyncManager', 'WsEventSource', 'wsFetch', 'wsFetchEventSource', 'getSharedClient']), targetGzip: 12 * 1024 },
];

const FLOOR: Case = { name: 'partysocket (floor)', entry: `import ReconnectingWebSocket from 'partysocket/ws';\nglobalThis.__bench = { ReconnectingWebSocket };\n` };

async function measure(entry: Case): Promise<Measured> {
  const result = await build({
    stdin: { contents: entry.entry, resolveDir: ROOT, loader: 'js' },
    absWorkingDir: ROOT,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    metafile: true,
    outfile: 'bundle.js',
    logLevel: 'silent',
  });
  const file = result.outputFiles.find((output) => output.path.endsWith('.js'));
  if (!file) throw new Error('esbuild produced no output');
  const inputs = Object.values(result.metafile.outputs)[0]?.inputs ?? {};
  const modules = Object.entries(inputs)
    .map(([input, { bytesInOutput }]) => ({ path: input, bytes: bytesInOutput }))
    .filter((module) => module.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
  return {
    name: entry.name,
    minifiedBytes: file.contents.length,
    gzippedBytes: gzipSync(file.contents, { level: 9 }).length,
    targetGzipBytes: entry.targetGzip,
    nodeOnly: /\bnode:|require\(["'](ws|fs|http|https|net|tls)["']\)/.test(file.text),
    modules,
  };
}

/** The floor, or why it could not be measured (partysocket is a devDependency). */
async function measureFloor(): Promise<Measured | string> {
  try {
    return await measure(FLOOR);
  } catch (error) {
    return `partysocket not measured (${error instanceof Error ? error.message.split('\n')[0] : String(error)}): run npm install`;
  }
}

function kb(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KB`;
}

const args = process.argv.slice(2);
const results: Measured[] = [];
for (const entry of CASES) results.push(await measure(entry));
const floor = await measureFloor();
const failed = results.some((result) => result.nodeOnly || (result.targetGzipBytes !== undefined && result.gzippedBytes > result.targetGzipBytes));

if (args.includes('--json')) {
  process.stdout.write(`${JSON.stringify({ bundles: results, floor: typeof floor === 'string' ? null : floor, floorSkipped: typeof floor === 'string' ? floor : undefined }, null, 2)}\n`);
} else {
  process.stdout.write('wsmig/client bundled for the browser (esbuild, minified, esm)\n');
  const ratio = (result: Measured): string => (typeof floor === 'string' ? '' : `  ${(result.gzippedBytes / floor.gzippedBytes).toFixed(1)}× floor`);
  for (const result of [...results, ...(typeof floor === 'string' ? [] : [floor])]) {
    const target = result.targetGzipBytes;
    const verdict = target === undefined ? '' : `  ${result.gzippedBytes <= target ? 'PASS' : 'FAIL'} target <= ${kb(target)}`;
    const nodeOnly = result.nodeOnly ? '  FAIL: Node-only code in the browser bundle' : '';
    process.stdout.write(`  ${result.name.padEnd(28)} ${kb(result.minifiedBytes).padStart(9)} minified  ${kb(result.gzippedBytes).padStart(8)} gzipped${result === floor ? '' : ratio(result)}${verdict}${nodeOnly}\n`);
  }
  if (typeof floor === 'string') process.stdout.write(`  ${floor}\n`);
  if (args.includes('--modules')) {
    for (const result of results) {
      process.stdout.write(`\n${result.name}: the ${MODULES_LISTED} heaviest modules (minified bytes)\n`);
      for (const module of result.modules.slice(0, MODULES_LISTED)) process.stdout.write(`  ${String(module.bytes).padStart(7)}  ${module.path}\n`);
    }
  }
}
process.exitCode = failed ? 1 : 0;
