import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildResult, MetricsRecorder } from '../../../scenarios/result/recorder.js';
import { parseResult, readResultFile, writeResultFile } from '../../../scenarios/result/schema.js';
import type { Result } from '../../../scenarios/result/types.js';
import { resultMeta } from '../thresholds/fixtures.js';

function aResult(): Result {
  const recorder = new MetricsRecorder({ startMs: 0 });
  recorder.trend('ws_rpc_duration', { scenario: 'latency' }).add(3, 10);
  recorder.counter('ws_msgs_lost');
  return buildResult(recorder.snapshot(), resultMeta(1000));
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wsmig-schema-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('result.json', () => {
  it('round-trips through writeResultFile and readResultFile', async () => {
    const file = path.join(dir, 'result.json');
    const result = aResult();
    await writeResultFile(file, result);
    expect(await readResultFile(file)).toEqual(result);
    expect((await readFile(file, 'utf8')).endsWith('}\n')).toBe(true);
  });

  it('names the file and the field path (with the metric name) when a field is wrong', () => {
    const broken = JSON.parse(JSON.stringify(aResult()));
    broken.metrics[1].values.med = 'fast';
    expect(() => parseResult(broken, 'run/result.json')).toThrow(/^run\/result\.json is not a valid wsmig\.result\/v1 result: metrics\[1\] \(ws_rpc_duration\)\.values\.med: /);
    const noRate = JSON.parse(JSON.stringify(aResult()));
    noRate.metrics[2].values = { value: 1 };
    expect(() => parseResult(noRate, 'r.json')).toThrow(/metrics\[2\] \(ws_msgs_lost\)\.values\.count/);
  });

  it('refuses other schema versions and non-JSON, saying what to do', async () => {
    expect(() => parseResult({ ...aResult(), schema: 'wsmig.result/v2' }, 'new.json')).toThrow(/"wsmig\.result\/v2" result; this wsmig reads "wsmig\.result\/v1": use the wsmig version that wrote it, or upgrade wsmig/);
    expect(() => parseResult('{not json', 'bad.json')).toThrow(/bad\.json is not valid JSON/);
    expect(() => parseResult({ ...aResult(), metrics: [{ name: 'x', type: 'trend', unit: 'ms', tags: {}, samples: 1, values: { count: 1, 'p(999)': 3 } }] }, 'p.json')).toThrow(/"p\(999\)" is not a trend value/);
    await expect(readResultFile(path.join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'RESULT_NOT_FOUND', exitCode: 2 });
  });

  it('keeps fields a newer v1 writer may add', () => {
    const result = { ...aResult(), futureField: { a: 1 } };
    expect(parseResult(result, 'f.json')).toMatchObject({ futureField: { a: 1 } });
  });
});
