/**
 * What `wsmig report render` and `wsmig report import` do, as functions the CLI calls: read, import,
 * evaluate, render, write. They return what to print and the exit code; they never print.
 */
import path from 'node:path';
import { writeFileAtomic } from '../lib/atomic-write.js';
import { ExitCode, UsageError } from '../lib/errors.js';
import { importFile, type ImportFormat } from '../scenarios/importers/index.js';
import { readResultFile } from '../scenarios/result/schema.js';
import type { Result } from '../scenarios/result/types.js';
import { evaluateThresholds } from '../scenarios/thresholds/evaluate.js';
import { readThresholdsFile } from '../scenarios/thresholds/thresholds-file.js';
import { renderConsoleSummary } from './console-summary.js';
import { exitCodeOfStatus } from './describe.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { runFolderName } from './run-folder.js';
import { writeReport, type WrittenReport } from './write-report.js';

export type RenderFormat = 'console' | 'md' | 'html';

/** Output of a report job: text for stdout (may be empty), and the exit code. */
export interface ReportJobOutcome {
  stdout: string;
  exitCode: number;
  result: Result;
  written?: WrittenReport;
}

/**
 * Re-renders a result.json as a console summary, Markdown or HTML; to `outFile` (atomically) when
 * given, else as the returned stdout text.
 */
export async function renderResultFile(file: string, options: { format: RenderFormat; outFile?: string; color?: boolean }): Promise<ReportJobOutcome> {
  const result = await readResultFile(file);
  const text = options.format === 'html' ? renderHtml(result) : options.format === 'md' ? renderMarkdown(result) : renderConsoleSummary(result, { color: options.color ?? false });
  if (options.outFile === undefined) return { stdout: text, exitCode: ExitCode.ok, result };
  await writeFileAtomic(options.outFile, text);
  return { stdout: `wrote ${options.outFile}\n`, exitCode: ExitCode.ok, result };
}

export interface ImportJobOptions {
  format: ImportFormat | 'auto';
  /** Evaluate these thresholds (replacing the tool's own verdict); the exit code follows the verdict. */
  thresholdsFile?: string;
  /** Write `<outDir>/<runFolderName>/` with result.json, report.md, report.html. */
  outDir?: string;
  json?: boolean;
  color?: boolean;
  now?: () => Date;
}

/**
 * Imports another tool's result file; with thresholds, evaluates them and exits like a run
 * (0 pass, 99 fail, 98 inconclusive); without, exits 0 and shows the tool's own threshold outcomes.
 */
export async function importResult(file: string, options: ImportJobOptions): Promise<ReportJobOutcome> {
  let result = await importFile(file, options.format);
  let exitCode: number = ExitCode.ok;
  if (options.thresholdsFile !== undefined) {
    const thresholds = await readThresholdsFile(options.thresholdsFile);
    const verdict = evaluateThresholds(result, thresholds.definitions, { source: thresholds.source, ...(options.now === undefined ? {} : { now: options.now }) });
    result = { ...result, verdict };
    exitCode = exitCodeOfStatus(verdict.status);
  }
  let written: WrittenReport | undefined;
  if (options.outDir !== undefined) written = await writeReport(result, path.join(options.outDir, runFolderName(result)));
  const summary = options.json ? `${JSON.stringify(result, null, 2)}\n` : renderConsoleSummary(result, { color: options.color ?? false });
  const where = written !== undefined && !options.json ? `\nreport: ${written.reportHtml}\n` : '';
  return { stdout: `${summary}${where}`, exitCode, result, ...(written === undefined ? {} : { written }) };
}

/** Which single render format the flags ask for. */
export function renderFormatOf(flags: { html?: boolean; md?: boolean; console?: boolean }): RenderFormat {
  const chosen = (['html', 'md', 'console'] as const).filter((key) => flags[key] === true);
  if (chosen.length > 1) throw new UsageError('REPORT_FORMAT_CONFLICT', `Choose one of --html, --md or --console, not ${chosen.map((c) => `--${c}`).join(' and ')}.`);
  return chosen[0] ?? 'console';
}
