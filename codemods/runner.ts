/**
 * Runs a codemod over a project, programmatically: only JS/TS/Vue/Svelte files, never dependencies
 * or build output (runner/source-files.ts); files without any SSE word are not parsed at all
 * (runner/pre-check.ts); the compiled transform runs on jscodeshift's public API in wsmig's own
 * small runner (runner/transform-files.ts: atomic writes, worker threads for big trees), and a
 * missing transform is an error rather than a silent no-op.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { silentLogger, type Logger } from '../lib/logger.js';
import { UsageError, WsmigError } from '../lib/errors.js';
import { gitTopLevel } from '../lib/git.js';
import { PACKAGE_ROOT } from '../lib/package-info.js';
import { findConfigFolder } from '../lib/config-file.js';
import { resolveCodemodsConfig, type ResolvedCodemodsConfig } from './config.js';
import { readFileRecords, type FileRecord } from './lib/report-channel.js';
import type { TransformOptions } from './lib/define-transform.js';
import { codemodNamed } from './registry.js';
import { assertCommitted } from './runner/git-tree.js';
import { filesMatching } from './runner/pre-check.js';
import { sourceFiles } from './runner/source-files.js';
import { transformFiles } from './runner/transform-files.js';

export interface RunCodemodOptions {
  /** `sse-to-ws` or `remove-flag`. */
  codemod: string;
  /** Files and folders to transform, relative to `cwd`. */
  paths: readonly string[];
  /** Default: `process.cwd()`. */
  cwd?: string;
  /** Write nothing; report what would change. Also skips the git checks. */
  dry?: boolean;
  /** Run even when the paths have uncommitted changes or are not in a git repository. */
  force?: boolean;
  /** A `wsmig.config.json`; default: the one found from `cwd` upwards, else built-in defaults. */
  configFile?: string;
  /** The configuration to use, already resolved (the migration passes its own); wins over `configFile`. */
  config?: ResolvedCodemodsConfig;
  /** Keep the new content of changed files in the summary (`--print`). */
  captureOutput?: boolean;
  /** Skip files without SSE words before parsing (default true; the benchmark turns it off for its baseline). */
  preCheck?: boolean;
  /** Transform in this process instead of worker processes; default: when there are few files or few CPUs. */
  runInBand?: boolean;
  logger?: Logger;
}

/** What a run did. File paths are relative to `root`. */
export interface CodemodSummary {
  codemod: string;
  dry: boolean;
  /** The repository root the configuration's paths are relative to. */
  root: string;
  filesConsidered: number;
  /** Files that passed the text pre-check and were parsed. */
  filesParsed: number;
  changed: string[];
  unchanged: number;
  skipped: { file: string; reason: string }[];
  failed: { file: string; message: string }[];
  sitesConverted: number;
  /** Sites skipped because of a `wsmig-codemod-ignore` comment. */
  sitesIgnored: number;
  /** Sites left for a person, each with a `wsmig-codemod:` marker in the file. */
  manual: { file: string; line: number; reason: string }[];
  durationMs: number;
  /** New content of the changed files, when `captureOutput` was set. */
  outputs?: { file: string; output: string }[];
}

/** Files at or under this many are transformed in this process (forking workers costs more than it saves). */
const IN_BAND_MAX_FILES = 50;

/** The folder holding `wsmig.config.json` above `cwd`, else the git top folder, else `cwd`. */
async function findRoot(cwd: string): Promise<string> {
  return (await findConfigFolder(cwd)) ?? (await gitTopLevel(cwd)) ?? cwd;
}

async function existingPaths(paths: readonly string[], cwd: string): Promise<string[]> {
  if (paths.length === 0) throw new UsageError('CODEMOD_NO_PATHS', 'name the files or folders to transform, e.g. `wsmig codemod run sse-to-ws src/`.');
  const resolved = paths.map((p) => path.resolve(cwd, p));
  const missing: string[] = [];
  for (const file of resolved) if (!(await fs.stat(file).then(() => true, () => false))) missing.push(file);
  if (missing.length > 0) throw new UsageError('CODEMOD_PATH_MISSING', `these paths do not exist: ${missing.join(', ')}. Check them (they are relative to ${cwd}).`);
  return resolved;
}

/**
 * Runs the codemod and returns its summary. Files that fail to transform are listed in `failed`
 * (the run goes on with the others); nothing is written in dry mode.
 * @throws UsageError for an unknown codemod, a missing path, an invalid config, or a dirty/non-git tree.
 * @throws WsmigError `CODEMOD_NOT_BUILT` when the compiled transform is missing.
 */
