/**
 * The Result file format (`wsmig.result/v1`, docs/result-schema.md): a zod schema, validation with
 * errors that name the file and the field, and atomic reading/writing of `result.json`.
 */
import { promises as fs } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../../lib/atomic-write.js';
import { UsageError, messageOf } from '../../lib/errors.js';
import { RESULT_SCHEMA, type Result } from './types.js';

const finite = z.number();
const count = z.number().int().nonnegative();
const tags = z.record(z.string(), z.string());

const counterValues = z.object({ count: finite, rate: finite });
const gaugeValues = z.object({ value: finite, min: finite, max: finite });
const rateValues = z.object({ rate: finite.min(0).max(1), passes: count, fails: count });
const PERCENTILE_KEY = /^p\((\d+(\.\d+)?)\)$/;
// min/max/avg/med are optional: imported trends carry only the statistics their tool wrote.
const trendValues = z
  .object({ count, min: finite.optional(), max: finite.optional(), avg: finite.optional(), med: finite.optional() })
  .catchall(finite)
  .superRefine((values, context) => {
    for (const key of Object.keys(values)) {
      if (['count', 'min', 'max', 'avg', 'med'].includes(key)) continue;
      const match = PERCENTILE_KEY.exec(key);
      if (match === null || Number(match[1]) > 100) {
        context.addIssue({ code: 'custom', path: [key], message: `"${key}" is not a trend value: use count, min, max, avg, med or p(N) with 0 ≤ N ≤ 100` });
      }
    }
  });

const encodedHistogram = z.object({
  encoding: z.literal('hdr-compressed-base64'),
  valueScale: z.number().positive(),
  data: z.string().min(1),
});

const metricUnit = z.enum(['ms', 'bytes', 'percent', 'seconds', 'count', 'ratio', 'none']);

function metricOf<T extends 'counter' | 'gauge' | 'rate' | 'trend', V extends z.ZodType>(type: T, values: V) {
  const point = z.object({ t: z.number().nonnegative(), samples: count, values, histogram: encodedHistogram.optional() });
  return z.looseObject({
    name: z.string().min(1),
    type: z.literal(type),
    unit: metricUnit,
    tags,
    samples: count,
    samplesUnknown: z.boolean().optional(),
    values,
    histogram: encodedHistogram.optional(),
    series: z.array(point).optional(),
  });
}

const metricResult = z.discriminatedUnion('type', [
  metricOf('counter', counterValues),
  metricOf('gauge', gaugeValues),
  metricOf('rate', rateValues),
  metricOf('trend', trendValues),
]);

const windowOutcome = z.object({
  sizeMs: z.number().positive(),
  consecutive: z.number().int().positive(),
  windows: count,
  failedWindows: count,
  longestFailedRun: count,
  firstBreachAtMs: z.number().nullable(),
});

const status = z.enum(['pass', 'fail', 'inconclusive']);

const thresholdOutcome = z.looseObject({
  metric: z.string(),
  expression: z.string(),
  status,
  observed: z.number().nullable(),
  samples: count,
  window: windowOutcome.nullable(),
  abortOnFail: z.boolean(),
  reason: z.string(),
});

const verdict = z.looseObject({
  status,
  thresholds: z.array(thresholdOutcome),
  thresholdsSource: z.string().nullable(),
  evaluatedAt: z.string(),
  abortedBy: z.string().optional(),
});

