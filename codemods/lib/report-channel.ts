/**
 * The structured side channel from a transform to the runner. jscodeshift's own `api.report` only
 * prints lines to stdout (even when silent) and its workers may be other processes, so each
 * transform run appends one JSON line per file to a file the runner names and reads afterwards.
 */
import { appendFileSync, promises as fs } from 'node:fs';

/** A site the transform left alone: it carries a `/* wsmig-codemod: … *\/` marker. */
export interface ManualSite {
  /** 1-based line of the site in the file. */
  line: number;
  reason: string;
}

/** What a transform did to one file. */
export interface FileRecord {
  file: string;
  /** `failed`: the transform threw (parse error, bug); `skipped`: it declined the file. */
  outcome: 'changed' | 'unchanged' | 'skipped' | 'failed';
  sitesConverted: number;
  /** Sites skipped because of a `wsmig-codemod-ignore` comment. */
  sitesIgnored: number;
  manual: ManualSite[];
  /** Why the file was skipped or failed. */
  detail?: string;
  /** The rewritten source, only when the runner asked for it (`--print`). */
  output?: string;
}

/** Appends one record. Appends of one short line are atomic enough for the runner's few workers. */
export function writeFileRecord(reportFile: string, record: FileRecord): void {
  appendFileSync(reportFile, `${JSON.stringify(record)}\n`);
}

/** Reads every record a run wrote; a missing file means no records. */
export async function readFileRecords(reportFile: string): Promise<FileRecord[]> {
  const text = await fs.readFile(reportFile, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  return text
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => JSON.parse(line) as FileRecord);
}
