/** Writes a run's report folder: result.json, report.md, report.html — each atomically. */
import path from 'node:path';
import { writeFileAtomic } from '../lib/atomic-write.js';
import { writeResultFile } from '../scenarios/result/schema.js';
import type { Result } from '../scenarios/result/types.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';

/** The files of a written report. */
export interface WrittenReport {
  dir: string;
  resultJson: string;
  reportMd: string;
  reportHtml: string;
}

/**
 * Writes `result.json`, `report.md` and `report.html` into `outDir` (the run folder the caller chose,
 * usually `<out>/<runFolderName(result)>`), creating it. Each file is written atomically, and
 * result.json last, so a folder with a result.json has its reports too.
 */
export async function writeReport(result: Result, outDir: string): Promise<WrittenReport> {
  const written: WrittenReport = {
    dir: outDir,
    resultJson: path.join(outDir, 'result.json'),
    reportMd: path.join(outDir, 'report.md'),
    reportHtml: path.join(outDir, 'report.html'),
  };
  await writeFileAtomic(written.reportMd, renderMarkdown(result));
  await writeFileAtomic(written.reportHtml, renderHtml(result));
  await writeResultFile(written.resultJson, result);
  return written;
}
