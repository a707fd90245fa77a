/**
 * Where wsmig keeps its own files in the target repository. Everything lives under `.wsmig/`,
 * which carries its own `.gitignore`: only `incidents/` is meant to be committed (incident reports
 * are worth reviewing together); state, journal, lock, logs and reports stay local.
 */
import path from 'node:path';

export const WSMIG_DIR = '.wsmig';

/** The content of `.wsmig/.gitignore` that prepare writes. */
export const WSMIG_GITIGNORE = [
  '# wsmig run state: lock, state, journal, service logs and load reports stay local.',
  '# Incident reports are kept: commit them with the rollback.',
  '*',
  '!.gitignore',
  '!incidents/',
  '!incidents/**',
  '',
].join('\n');

export interface WsmigPaths {
  dir: string;
  gitignore: string;
  state: string;
  journal: string;
  lock: string;
  logs: string;
  serviceLog: string;
  reports: string;
  incidents: string;
}

/** A time as a file-name-safe, sortable stamp (incident reports, usage snapshots): `2025-01-01T12-00-00-000Z`. */
export function fileNameTime(at: Date): string {
  return at.toISOString().replace(/[:.]/g, '-');
}

/** The paths of wsmig's files in the repository at `root`. */
export function wsmigPaths(root: string): WsmigPaths {
  const dir = path.join(root, WSMIG_DIR);
  return {
    dir,
    gitignore: path.join(dir, '.gitignore'),
    state: path.join(dir, 'state.json'),
    journal: path.join(dir, 'journal.ndjson'),
    lock: path.join(dir, 'lock'),
    logs: path.join(dir, 'logs'),
    serviceLog: path.join(dir, 'logs', 'service.log'),
    reports: path.join(dir, 'reports'),
    incidents: path.join(dir, 'incidents'),
  };
}