export async function runCodemod(options: RunCodemodOptions): Promise<CodemodSummary> {
  const startedAt = performance.now();
  const logger = options.logger ?? silentLogger();
  const definition = codemodNamed(options.codemod);
  const cwd = path.resolve(options.cwd ?? process.cwd());
  const paths = await existingPaths(options.paths, cwd);
  const config = options.config ?? (await resolveCodemodsConfig({ root: options.configFile ? cwd : await findRoot(cwd), configFile: options.configFile === undefined ? undefined : path.resolve(cwd, options.configFile) }));
  const dry = options.dry ?? false;
  // git runs in a folder: the first path, or the folder of the file it names.
  const first = paths[0] as string;
  const gitTop = await gitTopLevel((await fs.stat(first)).isDirectory() ? first : path.dirname(first));
  if (!dry && !options.force) await assertCommitted(paths, gitTop);
  const transformFile = path.join(PACKAGE_ROOT, definition.compiledTransform);
  if (!(await fs.stat(transformFile).then((s) => s.isFile(), () => false))) {
    throw new WsmigError('CODEMOD_NOT_BUILT', `the compiled transform ${transformFile} is missing: run \`npm run build\` in the wsmig package, then try again.`);
  }

  const files = await sourceFiles(paths, gitTop);
  const candidates = options.preCheck === false ? files : await filesMatching(files, definition.preCheck(config));
  logger.debug({ codemod: definition.name, files: files.length, candidates: candidates.length }, 'codemod files selected');

  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'wsmig-codemod-'));
  const reportFile = path.join(workDir, 'records.ndjson');
  let records: FileRecord[] = [];
  let errorCount = 0;
  try {
    if (candidates.length > 0) {
      const transformOptions: TransformOptions = { codemodConfig: config, reportFile, captureOutput: options.captureOutput ?? false };
      const runInBand = options.runInBand ?? (candidates.length <= IN_BAND_MAX_FILES || os.availableParallelism() <= 2);
      const stats = await transformFiles(transformFile, candidates, {
        transformOptions: { ...transformOptions },
        dry,
        workers: runInBand ? 1 : Math.max(2, os.availableParallelism() - 1),
        workerScript: path.join(PACKAGE_ROOT, 'dist/codemods/runner/transform-worker.js'),
      });
      errorCount = stats.error;
      records = await readFileRecords(reportFile);
    }
  } finally {
    await fs.rm(workDir, { recursive: true, force: true });
  }
  return summarize({ codemod: definition.name, dry, config, files, candidates, records, errorCount, startedAt, captureOutput: options.captureOutput ?? false, logger });
}

interface SummaryInput {
  codemod: string;
  dry: boolean;
  config: ResolvedCodemodsConfig;
  files: readonly string[];
  candidates: readonly string[];
  records: readonly FileRecord[];
  errorCount: number;
  startedAt: number;
  captureOutput: boolean;
  logger: Logger;
}

function summarize(input: SummaryInput): CodemodSummary {
  const relative = (file: string): string => path.relative(input.config.root, file).split(path.sep).join('/') || '.';
  const byFile = new Map(input.records.map((record) => [record.file, record]));
  const summary: CodemodSummary = {
    codemod: input.codemod,
    dry: input.dry,
    root: input.config.root,
    filesConsidered: input.files.length,
    filesParsed: input.candidates.length,
    changed: [],
    unchanged: input.files.length - input.candidates.length,
    skipped: [],
    failed: [],
    sitesConverted: 0,
    sitesIgnored: 0,
    manual: [],
    durationMs: 0,
    ...(input.captureOutput ? { outputs: [] } : {}),
  };
  for (const file of input.candidates) {
    const record = byFile.get(file);
    if (!record) {
      // jscodeshift reports a file it could not read as an error before the transform runs.
      summary.failed.push({ file: relative(file), message: 'the file could not be read' });
      continue;
    }
    summary.sitesConverted += record.sitesConverted;
    summary.sitesIgnored += record.sitesIgnored;
    for (const site of record.manual) summary.manual.push({ file: relative(file), line: site.line, reason: site.reason });
    if (record.outcome === 'changed') {
      summary.changed.push(relative(file));
      if (record.output !== undefined) summary.outputs?.push({ file: relative(file), output: record.output });
    } else if (record.outcome === 'unchanged') summary.unchanged++;
    else if (record.outcome === 'skipped') summary.skipped.push({ file: relative(file), reason: record.detail ?? 'skipped' });
    else summary.failed.push({ file: relative(file), message: record.detail ?? 'the transform failed' });
  }
  if (summary.failed.length !== input.errorCount) {
    input.logger.warn({ reported: input.errorCount, recorded: summary.failed.length }, 'jscodeshift and the transform records disagree on failed files');
  }
  for (const failure of summary.failed) input.logger.error({ file: failure.file, error: failure.message }, 'codemod failed on a file');
  summary.durationMs = Math.round(performance.now() - input.startedAt);
  return summary;
}
