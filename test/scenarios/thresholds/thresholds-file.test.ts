import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../lib/errors.js';
import { readThresholdsFile } from '../../../scenarios/thresholds/thresholds-file.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wsmig-thresholds-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function read(name: string, content: string) {
  const file = path.join(dir, name);
  await writeFile(file, content);
  return readThresholdsFile(file);
}

async function problem(name: string, content: string): Promise<string> {
  const error = await read(name, content).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(UsageError);
  expect((error as UsageError).code).toMatch(/^THRESHOLDS_/);
  expect((error as UsageError).exitCode).toBe(2);
  return (error as UsageError).message;
}

describe('reading thresholds files', () => {
  it('reads k6 JSON with array and object forms, selectors and wsmig additions', async () => {
    const set = await read(
      'thresholds.json',
      JSON.stringify({
        'ws_rpc_duration{scenario:latency}': ['p(99) < 250', { threshold: 'avg<=50', abortOnFail: true, delayAbortEval: '10s' }],
        server_cpu_percent: [{ threshold: 'value<90', window: '5s', consecutive: 3, minSamples: 2 }],
      }),
    );
    expect(set.source).toBe(path.join(dir, 'thresholds.json'));
    expect(set.definitions).toEqual([
      expect.objectContaining({ selector: 'ws_rpc_duration{scenario:latency}', metric: 'ws_rpc_duration', tags: { scenario: 'latency' }, method: 'percentile', percentile: 99, operator: '<', value: 250, abortOnFail: false, windowMs: null, consecutive: 1, minSamples: null }),
      expect.objectContaining({ expression: 'avg<=50', method: 'avg', operator: '<=', value: 50, abortOnFail: true, delayAbortEvalMs: 10_000 }),
      expect.objectContaining({ metric: 'server_cpu_percent', method: 'value', windowMs: 5_000, consecutive: 3, minSamples: 2 }),
    ]);
  });

  it('reads YAML and k6 options style ({ thresholds: … })', async () => {
    const yaml = await read('t.yaml', 'thresholds:\n  ws_msgs_lost: ["count==0"]\n  checks:\n    - rate>0.99\n');
    expect(yaml.definitions.map((d) => [d.metric, d.method, d.operator, d.value])).toEqual([
      ['ws_msgs_lost', 'count', '==', 0],
      ['checks', 'rate', '>', 0.99],
    ]);
    const options = await read('options.json', JSON.stringify({ vus: 10, thresholds: { http_req_failed: ['rate===0'] } }));
    expect(options.definitions[0]).toMatchObject({ metric: 'http_req_failed', operator: '===' });
  });

  it('names the file, the metric and the problem for every kind of mistake', async () => {
    const cases: Array<[string, string, RegExp]> = [
      ['t.json', '{"ws_rpc_duration": ["p(99)<<250"]}', /t\.json: "ws_rpc_duration": "p\(99\)<<250" is not "method operator number": "<250" is not a number/],
      ['t.json', '{"ws_rpc_duration": ["p99<250"]}', /"ws_rpc_duration": "p99<250": unknown method "p99"/],
      ['t.json', '{"ws_rpc_duration": ["p(101)<250"]}', /"ws_rpc_duration": "p\(101\)<250": "p\(101\)" is not a percentile/],
      ['t.json', '{"ws_rpc_duration": ["p(99) 250"]}', /"ws_rpc_duration": "p\(99\) 250" is not "method operator number"/],
      ['t.json', '{"ws_msgs_lost": ["p(99)<1"]}', /"ws_msgs_lost": "p\(99\)<1" uses p\(99\), which does not apply to ws_msgs_lost, a counter \(use count, rate\)/],
      ['t.json', '{"server_rss_bytes": ["avg<1"]}', /"server_rss_bytes".*a gauge \(use value\)/],
      ['t.json', '{"ws_connect_success": ["count>1"]}', /"ws_connect_success".*a rate \(use rate\)/],
      ['t.json', '{"server_cpu_percent": [{"threshold": "value<90", "window": "ten seconds"}]}', /"server_cpu_percent": bad window "ten seconds"/],
      ['t.json', '{"server_cpu_percent": [{"threshold": "value<90", "window": "0s"}]}', /"window" must be longer than 0/],
      ['t.json', '{"server_cpu_percent": [{"threshold": "value<90", "consecutive": 3}]}', /"consecutive" needs a "window"/],
      ['t.json', '{"server_cpu_percent": [{"threshold": "value<90", "window": "5s", "consecutive": 0}]}', /"consecutive" must be a whole number ≥ 1, got 0/],
      ['t.json', '{"ws_rpc_duration": [{"threshold": "p(99)<250", "minSamples": -1}]}', /"minSamples" must be a whole number ≥ 0/],
      ['t.json', '{"ws_rpc_duration": [{"threshold": "p(99)<250", "abortOnFial": true}]}', /"ws_rpc_duration": unknown option "abortOnFial"/],
      ['t.json', '{"ws_rpc_duration": [{"threshold": "p(99)<250", "abortOnFail": "yes"}]}', /"abortOnFail" must be true or false/],
      ['t.json', '{"ws_rpc_duration": [{"threshold": "p(99)<250", "delayAbortEval": "soon"}]}', /bad delayAbortEval "soon"/],
      ['t.json', '{"ws_rpc_duration": [{"abortOnFail": true}]}', /"ws_rpc_duration": "threshold" must be an expression string/],
      ['t.json', '{"ws_rpc_duration": "p(99)<250"}', /"ws_rpc_duration": use an array of expressions/],
      ['t.json', '{"ws_rpc_duration": []}', /"ws_rpc_duration": the array is empty/],
      ['t.json', '{"ws_rpc_duration": [42]}', /"ws_rpc_duration": each entry must be an expression string/],
      ['t.json', '{"ws_rpc_duration{scenario:latency": ["p(99)<250"]}', /t\.json: "ws_rpc_duration\{scenario:latency": .*unbalanced/],
      ['t.json', '{"ws_rpc_duration{scenario}": ["p(99)<250"]}', /tag "scenario" is not "key:value"/],
      ['t.json', '{}', /t\.json: it defines no thresholds/],
      ['t.json', '[]', /t\.json: it must be an object of metric selectors/],
      ['t.json', '{"ws_rpc_duration": ["p(99)<250"]', /t\.json: it is not valid JSON/],
      ['t.yaml', 'ws_rpc_duration: [p(99)<250\n', /t\.yaml: it is not valid YAML/],
    ];
    for (const [name, content, expected] of cases) {
      expect(await problem(name, content), content).toMatch(expected);
    }
  });

  it('says so when the file cannot be read', async () => {
    await expect(readThresholdsFile(path.join(dir, 'missing.json'))).rejects.toMatchObject({ code: 'THRESHOLDS_NOT_FOUND', message: expect.stringMatching(/missing\.json/) });
  });
});
