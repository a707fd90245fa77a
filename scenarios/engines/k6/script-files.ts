/**
 * The compiled k6 scripts (`npm run build` compiles scenarios/k6 to dist/k6) and the
 * files each one needs. An exported script is laid out flat — `<scenario>.js` beside
 * `wsmig-lib-<helper>.js` and `wsmig-runtime-<helper>.js` — because a Kubernetes ConfigMap, which
 * the k6-operator mounts as the script folder, cannot hold sub-folders.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../../lib/errors.js';
import { PACKAGE_ROOT } from '../../../lib/package-info.js';

/** Where `npm run build` puts the compiled k6 scripts. */
export const COMPILED_SCRIPTS_DIR = path.join(PACKAGE_ROOT, 'dist', 'k6');

/** The scenarios that have a k6 script. */
export const K6_SCENARIOS = ['latency', 'reconnect-storm', 'sync-progress', 'soak'] as const;
export type K6ScenarioName = (typeof K6_SCENARIOS)[number];

/**
 * Checks that a scenario has a k6 script.
 * @throws UsageError naming the scenarios that do.
 */
export function assertK6Scenario(name: string): asserts name is K6ScenarioName {
  if (!(K6_SCENARIOS as readonly string[]).includes(name)) {
    throw new UsageError(
      'K6_NO_SCRIPT',
      `Scenario "${name}" has no k6 script: k6 runs ${K6_SCENARIOS.join(', ')}. Use --engine native (or autocannon for the HTTP scenarios).`,
    );
  }
}

/** The compiled script of a scenario. @throws UsageError when it has not been built. */
export function compiledScriptPath(name: K6ScenarioName, scriptsDir = COMPILED_SCRIPTS_DIR): string {
  const file = path.join(scriptsDir, `${name}.js`);
  if (!existsSync(file)) {
    throw new UsageError('K6_SCRIPT_NOT_BUILT', `The k6 script for "${name}" is missing (${file}). Run \`npm run build\` in the wsmig package to compile scenarios/k6.`);
  }
  return file;
}

const RELATIVE_IMPORT = /(\bfrom\s*|\bimport\s*)(['"])(\.{1,2}\/[^'"]+)\2/g;

/** The flat name of a compiled file, relative to the scripts folder: `lib/knobs.js` → `wsmig-lib-knobs.js`. */
function flatNameOf(relativePath: string): string {
  const posix = relativePath.split(path.sep).join('/');
  return posix.includes('/') ? `wsmig-${posix.replace(/\//g, '-')}` : posix;
}

/** One file of an exported script. */
export interface ScriptFile {
  /** Its name in the export (flat). */
  name: string;
  /** Its content, imports rewritten to the flat names. */
  content: string;
}

/**
 * A scenario's script and every helper it imports (transitively), flattened: file names made flat
 * and import specifiers rewritten to match. The script comes first.
 */
export async function flattenedScript(name: K6ScenarioName, scriptsDir = COMPILED_SCRIPTS_DIR): Promise<ScriptFile[]> {
  const entry = compiledScriptPath(name, scriptsDir);
  const files: ScriptFile[] = [];
  const seen = new Set<string>();
  const visit = async (absolute: string): Promise<void> => {
    const relative = path.relative(scriptsDir, absolute);
    if (seen.has(relative)) return;
    seen.add(relative);
    const code = await fs.readFile(absolute, 'utf8');
    const dependencies: string[] = [];
    const content = code.replace(RELATIVE_IMPORT, (_whole, keyword: string, quote: string, specifier: string) => {
      const target = path.resolve(path.dirname(absolute), specifier);
      const targetRelative = path.relative(scriptsDir, target);
      if (targetRelative.startsWith('..') || path.isAbsolute(targetRelative)) {
        throw new UsageError('K6_SCRIPT_LAYOUT', `${relative} imports ${specifier}, outside the k6 scripts folder: k6 scripts may import only k6 modules and their own helpers.`);
      }
      dependencies.push(target);
      return `${keyword}${quote}./${flatNameOf(targetRelative)}${quote}`;
    });
    files.push({ name: flatNameOf(relative), content });
    for (const dependency of dependencies) await visit(dependency);
  };
  await visit(entry);
  return files;
}
