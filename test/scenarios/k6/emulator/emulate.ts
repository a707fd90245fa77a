/**
 * Runs a bundled k6 script under the k6 API emulation (README.md: Node stand-ins for the k6
 * modules, never a k6 run) and reads what it recorded. `summaryExportOf` turns the emulated
 * samples into the shape of k6's `--summary-export`, so the emulated run can go through wsmig's
 * own k6 importer and threshold evaluation, as a real k6 run's summary does.
 */
import { execa } from 'execa';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { SUMMARY_TREND_STATS } from '../../../../scenarios/k6/lib/workload-plan.js';

const EMULATOR = path.dirname(fileURLToPath(import.meta.url));

export interface EmulatedMetric {
  type: 'counter' | 'gauge' | 'rate' | 'trend';
  isTime: boolean;
  samples: [number, Record<string, string>][];
}

export interface EmulatedRun {
  options: { scenarios: Record<string, { vus: number }>; thresholds: Record<string, unknown> };
  setup: { runTag: string; cutMode: string | null } | null;
  metrics: Record<string, EmulatedMetric>;
  elapsedMs: number;
  errors: string[];
  stderr: string;
}

/** Runs `script` (a bundled k6 script) with the WSMIG_* variables `env`; `output` receives the recording. */
export async function emulate(script: string, output: string, env: Record<string, string>): Promise<EmulatedRun> {
  const result = await execa(process.execPath, ['--import', path.join(EMULATOR, 'register.mjs'), path.join(EMULATOR, 'run-script.mjs'), script, output], {
    env: { PATH: process.env['PATH'] ?? '', ...env },
    extendEnv: false,
    reject: false,
    timeout: 60_000,
  });
  expect(result.exitCode, String(result.stderr)).toBe(0);
  return { ...(JSON.parse(await readFile(output, 'utf8')) as Omit<EmulatedRun, 'stderr'>), stderr: String(result.stderr) };
}

export function samples(run: EmulatedRun, name: string): [number, Record<string, string>][] {
  return run.metrics[name]?.samples ?? [];
}

export const total = (run: EmulatedRun, name: string): number => samples(run, name).reduce((sum, [value]) => sum + value, 0);
export const count = (run: EmulatedRun, name: string): number => samples(run, name).length;

/** k6's percentile: linear interpolation between the closest ranks of the sorted samples. */
function percentile(sorted: readonly number[], p: number): number {
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (rank - low);
}

/**
 * The emulated run as a k6 `--summary-export` document: per metric with samples, a trend's
 * `summaryTrendStats`, a counter's count and rate, a rate's passes, fails and value. Metrics
 * without samples are left out, as k6 leaves them out.
 */
export function summaryExportOf(run: EmulatedRun): { metrics: Record<string, Record<string, number>> } {
  const seconds = Math.max(run.elapsedMs, 1) / 1000;
  const metrics: Record<string, Record<string, number>> = {};
  for (const [name, metric] of Object.entries(run.metrics)) {
    const values = metric.samples.map(([value]) => value);
    if (values.length === 0) continue;
    switch (metric.type) {
      case 'trend': {
        const sorted = [...values].sort((a, b) => a - b);
        const stats: Record<string, number> = {};
        for (const stat of SUMMARY_TREND_STATS) {
          const p = /^p\(([\d.]+)\)$/.exec(stat);
          if (p) stats[stat] = percentile(sorted, Number(p[1]));
          else if (stat === 'avg') stats[stat] = values.reduce((sum, value) => sum + value, 0) / values.length;
          else if (stat === 'min') stats[stat] = sorted[0] as number;
          else if (stat === 'max') stats[stat] = sorted[sorted.length - 1] as number;
          else if (stat === 'med') stats[stat] = percentile(sorted, 50);
          else if (stat === 'count') stats[stat] = values.length;
        }
        metrics[name] = stats;
        break;
      }
      case 'counter': {
        const sum = values.reduce((acc, value) => acc + value, 0);
        metrics[name] = { count: sum, rate: sum / seconds };
        break;
      }
      case 'rate': {
        const passes = values.filter((value) => value !== 0).length;
        metrics[name] = { passes, fails: values.length - passes, value: passes / values.length };
        break;
      }
      case 'gauge':
        metrics[name] = { value: values[values.length - 1] as number, min: Math.min(...values), max: Math.max(...values) };
        break;
    }
  }
  return { metrics };
}
