/**
 * Building blocks for Results imported from other tools' summary files: metric constructors that
 * say what the source knew (no histogram, maybe no sample count) and the Result around them.
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { metricDefinition } from '../result/metric-catalog.js';
import { RESULT_SCHEMA, type MetricResult, type MetricType, type MetricUnit, type Result, type Verdict } from '../result/types.js';

/** The formats wsmig imports. */
export const IMPORT_FORMATS = ['k6-summary-export', 'k6-handle-summary', 'k6-machine-readable', 'autocannon', 'artillery'] as const;
export type ImportFormat = (typeof IMPORT_FORMATS)[number];

/** Where an import comes from: the file, its text (for a stable run id) and when it was written. */
export interface ImportSource {
  file: string;
  text: string;
  /** The file's modification time, ms: the end of the run when the format does not say. */
  modifiedAtMs: number;
}

/** A metric as another tool reported it: totals only, no histogram, no series. */
export function importedMetric(
  name: string,
  type: MetricType,
  unit: MetricUnit,
  tags: Record<string, string>,
  values: Record<string, number>,
  samples: number | null,
): MetricResult {
  return {
    name,
    type,
    unit,
    tags,
    samples: samples ?? 0,
    ...(samples === null ? { samplesUnknown: true } : {}),
    values: values as unknown as MetricResult['values'],
  };
}

/** The unit of a metric: the catalog's for wsmig names, else what the source says, else a type default. */
export function unitFor(name: string, type: MetricType, sourceUnit: MetricUnit | null): MetricUnit {
  const known = metricDefinition(name);
  if (known !== undefined) return known.unit;
  if (sourceUnit !== null) return sourceUnit;
  switch (type) {
    case 'counter':
      return 'count';
    case 'rate':
      return 'ratio';
    case 'gauge':
    case 'trend':
      return 'none';
  }
}

/** Counter values with a per-second rate over the run. */
export function counterValues(count: number, durationMs: number, listedRate?: number): Record<string, number> {
  return { count, rate: listedRate ?? (durationMs > 0 ? count / (durationMs / 1000) : 0) };
}

/** Rate values from passes and fails. */
export function rateValues(passes: number, fails: number): Record<string, number> {
  const total = passes + fails;
  return { rate: total > 0 ? passes / total : 0, passes, fails };
}

export interface ImportedRunInfo {
  format: ImportFormat;
  tool: Result['tool'];
  startedAtMs: number;
  durationMs: number;
  targetUrl: string | null;
  scenario: string;
  scenarioOptions: Record<string, unknown>;
  metrics: MetricResult[];
  warnings: string[];
  verdict: Verdict | null;
}

/** The Result of an import (`engine: 'imported'`, `source` set). The run id is stable for the same file content. */
export function importedResult(source: ImportSource, info: ImportedRunInfo): Result {
  const digest = createHash('sha256').update(source.text).digest('hex').slice(0, 12);
  return {
    schema: RESULT_SCHEMA,
    runId: `imported-${info.format}-${digest}`,
    tool: info.tool,
    engine: 'imported',
    scenarios: [{ name: info.scenario, engine: 'imported', options: info.scenarioOptions, startOffsetMs: 0, durationMs: info.durationMs }],
    target: { url: info.targetUrl, embedded: false },
    startedAt: new Date(info.startedAtMs).toISOString(),
    endedAt: new Date(info.startedAtMs + info.durationMs).toISOString(),
    durationMs: info.durationMs,
    intervalMs: Math.max(1, info.durationMs),
    metrics: info.metrics,
    generator: null,
    environment: { node: null, platform: null, cpus: null, wsmig: null },
    source: { file: path.resolve(source.file), format: info.format },
    warnings: info.warnings,
    verdict: info.verdict,
  };
}

/** A plain object, or undefined. */
export function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/** The finite numbers of `source` under new names: `['mean', 'avg']` reads `source.mean` into `avg`. Missing ones are left out. */
export function renamedNumbers(source: Record<string, unknown>, names: ReadonlyArray<readonly [from: string, to: string]>): Record<string, number> {
  const values: Record<string, number> = {};
  for (const [from, to] of names) {
    const value = asNumber(source[from]);
    if (value !== undefined) values[to] = value;
  }
  return values;
}

/** A finite number, or undefined. */
export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
