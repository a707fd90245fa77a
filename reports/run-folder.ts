/** Where a run's report goes: `<out>/<timestamp>-<scenario>/`. */
import type { Result } from '../scenarios/result/types.js';

/**
 * The folder name for a run: its start time (UTC, filesystem-safe) and its scenarios,
 * e.g. `2026-01-15T10-20-30Z-latency+reconnect-storm`. Sorting the names sorts the runs by time.
 */
export function runFolderName(result: Result): string {
  const started = new Date(result.startedAt);
  const stamp = Number.isNaN(started.getTime()) ? 'unknown-time' : started.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-');
  const names = result.scenarios.map((s) => s.name).join('+') || result.engine;
  const safe = names.replace(/[^A-Za-z0-9._+-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'run';
  return `${stamp}-${safe}`;
}
