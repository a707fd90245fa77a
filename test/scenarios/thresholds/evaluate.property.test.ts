import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { buildResult, MetricsRecorder } from '../../../scenarios/result/recorder.js';
import { evaluateThresholds } from '../../../scenarios/thresholds/evaluate.js';
import { parseThresholds } from '../../../scenarios/thresholds/thresholds-file.js';
import { resultMeta } from './fixtures.js';

/**
 * The parser and evaluator against an independent evaluation: raw samples, sorted and counted here,
 * compared through a lookup table of operators, never through wsmig's code.
 */

const START_MS = 1_000_000;
const DURATION_MS = 8_000;

type Kind = 'counter' | 'gauge' | 'rate' | 'trend';
const METRIC_OF: Record<Kind, string> = {
  counter: 'ws_msgs_lost',
  gauge: 'server_cpu_percent',
  rate: 'ws_connect_success',
  trend: 'ws_rpc_duration',
};
const METHODS_OF: Record<Kind, string[]> = {
  counter: ['count', 'rate'],
  gauge: ['value'],
  rate: ['rate'],
  trend: ['avg', 'min', 'max', 'med', 'p'],
};
const OPERATORS: Record<string, (a: number, b: number) => boolean> = {
  '<': (a, b) => b - a > 0,
  '<=': (a, b) => !(a > b),
  '>': (a, b) => a - b > 0,
  '>=': (a, b) => !(a < b),
  '==': (a, b) => !(a < b) && !(a > b),
  '===': (a, b) => !(a < b) && !(a > b),
  '!=': (a, b) => a < b || a > b,
};

/** Nearest-rank percentile, the definition HDR histograms implement. */
function nearestRank(sorted: number[], p: number): [number, number] {
  const x = (p / 100) * sorted.length;
  const ranks = [Math.max(1, Math.ceil(x - 1e-9)), Math.max(1, Math.ceil(x))];
  return [sorted[Math.min(...ranks) - 1] as number, sorted[Math.max(...ranks) - 1] as number];
}

interface Case {
  kind: Kind;
  samples: number[];
  method: string;
  percentile: number;
  operator: string;
  threshold: number;
  spaces: [string, string];
  objectForm: boolean;
  minSamples: number | undefined;
  yaml: boolean;
  /** Use the observed value itself as the threshold number: equality and boundary cases. */
  atObserved: boolean;
}

const caseArbitrary: fc.Arbitrary<Case> = fc
  .constantFrom<Kind>('counter', 'gauge', 'rate', 'trend')
  .chain((kind) =>
    fc.record({
      kind: fc.constant(kind),
      samples: fc.array(
        kind === 'rate' ? fc.constantFrom(0, 1) : kind === 'counter' ? fc.integer({ min: 0, max: 5 }) : fc.integer({ min: 1, max: 5_000_000 }).map((n) => n / 1000),
        { minLength: 0, maxLength: 300 },
      ),
      method: fc.constantFrom(...METHODS_OF[kind]),
      percentile: fc.constantFrom(0, 1, 25, 50, 75, 90, 95, 99, 99.9, 100),
      operator: fc.constantFrom(...Object.keys(OPERATORS)),
      threshold: fc.oneof(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 5_000_000 }).map((n) => n / 1000), fc.double({ min: 0, max: 1, noNaN: true })),
      spaces: fc.tuple(fc.constantFrom('', ' ', '  '), fc.constantFrom('', ' ', '  ')),
      objectForm: fc.boolean(),
      minSamples: fc.option(fc.integer({ min: 0, max: 20 }), { nil: undefined }),
      yaml: fc.boolean(),
      atObserved: fc.boolean(),
    }),
  );

/** What the test itself says the outcome is, and the observed value range (percentile ranks can straddle). */
function independent(c: Case): { status: 'pass' | 'fail' | 'inconclusive'; low: number; high: number } {
  const minSamples = c.minSamples ?? (c.kind === 'counter' ? 0 : 1);
  // Without samples a trend, rate or gauge has no value at all, whatever minSamples says.
  if (c.samples.length < minSamples || (c.samples.length === 0 && c.kind !== 'counter')) return { status: 'inconclusive', low: NaN, high: NaN };
  let low: number;
  let high: number;
  const sum = c.samples.reduce((a, b) => a + b, 0);
  const sorted = [...c.samples].sort((a, b) => a - b);
  switch (`${c.kind}:${c.method}`) {
    case 'counter:count':
      low = high = sum;
      break;
    case 'counter:rate':
      low = high = sum / (DURATION_MS / 1000);
      break;
    case 'gauge:value':
      low = high = c.samples[c.samples.length - 1] as number;
      break;
    case 'rate:rate':
      low = high = sum / c.samples.length;
      break;
    case 'trend:avg':
      low = high = sum / c.samples.length;
      break;
    case 'trend:min':
      low = high = sorted[0] as number;
      break;
    case 'trend:max':
      low = high = sorted[sorted.length - 1] as number;
      break;
    case 'trend:med':
      [low, high] = nearestRank(sorted, 50);
      break;
    default:
      [low, high] = nearestRank(sorted, c.percentile);
  }
  const compareTo = OPERATORS[c.operator] as (a: number, b: number) => boolean;
  return { status: compareTo(low, c.threshold) ? 'pass' : 'fail', low, high };
}

