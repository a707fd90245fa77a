/**
 * `wsmig load export k6 <scenario>`: everything needed to run a scenario with k6 elsewhere — the
 * script (one bundled file, so the folder also fits a ConfigMap), the options it runs with,
 * the thresholds k6 can evaluate, a `run.sh`, a README, and with `operator` a k6-operator
 * `TestRun` manifest for distributed load.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../../lib/atomic-write.js';
import { UsageError } from '../../../lib/errors.js';
import { packageVersion } from '../../../lib/package-info.js';
import { SOCKETS_PER_VU } from '../../k6/lib/scenario-knobs.js';
import type { LoadedProfile } from '../../profiles/load-profile.js';
import { readThresholdsFile } from '../../thresholds/index.js';
import { k6EnvArguments, k6EnvFor, type K6Target } from './k6-env.js';
import { k6ThresholdsFor } from './k6-thresholds.js';
import { OPERATOR_SCRIPT_DIR, operatorManifest, resourceNameOf } from './operator-manifest.js';
import { assertK6CanSpeak, k6ProfileNotes, withEmbeddedProfile } from './profile-script.js';
import { COMPILED_SCRIPTS_DIR, assertK6Scenario, bundledScript, type ScriptFile } from './script-files.js';

/** WebSocket connections per k6 VU when `socketsPerVu` is not given (the scripts' default). */
export const DEFAULT_SOCKETS_PER_VU = SOCKETS_PER_VU.default as number;

/** The target a script uses when none is given: the seed's `WS_ENDPOINT`. */
const DEFAULT_EXPORT_TARGET: K6Target = { wsUrl: 'ws://localhost:3000/ws' };

export interface ExportK6Options {
  outDir: string;
  /** Resolved scenario options (the catalog's keys: `connections`, `durationMs`, …). */
  options: Readonly<Record<string, number | string>>;
  /** Where the load goes; default the profile's connect.url, else ws://localhost:3000/ws. `run.sh` also takes WSMIG_TARGET from its environment. */
  target?: K6Target;
  /** The target's protocol (`--profile`): embedded into the script, which then speaks it. */
  profile?: LoadedProfile;
  /** A wsmig thresholds file (JSON or YAML); what k6 can evaluate is written as thresholds.json. */
  thresholdsFile?: string;
  /** Also write a k6-operator manifest (ConfigMap + TestRun). */
  operator?: boolean;
  /** k6-operator runners (default 1). */
  parallelism?: number;
  /** Overwrite files that already exist. */
  force?: boolean;
  /** Where the compiled scripts are (default: this package's dist/k6). */
  scriptsDir?: string;
}

/** What was written. */
export interface ExportK6Outcome {
  outDir: string;
  /** Files written, relative to `outDir`. */
  files: string[];
  /** The command that runs it (from `outDir`). */
  runCommand: string;
  /** Things to know: thresholds k6 cannot evaluate, how distributed thresholds behave. */
  notes: string[];
}

/** Quotes a value for a POSIX shell. */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

function runScript(scenario: string, scriptFile: string, env: Readonly<Record<string, string>>, hasThresholds: boolean): string {
  const lines = [
    '#!/bin/sh',
    `# wsmig scenario "${scenario}" for k6, exported by wsmig ${packageVersion()}.`,
    '# Usage: ./run.sh [extra k6 arguments, e.g. -e WSMIG_CONNECTIONS=500]',
    '# Environment: WSMIG_TARGET (WebSocket URL), WSMIG_HTTP (HTTP base), WSMIG_TOKEN, WSMIG_ADMIN_TOKEN,',
    '# WSMIG_SUMMARY (where the summary goes, default summary.json). Then: wsmig report import summary.json',
    'set -eu',
    'cd "$(dirname "$0")"',
    'exec k6 run --summary-export "${WSMIG_SUMMARY:-summary.json}" \\',
  ];
  for (const [name, value] of Object.entries(env)) {
    if (name === 'WSMIG_TARGET' || name === 'WSMIG_HTTP') {
      lines.push(`  -e ${name}="\${${name}:-${value.replace(/["$`\\]/g, '\\$&')}}" \\`);
    } else if (name !== 'WSMIG_THRESHOLDS') {
      lines.push(`  -e ${shellQuote(`${name}=${value}`)} \\`);
    }
  }
  if (hasThresholds) lines.push('  -e WSMIG_THRESHOLDS="$PWD/thresholds.json" \\');
  lines.push(`  "$@" ${shellQuote(scriptFile)}`);
  return `${lines.join('\n')}\n`;
}

