import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectFormat, importFile } from '../../../scenarios/importers/index.js';
import { parseResult } from '../../../scenarios/result/schema.js';
import type { MetricResult, Result } from '../../../scenarios/result/types.js';
import { evaluateThresholds } from '../../../scenarios/thresholds/evaluate.js';
import { parseThresholds } from '../../../scenarios/thresholds/thresholds-file.js';
import { REPO_ROOT } from '../../helpers/cli.js';

const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/imports');
const fixture = (name: string) => path.join(FIXTURES, name);

function metric(result: Result, name: string, tags: Record<string, string> = {}): MetricResult {
  const found = result.metrics.find((m) => m.name === name && JSON.stringify(m.tags) === JSON.stringify(tags));
  if (found === undefined) throw new Error(`no ${name} ${JSON.stringify(tags)}; have ${result.metrics.map((m) => m.name).join(', ')}`);
  return found;
}

function countOf(m: MetricResult): number | undefined {
  return (m.values as unknown as Record<string, number | undefined>)['count'];
}

function check(result: Result, thresholds: Record<string, string[]>) {
  return evaluateThresholds(result, parseThresholds(thresholds, 'inline'), { source: null });
}

/** Every import is a valid wsmig.result/v1 (it survives the schema, as `report render` will read it). */
async function imported(name: string, format: Parameters<typeof importFile>[1] = 'auto'): Promise<Result> {
  const result = await importFile(fixture(name), format);
  return parseResult(JSON.parse(JSON.stringify(result)), name);
}

describe('k6 --summary-export (legacy)', () => {
  it('infers types, reads rates from "value", flips thresholds (true = failed), keeps sub-metrics', async () => {
    const result = await imported('k6-summary-export.json');
    expect(result).toMatchObject({ engine: 'imported', tool: { name: 'k6' }, source: { format: 'k6-summary-export' } });
    expect(result.durationMs).toBe(10_000); // from iterations' count ÷ rate
    expect(metric(result, 'http_req_failed')).toMatchObject({ type: 'rate', samples: 100, values: { rate: 0.03, passes: 3, fails: 97 } });
    expect(metric(result, 'http_req_duration')).toMatchObject({ type: 'trend', unit: 'ms', samples: 100, values: { med: 9.8, 'p(95)': 38.6 } });
    expect(metric(result, 'http_req_duration', { expected_response: 'true' })).toMatchObject({ samplesUnknown: true, values: { max: 120.3 } });
    expect(metric(result, 'ws_rpc_duration', { scenario: 'latency' }).unit).toBe('ms');
    expect(metric(result, 'data_received')).toMatchObject({ unit: 'bytes', values: { count: 482133 } });
    expect(metric(result, 'vus')).toMatchObject({ type: 'gauge', values: { value: 10 } });
    expect(result.verdict?.status).toBe('fail');
    const byExpression = Object.fromEntries(result.verdict!.thresholds.map((t) => [`${t.metric} ${t.expression}`, t]));
    expect(byExpression['http_req_failed rate<0.01']).toMatchObject({ status: 'fail', observed: 0.03 });
    expect(byExpression['http_req_duration p(95)<200']).toMatchObject({ status: 'pass', observed: 38.6 });
    expect(byExpression['checks rate>0.99']?.status).toBe('fail');
    expect(byExpression['ws_msgs_lost count==0']?.status).toBe('pass');
  });

  it('re-evaluates with wsmig thresholds: percentiles k6 did not list are inconclusive, not passed', async () => {
    const result = await imported('k6-summary-export.json');
    const verdict = check(result, { http_req_duration: ['p(95)<200', 'p(99)<200'], 'http_req_duration{expected_response:true}': ['max<200'] });
    expect(verdict.thresholds.map((t) => t.status)).toEqual(['pass', 'inconclusive', 'pass']);
    expect(verdict.thresholds[1]?.reason).toMatch(/p\(99\) cannot be answered/);
    expect(verdict.status).toBe('inconclusive');
  });
});

describe('k6 handleSummary data', () => {
  it('reads types, units from "contains", counts from summaryTrendStats, thresholds from { ok }', async () => {
    const result = await imported('k6-handle-summary.json');
    expect(result.source?.format).toBe('k6-handle-summary');
    expect(result.durationMs).toBeCloseTo(10_015.2, 6);
    expect(result.scenarios[0]?.options).toMatchObject({ summaryTrendStats: expect.arrayContaining(['count']) });
    expect(metric(result, 'ws_rpc_duration')).toMatchObject({ samples: 2000, values: { 'p(99)': 262.4, count: 2000 } });
    expect(metric(result, 'ws_rpc_duration').samplesUnknown).toBeUndefined();
    expect(metric(result, 'data_received').unit).toBe('bytes');
    expect(result.verdict?.thresholds.map((t) => [t.expression, t.status])).toEqual([
      ['rate>0.99', 'pass'],
      ['p(99)<250', 'fail'],
      ['p(95)<100', 'pass'],
    ]);
    expect(result.verdict?.thresholds[1]?.reason).toBe("k6 reported it failed; p(99)=262.4ms > 250 (n=2,000): breaches p(99)<250");
    expect(check(result, { 'ws_rpc_duration{scenario:latency}': ['p(99)<300'], ws_msgs_lost: ['count==0'] }).status).toBe('pass');
  });
});

