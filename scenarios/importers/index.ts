/**
 * `wsmig report import`: other tools' result files into a wsmig Result, so thresholds, verdicts and
 * reports work on results from any tool. Formats: k6 `--summary-export`, k6 `handleSummary` data,
 * k6's machine-readable summary, autocannon results, artillery reports; `auto` tells them apart by shape.
 */
import { promises as fs } from 'node:fs';
import { UsageError, messageOf } from '../../lib/errors.js';
import type { Result } from '../result/types.js';
import { importArtillery } from './artillery.js';
import { importAutocannon } from './autocannon.js';
import { asObject, IMPORT_FORMATS, type ImportFormat, type ImportSource } from './imported-result.js';
import { importK6MachineReadable, importK6Summary } from './k6-summary.js';

export { IMPORT_FORMATS, type ImportFormat, type ImportSource } from './imported-result.js';

/**
 * Tells the format of parsed summary data by its shape, or undefined when it is none wsmig knows.
 */
export function detectFormat(data: unknown): ImportFormat | undefined {
  const root = asObject(data);
  if (root === undefined) return undefined;
  const results = asObject(root['results']);
  if (typeof root['version'] === 'string' && asObject(root['metadata']) !== undefined && Array.isArray(results?.['metrics'])) return 'k6-machine-readable';
  const metrics = asObject(root['metrics']);
  if (metrics !== undefined) {
    const entries = Object.values(metrics).map(asObject);
    if (entries.length > 0 && entries.every((entry) => entry !== undefined && typeof entry['type'] === 'string' && asObject(entry['values']) !== undefined)) return 'k6-handle-summary';
    if (entries.every((entry) => entry !== undefined && entry['values'] === undefined) && ('root_group' in root || entries.length > 0)) return 'k6-summary-export';
  }
  if (asObject(root['latency']) !== undefined && asObject(root['requests']) !== undefined && asObject(root['throughput']) !== undefined) return 'autocannon';
  if (asObject(asObject(root['aggregate'])?.['counters']) !== undefined) return 'artillery';
  return undefined;
}

/** Imports parsed data of a known (or detected) format. */
function importData(data: unknown, source: ImportSource, format: ImportFormat | 'auto' = 'auto'): Result {
  const resolved = format === 'auto' ? detectFormat(data) : format;
  if (resolved === undefined) {
    throw new UsageError(
      'IMPORT_UNKNOWN_FORMAT',
      `Cannot tell what ${source.file} is: expected a k6 summary (--summary-export, handleSummary data or the machine-readable summary), an autocannon result or an artillery report. Pass --format ${IMPORT_FORMATS.join('|')} if it is one of them.`,
    );
  }
  const root = asObject(data);
  if (root === undefined) throw new UsageError('IMPORT_BAD_FILE', `${source.file} is not a JSON object: pass a summary file written by k6, autocannon or artillery.`);
  switch (resolved) {
    case 'k6-summary-export':
    case 'k6-handle-summary':
      return importK6Summary(root, source, resolved);
    case 'k6-machine-readable':
      return importK6MachineReadable(root, source);
    case 'autocannon':
      return importAutocannon(root, source);
    case 'artillery':
      return importArtillery(root, source);
  }
}

/**
 * Reads a result file of another tool and imports it.
 * @throws UsageError when the file cannot be read, is not JSON, or is of no known format.
 */
export async function importFile(file: string, format: ImportFormat | 'auto' = 'auto'): Promise<Result> {
  if (format !== 'auto' && !(IMPORT_FORMATS as readonly string[]).includes(format)) {
    throw new UsageError('IMPORT_BAD_FORMAT', `Unknown --format "${String(format)}": use auto or one of ${IMPORT_FORMATS.join(', ')}.`);
  }
  let text: string;
  let modifiedAtMs: number;
  try {
    [text, modifiedAtMs] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file).then((s) => s.mtimeMs)]);
  } catch (error) {
    throw new UsageError('IMPORT_NOT_FOUND', `Cannot read ${file} (${messageOf(error)}): pass the path of a k6, autocannon or artillery result file.`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError('IMPORT_BAD_FILE', `${file} is not valid JSON (${messageOf(error)}): pass the JSON file the tool wrote.`, { cause: error });
  }
  return importData(data, { file, text, modifiedAtMs: Math.round(modifiedAtMs) }, format);
}