function readme(scenario: string, scriptFile: string, options: Readonly<Record<string, number | string>>, notes: readonly string[], operator: boolean, profile: LoadedProfile | undefined): string {
  const knobs = Object.entries(options)
    .map(([key, value]) => `| \`${key}\` | \`${String(value)}\` |`)
    .join('\n');
  const speaks =
    profile === undefined || profile.envelope
      ? "It speaks wsmig's own protocol."
      : `It speaks the protocol profile \`${profile.profile.name}\` (${profile.source}), written at its top\nas \`var WSMIG_PROFILE = {…}\` (validated, variables resolved) and read by wsmig's own profile code.`;
  return `# wsmig scenario \`${scenario}\` for k6

Exported by wsmig ${packageVersion()}. The script is one plain ES module, bundled with the wsmig
protocol code it needs, that imports only k6 modules. ${speaks}

## Run it

\`\`\`sh
WSMIG_TARGET=ws://your-server:3000/ws ./run.sh
wsmig report import summary.json --thresholds your-thresholds.json
\`\`\`

\`run.sh\` runs \`k6 run --summary-export summary.json ${scriptFile}\` with the options below as
\`-e WSMIG_*\` variables; add \`-e WSMIG_<KNOB>=value\` to change one. \`wsmig report import\`
turns the summary into a wsmig Result and evaluates the full threshold grammar (windows,
\`minSamples\`), which k6 cannot.

## Options

| option | value |
|---|---|
${knobs}

${notes.length > 0 ? `## Notes\n\n${notes.map((note) => `- ${note}`).join('\n')}\n` : ''}${
    operator
      ? `
## Distributed, with the k6-operator

\`\`\`sh
kubectl apply -f k6-testrun.yaml
\`\`\`

\`k6-testrun.yaml\` holds a ConfigMap with these files (mounted at ${OPERATOR_SCRIPT_DIR}) and a
\`TestRun\`. Each runner runs an equal share of the VUs and evaluates the thresholds **on its own
share only**: a runner can pass while the whole run fails, so k6's exit codes do not judge the
run. Judge it with wsmig: have the runners write \`--summary-export\` files to a volume
(\`spec.runner.volumes\`/\`volumeMounts\`) and \`wsmig report import\` them with your
thresholds. Counts and rates add up across runners; percentiles do not combine from summaries —
for exact whole-run percentiles, send every runner's samples to one output (e.g. Prometheus remote write).
`
      : ''
  }`;
}

/**
 * Writes a scenario's k6 export into `outDir`. Every file is written atomically; nothing is
 * written when one would overwrite an existing file without `force`.
 * @throws UsageError for a scenario without a k6 script, a profile it cannot speak (naming the
 *   field), an unbuilt script, an existing file, a bad thresholds file or a bad parallelism.
 */
export async function exportK6Scenario(name: string, options: ExportK6Options): Promise<ExportK6Outcome> {
  assertK6Scenario(name);
  if (options.profile !== undefined) assertK6CanSpeak(name, options.profile);
  const parallelism = options.parallelism ?? 1;
  if (options.parallelism !== undefined && !options.operator) {
    throw new UsageError('BAD_PARALLELISM', '--parallelism applies to the k6-operator manifest: add --operator.');
  }
  const bundled = await bundledScript(name, options.scriptsDir ?? COMPILED_SCRIPTS_DIR);
  const script = options.profile === undefined ? bundled : withEmbeddedProfile(bundled, options.profile);
  const scriptFile = script.name;
  const profileUrl = options.profile?.profile.connect?.url;
  const target = options.target ?? (profileUrl === undefined ? DEFAULT_EXPORT_TARGET : { wsUrl: profileUrl });
  const notes: string[] = k6ProfileNotes(options.profile, options.options);

  const files: ScriptFile[] = [script];
  if (options.thresholdsFile !== undefined) {
    const converted = k6ThresholdsFor(await readThresholdsFile(options.thresholdsFile));
    notes.push(...converted.notes);
    files.push({ name: 'thresholds.json', content: `${JSON.stringify(converted.thresholds, null, 2)}\n` });
  }
  const env = k6EnvFor(options.options, target, options.thresholdsFile === undefined ? undefined : 'thresholds.json');
  files.push({
    name: 'options.json',
    content: `${JSON.stringify(
      {
        scenario: name,
        engine: 'k6',
        wsmig: packageVersion(),
        ...(options.profile === undefined ? {} : { profile: { name: options.profile.profile.name, source: options.profile.source } }),
        options: options.options,
        env,
      },
      null,
      2,
    )}\n`,
  });
  const configMapFiles = files.filter((file) => file.name !== 'options.json');
  files.push({ name: 'run.sh', content: runScript(name, scriptFile, env, options.thresholdsFile !== undefined) });

  if (options.operator) {
    const operatorEnv = { ...env };
    if (options.thresholdsFile !== undefined) operatorEnv['WSMIG_THRESHOLDS'] = `${OPERATOR_SCRIPT_DIR}/thresholds.json`;
    const connections = Number(options.options['connections']);
    const socketsPerVu = Number(options.options['socketsPerVu'] ?? DEFAULT_SOCKETS_PER_VU);
    const vus = Math.ceil(connections / socketsPerVu);
    if (Number.isFinite(vus) && vus < parallelism) {
      notes.push(`${connections} connections make ${vus} k6 VUs (${socketsPerVu} connections each) for ${parallelism} runners: some runners will hold none; lower WSMIG_SOCKETS_PER_VU or the parallelism.`);
    }
    notes.push('k6-operator: each runner evaluates the thresholds on its own share of the load only, so k6\'s exit codes do not judge the run; `wsmig report import` of the runners\' summaries, with your thresholds, does (see README.md).');
    files.push({
      name: 'k6-testrun.yaml',
      content: operatorManifest({ name: resourceNameOf(name), scriptFile, files: configMapFiles, parallelism, arguments: k6EnvArguments(operatorEnv) }),
    });
  }
  files.push({ name: 'README.md', content: readme(name, scriptFile, options.options, notes, options.operator === true, options.profile) });

  const existing = files.map((file) => file.name).filter((file) => existsSync(path.join(options.outDir, file)));
  if (existing.length > 0 && !options.force) {
    throw new UsageError('EXPORT_EXISTS', `${options.outDir} already has ${existing.join(', ')}: choose another --out folder, or pass --force to overwrite.`);
  }
  for (const file of files) {
    await writeFileAtomic(path.join(options.outDir, file.name), file.content, file.name === 'run.sh' ? 0o755 : undefined);
  }
  return { outDir: options.outDir, files: files.map((file) => file.name), runCommand: './run.sh', notes };
}