describe('k6 machine-readable summary', () => {
  it('reads results.metrics and checks, rates from matches/total, version and times from metadata', async () => {
    const result = await imported('k6-machine-readable.json');
    expect(result).toMatchObject({ tool: { name: 'k6', version: '1.5.0' }, durationMs: 10_015.2, endedAt: '2026-01-15T10:20:30.000Z', verdict: null });
    expect(result.scenarios[0]?.name).toBe('latency.js');
    expect(metric(result, 'http_req_failed').values).toEqual({ rate: 0.03, passes: 3, fails: 97 });
    expect(metric(result, 'checks_succeeded').values).toEqual({ rate: 0.97, passes: 97, fails: 3 });
    expect(countOf(metric(result, 'http_reqs'))).toBe(100);
    expect((metric(result, 'http_reqs').values as { rate: number }).rate).toBeCloseTo(100 / 10.0152, 6);
    expect(metric(result, 'http_req_duration', { expected_response: 'true' }).unit).toBe('ms');
    expect(result.warnings.join('\n')).toMatch(/check "upgraded to websocket" failed 3 of 100 times/);
    expect(result.warnings.join('\n')).toMatch(/carries no thresholds/);
    expect(check(result, { ws_msgs_lost: ['count==0'] }).status).toBe('fail');
  });
});

describe('autocannon results', () => {
  it('maps latency, responses and failures, with every percentile autocannon wrote', async () => {
    const result = await imported('autocannon-result.json');
    expect(result).toMatchObject({ tool: { name: 'autocannon' }, durationMs: 2000, source: { format: 'autocannon' } });
    expect(result.target.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/health$/);
    const latency = metric(result, 'http_req_duration');
    expect(latency.samples).toBe(400);
    expect(latency.values).toMatchObject({ count: 400, med: 2, 'p(99)': 7, 'p(99.9)': 15, 'p(97.5)': 5 });
    expect(metric(result, 'http_reqs').values).toEqual({ count: 400, rate: 200 });
    expect(metric(result, 'http_req_failed').values).toEqual({ rate: 0, passes: 0, fails: 400 });
    expect(result.warnings.join('\n')).not.toMatch(/coordinated-omission/);
    expect(check(result, { http_req_duration: ['p(99)<50'], http_req_failed: ['rate<0.01'] }).status).toBe('pass');
  });

  it('warns when the latency sample count is not the response count (the coordinated-omission trap)', async () => {
    const result = await imported('autocannon-result-co-corrected.json');
    expect(metric(result, 'http_req_duration').samples).toBe(2046);
    expect(countOf(metric(result, 'http_reqs'))).toBe(40);
    expect(result.warnings.join('\n')).toMatch(/2046 latency samples for 40 responses: its coordinated-omission correction added synthetic samples/);
  });
});

describe('artillery reports', () => {
  it('maps what exists, keeps the rest under artillery names, and says what is missing', async () => {
    const result = await imported('artillery-report.json');
    expect(result).toMatchObject({ tool: { name: 'artillery' }, durationMs: 29_992, startedAt: new Date(1736935230012).toISOString() });
    expect(metric(result, 'http_req_duration')).toMatchObject({ unit: 'ms', samples: 398, values: { med: 9.1, 'p(99)': 201.4, 'p(99.9)': 308, avg: 14.2 } });
    expect(countOf(metric(result, 'ws_msgs_sent'))).toBe(4000);
    expect(countOf(metric(result, 'iterations'))).toBe(200);
    expect(metric(result, 'http_req_failed').values).toEqual({ rate: 4 / 400, passes: 4, fails: 396 });
    expect(metric(result, 'vusers.session_length').unit).toBe('ms');
    expect(countOf(metric(result, 'http.codes.503'))).toBe(2);
    expect(result.warnings.join('\n')).toMatch(/ws_rpc_duration, ws_event_latency.* are not in this result/);
    expect(check(result, { ws_rpc_duration: ['p(99)<250'] }).status).toBe('inconclusive');
  });
});

describe('format detection and bad input', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'wsmig-import-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('tells every fixture shape apart', async () => {
    const expected: Record<string, string> = {
      'k6-summary-export.json': 'k6-summary-export',
      'k6-handle-summary.json': 'k6-handle-summary',
      'k6-machine-readable.json': 'k6-machine-readable',
      'autocannon-result.json': 'autocannon',
      'artillery-report.json': 'artillery',
    };
    for (const [file, format] of Object.entries(expected)) expect(detectFormat(JSON.parse(await readFile(fixture(file), 'utf8'))), file).toBe(format);
  });

  it('says clearly when it cannot tell the format, the file is not JSON, or is missing', async () => {
    const unknown = path.join(dir, 'unknown.json');
    await writeFile(unknown, JSON.stringify({ hello: 'world' }));
    await expect(importFile(unknown)).rejects.toMatchObject({ code: 'IMPORT_UNKNOWN_FORMAT', exitCode: 2, message: expect.stringMatching(/Cannot tell what .*unknown\.json is.*--format/) });
    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '{"metrics":');
    await expect(importFile(broken)).rejects.toMatchObject({ code: 'IMPORT_BAD_FILE', message: expect.stringMatching(/broken\.json is not valid JSON/) });
    await expect(importFile(path.join(dir, 'nope.json'))).rejects.toMatchObject({ code: 'IMPORT_NOT_FOUND' });
    await expect(importFile(fixture('artillery-report.json'), 'autocannon')).rejects.toMatchObject({ code: 'IMPORT_BAD_FILE', message: expect.stringMatching(/not look like an autocannon result/) });
    await expect(importFile(fixture('artillery-report.json'), 'jmeter' as never)).rejects.toMatchObject({ code: 'IMPORT_BAD_FORMAT' });
  });
});