/** The zod schema of a `wsmig.result/v1` Result. Unknown fields are kept (newer v1 writers may add some). */
const resultSchema = z.looseObject({
  schema: z.literal(RESULT_SCHEMA),
  runId: z.string(),
  tool: z.object({ name: z.enum(['wsmig', 'k6', 'autocannon', 'artillery']), version: z.string().nullable() }),
  engine: z.enum(['native', 'k6', 'autocannon', 'imported']),
  scenarios: z.array(
    z.object({
      name: z.string(),
      engine: z.enum(['native', 'k6', 'autocannon', 'imported']),
      options: z.record(z.string(), z.unknown()),
      startOffsetMs: z.number(),
      durationMs: z.number().nonnegative(),
    }),
  ),
  target: z.object({ url: z.string().nullable(), embedded: z.boolean() }),
  startedAt: z.string(),
  endedAt: z.string(),
  durationMs: z.number().nonnegative(),
  intervalMs: z.number().positive(),
  metrics: z.array(metricResult),
  generator: z
    .object({
      workers: count,
      lateSends: count,
      droppedIterations: count,
      sendLagP99Ms: z.number(),
      cpuPercent: z.number(),
      maxRssBytes: z.number(),
      problems: z.array(z.string()),
    })
    .nullable(),
  environment: z.object({ node: z.string().nullable(), platform: z.string().nullable(), cpus: z.number().nullable(), wsmig: z.string().nullable() }),
  source: z.object({ file: z.string(), format: z.string() }).nullable(),
  warnings: z.array(z.string()),
  verdict: verdict.nullable(),
});

/**
 * Validates a Result (a parsed object, or JSON text) read from `file`.
 * @throws UsageError `RESULT_INVALID` naming the file and the field path (e.g.
 *   `metrics[2] (ws_rpc_duration).values.count`), or `RESULT_SCHEMA_UNSUPPORTED` for another schema version.
 */
export function parseResult(json: unknown, file: string): Result {
  let data = json;
  if (typeof json === 'string') {
    try {
      data = JSON.parse(json);
    } catch (error) {
      throw new UsageError('RESULT_INVALID', `${file} is not valid JSON (${messageOf(error)}): pass a result.json written by wsmig.`, { cause: error });
    }
  }
  const declared = typeof data === 'object' && data !== null ? (data as { schema?: unknown }).schema : undefined;
  if (typeof declared === 'string' && declared.startsWith('wsmig.result/') && declared !== RESULT_SCHEMA) {
    throw new UsageError(
      'RESULT_SCHEMA_UNSUPPORTED',
      `${file} is a "${declared}" result; this wsmig reads "${RESULT_SCHEMA}": use the wsmig version that wrote it, or upgrade wsmig.`,
    );
  }
  const parsed = resultSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '(root)' : describePath(data, issue.path);
    const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problem${parsed.error.issues.length > 2 ? 's' : ''})` : '';
    throw new UsageError(
      'RESULT_INVALID',
      `${file} is not a valid ${RESULT_SCHEMA} result: ${where}: ${issue?.message ?? 'invalid'}${more}. See docs/result-schema.md.`,
    );
  }
  return parsed.data as unknown as Result;
}

/** `metrics[2] (ws_rpc_duration).values.count` — a field path people can find in the file. */
function describePath(data: unknown, path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  let text = '';
  let node: unknown = data;
  for (const key of path) {
    text += typeof key === 'number' ? `[${key}]` : `${text === '' ? '' : '.'}${String(key)}`;
    node = typeof node === 'object' && node !== null ? (node as Record<PropertyKey, unknown>)[key] : undefined;
    if (typeof key === 'number' && typeof node === 'object' && node !== null && typeof (node as { name?: unknown }).name === 'string') {
      text += ` (${(node as { name: string }).name})`;
    }
  }
  return text;
}

/**
 * Reads and validates a `result.json`.
 * @throws UsageError `RESULT_NOT_FOUND` when the file cannot be read, or as {@link parseResult}.
 */
export async function readResultFile(file: string): Promise<Result> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError('RESULT_NOT_FOUND', `Cannot read ${file} (${messageOf(error)}): pass the path of a result.json written by wsmig.`, { cause: error });
  }
  return parseResult(text, file);
}

/** Writes a Result as pretty JSON, atomically (readers never see half a file). */
export async function writeResultFile(file: string, result: Result): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(result, null, 2)}\n`);
}
