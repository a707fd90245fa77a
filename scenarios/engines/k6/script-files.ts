/**
 * The bundled k6 scripts: `npm run build` bundles each of scenarios/k6 into one self-contained ES
 * module in dist/k6 (scenarios/k6/bundle.mjs), importing only k6 modules — so an exported script is
 * one file, which also fits the flat ConfigMap the k6-operator mounts as the script folder.
 */
import { existsSync, promises as fs } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../../lib/errors.js';
import { PACKAGE_ROOT } from '../../../lib/package-info.js';

/** Where `npm run build` puts the bundled k6 scripts. */
export const COMPILED_SCRIPTS_DIR = path.join(PACKAGE_ROOT, 'dist', 'k6');

/** The scenarios that have a k6 script. */
export const K6_SCENARIOS = ['latency', 'reconnect-storm', 'sync-progress', 'soak', 'fan-out'] as const;
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

/** The bundled script of a scenario. @throws UsageError when it has not been built. */
export function compiledScriptPath(name: K6ScenarioName, scriptsDir = COMPILED_SCRIPTS_DIR): string {
  const file = path.join(scriptsDir, `${name}.js`);
  if (!existsSync(file)) {
    throw new UsageError('K6_SCRIPT_NOT_BUILT', `The k6 script for "${name}" is missing (${file}). Run \`npm run build\` in the wsmig package to bundle scenarios/k6.`);
  }
  return file;
}

const RELATIVE_IMPORT = /(?:\bfrom\s*|\bimport\s*)(['"])(\.{1,2}\/[^'"]+)\1/;

/** One file of an exported script. */
export interface ScriptFile {
  /** Its name in the export. */
  name: string;
  content: string;
}

/**
 * A scenario's bundled script, the one file k6 needs.
 * @throws UsageError when it imports a file of its own (a script compiled before the scripts were bundled: rebuild).
 */
export async function bundledScript(name: K6ScenarioName, scriptsDir = COMPILED_SCRIPTS_DIR): Promise<ScriptFile> {
  const file = compiledScriptPath(name, scriptsDir);
  const content = await fs.readFile(file, 'utf8');
  const relative = RELATIVE_IMPORT.exec(content);
  if (relative !== null) {
    throw new UsageError('K6_SCRIPT_LAYOUT', `${file} imports ${relative[2]}: it is not a bundled script. Run \`npm run build\` in the wsmig package to bundle scenarios/k6.`);
  }
  return { name: `${name}.js`, content };
}