function thresholdsText(c: Case): { text: string; expression: string } {
  const method = c.method === 'p' ? `p(${c.percentile})` : c.method;
  const expression = `${method}${c.spaces[0]}${c.operator}${c.spaces[1]}${c.threshold}`;
  const entry = c.objectForm || c.minSamples !== undefined ? { threshold: expression, ...(c.minSamples === undefined ? {} : { minSamples: c.minSamples }) } : expression;
  const data = { [METRIC_OF[c.kind]]: [entry] };
  if (!c.yaml) return { text: JSON.stringify(data), expression };
  const yamlEntry = typeof entry === 'string' ? `'${entry}'` : `{ threshold: '${entry.threshold}'${c.minSamples === undefined ? '' : `, minSamples: ${c.minSamples}`} }`;
  return { text: `${METRIC_OF[c.kind]}:\n  - ${yamlEntry}\n`, expression };
}

function resultFor(c: Case) {
  const recorder = new MetricsRecorder({ startMs: START_MS });
  const name = METRIC_OF[c.kind];
  c.samples.forEach((sample, i) => {
    const atMs = START_MS + Math.floor((i * DURATION_MS) / Math.max(1, c.samples.length));
    if (c.kind === 'counter') recorder.counter(name).add(sample, atMs);
    else if (c.kind === 'gauge') recorder.gauge(name).set(sample, atMs);
    else if (c.kind === 'rate') recorder.rate(name).add(sample === 1, atMs);
    else recorder.trend(name).add(sample, atMs);
  });
  // A created metric with no samples still appears: a counter at zero is measured, the others have no value.
  if (c.kind === 'counter') recorder.counter(name);
  else if (c.kind === 'gauge') recorder.gauge(name);
  else if (c.kind === 'rate') recorder.rate(name);
  else recorder.trend(name);
  return buildResult(recorder.snapshot(), resultMeta(DURATION_MS));
}

describe('thresholds: parser + evaluator against an independent evaluation', () => {
  it('agree on every generated metric, method, operator and number', () => {
    fc.assert(
      fc.property(caseArbitrary, (generated) => {
        const first = independent(generated);
        const exactMethod = generated.kind !== 'trend' || ['min', 'max', 'avg'].includes(generated.method);
        const c = generated.atObserved && exactMethod && first.low === first.high && Number.isFinite(first.low) ? { ...generated, threshold: first.low } : generated;
        const expected = independent(c);
        const percentileMethod = c.kind === 'trend' && (c.method === 'med' || c.method === 'p');
        if (expected.status !== 'inconclusive' && percentileMethod) {
          // HDR keeps 3 significant digits, and a percentile's rank can straddle two samples:
          // skip thresholds that fall inside that band, where both answers are right.
          const margin = (v: number) => Math.abs(v) * 0.002 + 1e-9;
          fc.pre(!(c.threshold >= expected.low - margin(expected.low) && c.threshold <= expected.high + margin(expected.high)));
        }
        const { text, expression } = thresholdsText(c);
        const definitions = parseThresholds(c.yaml ? parseYaml(text) : JSON.parse(text), c.yaml ? 'generated.yaml' : 'generated.json');
        const verdict = evaluateThresholds(resultFor(c), definitions, { source: 'generated', now: () => new Date(0) });
        const outcome = verdict.thresholds[0]!;
        expect(outcome.expression).toBe(expression);
        expect(outcome.status, `${JSON.stringify(c)} → ${outcome.reason}`).toBe(expected.status);
        expect(verdict.status).toBe(outcome.status);
        if (outcome.status !== 'inconclusive' && expected.low === expected.high && c.kind !== 'trend') expect(outcome.observed).toBeCloseTo(expected.low, 9);
      }),
      { numRuns: 400 },
    );
  });
});

describe('windows and consecutive breaches against an independent evaluation', () => {
  it('breach exactly when `consecutive` windows in a row have their last reading over the limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 100 }),
        (readings, windowSeconds, consecutive, limit) => {
          const recorder = new MetricsRecorder({ startMs: START_MS });
          readings.forEach((value, second) => recorder.gauge('server_cpu_percent').set(value, START_MS + second * 1000 + 250));
          const result = buildResult(recorder.snapshot(), resultMeta(readings.length * 1000));
          const [definition] = parseThresholds({ server_cpu_percent: [{ threshold: `value<${limit}`, window: `${windowSeconds}s`, consecutive }] }, 'generated.json');
          const outcome = evaluateThresholds(result, [definition!], { source: null }).thresholds[0]!;

          // Independent: chunk the readings, take each chunk's last, count failures in a row.
          const lasts: number[] = [];
          for (let i = 0; i < readings.length; i += windowSeconds) lasts.push(readings.slice(i, i + windowSeconds).at(-1)!);
          const failed = lasts.map((last) => !(last < limit));
          let run = 0;
          let longest = 0;
          let breachWindow = -1;
          failed.forEach((f, i) => {
            run = f ? run + 1 : 0;
            longest = Math.max(longest, run);
            if (run === consecutive && breachWindow === -1) breachWindow = i;
          });
          expect(outcome.status).toBe(longest >= consecutive ? 'fail' : 'pass');
          expect(outcome.window).toMatchObject({ windows: lasts.length, failedWindows: failed.filter(Boolean).length, longestFailedRun: longest });
          expect(outcome.window?.firstBreachAtMs).toBe(breachWindow === -1 ? null : Math.min((breachWindow + 1) * windowSeconds, readings.length) * 1000);
          expect(outcome.observed).toBe(Math.max(...lasts));
        },
      ),
      { numRuns: 300 },
    );
  });
});
