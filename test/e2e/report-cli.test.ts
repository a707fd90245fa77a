import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

const FIXTURES = path.join(REPO_ROOT, 'test/fixtures/imports');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'wsmig-report-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function thresholdsFile(name: string, thresholds: unknown): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, typeof thresholds === 'string' ? thresholds : JSON.stringify(thresholds));
  return file;
}

describe('wsmig report import', () => {
  it('evaluates thresholds on a k6 summary, exits 99 with the breach explained, and writes the run folder', async () => {
    const thresholds = await thresholdsFile('k6.yaml', "ws_rpc_duration:\n  - 'p(99)<250'\nws_msgs_lost: ['count==0']\n");
    const out = path.join(dir, 'reports');
    const { exitCode, stdout, stderr } = await runCli(['report', 'import', path.join(FIXTURES, 'k6-handle-summary.json'), '--thresholds', thresholds, '--out', out]);
    expect(stderr).toBe('');
    expect(exitCode).toBe(99);
    expect(stdout).toMatch(/verdict: FAIL — 1 of 2 thresholds breached \(exit 99\)/);
    expect(stdout).toMatch(/FAIL +ws_rpc_duration +p\(99\)<250 +262\.4ms .*p\(99\)=262\.4ms > 250 \(n=2,000\): breaches p\(99\)<250/);
    const [folder] = await readdir(out);
    expect(folder).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ-k6$/);
    expect((await readdir(path.join(out, folder!))).sort()).toEqual(['report.html', 'report.md', 'result.json']);
    expect(stdout).toContain(path.join(out, folder!, 'report.html'));
    const result = JSON.parse(await readFile(path.join(out, folder!, 'result.json'), 'utf8'));
    expect(result).toMatchObject({ schema: 'wsmig.result/v1', engine: 'imported', verdict: { status: 'fail', thresholdsSource: thresholds } });
  });

  it('exits 0 when an autocannon result passes, and 98 when a threshold cannot be decided', async () => {
    const passing = await thresholdsFile('http.json', { http_req_duration: ['p(99)<100'], http_req_failed: ['rate<0.01'] });
    expect((await runCli(['report', 'import', path.join(FIXTURES, 'autocannon-result.json'), '--thresholds', passing])).exitCode).toBe(0);
    const undecidable = await thresholdsFile('ws.json', { ws_rpc_duration: ['p(99)<250'] });
    const { exitCode, stdout } = await runCli(['report', 'import', path.join(FIXTURES, 'artillery-report.json'), '--thresholds', undecidable]);
    expect(exitCode).toBe(98);
    expect(stdout).toMatch(/INCONCLUSIVE +ws_rpc_duration .*not measured in this run/);
  });

  it('prints the Result as JSON with --json, and exits 0 without thresholds', async () => {
    const { exitCode, stdout } = await runCli(['report', 'import', path.join(FIXTURES, 'k6-machine-readable.json'), '--json']);
    expect(exitCode).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ schema: 'wsmig.result/v1', tool: { name: 'k6', version: '1.5.0' }, source: { format: 'k6-machine-readable' } });
  });

  it('exits 2 with what to do for an unknown shape, a bad format name or a bad thresholds file', async () => {
    const unknown = await thresholdsFile('unknown.json', { hello: 'world' });
    const shape = await runCli(['report', 'import', unknown]);
    expect(shape.exitCode).toBe(2);
    expect(shape.stderr).toMatch(/Cannot tell what .*unknown\.json is: expected a k6 summary/);
    const format = await runCli(['report', 'import', unknown, '--format', 'jmeter']);
    expect(format.exitCode).toBe(2);
    expect(format.stderr).toMatch(/Unknown --format "jmeter"/);
    const bad = await thresholdsFile('bad.json', { ws_msgs_lost: ['p(99)<1'] });
    const thresholds = await runCli(['report', 'import', path.join(FIXTURES, 'autocannon-result.json'), '--thresholds', bad]);
    expect(thresholds.exitCode).toBe(2);
    expect(thresholds.stderr).toMatch(/bad\.json: "ws_msgs_lost": "p\(99\)<1" uses p\(99\), which does not apply to ws_msgs_lost, a counter/);
  });
});

describe('wsmig report render', () => {
  let resultJson: string;
  beforeAll(async () => {
    const out = path.join(dir, 'render');
    await runCli(['report', 'import', path.join(FIXTURES, 'k6-summary-export.json'), '--out', out]);
    const [folder] = await readdir(out);
    resultJson = path.join(out, folder!, 'result.json');
  });

  it('re-renders a result.json as console (default), Markdown, or HTML to a file', async () => {
    const consoleRun = await runCli(['report', 'render', resultJson]);
    expect(consoleRun.exitCode).toBe(0);
    expect(consoleRun.stdout).toMatch(/verdict: FAIL/);
    const md = await runCli(['report', 'render', resultJson, '--md']);
    expect(md.stdout).toMatch(/^# wsmig load report — FAIL/);
    const htmlFile = path.join(dir, 'again.html');
    const html = await runCli(['report', 'render', resultJson, '--html', '--out', htmlFile]);
    expect(html.exitCode).toBe(0);
    expect(html.stdout).toBe(`wrote ${htmlFile}`);
    expect(await readFile(htmlFile, 'utf8')).toMatch(/^<!doctype html>[\s\S]*FAIL/);
  });

  it('exits 2 for two formats at once, and for a file that is not a valid result, naming the field', async () => {
    const both = await runCli(['report', 'render', resultJson, '--html', '--md']);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toMatch(/Choose one of --html, --md or --console/);
    const broken = path.join(dir, 'broken-result.json');
    const result = JSON.parse(await readFile(resultJson, 'utf8'));
    result.metrics[1].values.count = 'many';
    await writeFile(broken, JSON.stringify(result));
    const invalid = await runCli(['report', 'render', broken]);
    expect(invalid.exitCode).toBe(2);
    expect(invalid.stderr).toMatch(/broken-result\.json is not a valid wsmig\.result\/v1 result: metrics\[1\] \(data_received\)\.values\.count: /);
  });
});
