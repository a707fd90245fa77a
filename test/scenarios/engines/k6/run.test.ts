/**
 * How wsmig runs k6: finding it, its arguments and environment, its exit codes, and importing its
 * summary. A stand-in binary (fixtures/fake-k6.mjs) plays k6's process; the scripts themselves
 * only run under a real k6 (see k6-integration.test.ts).
 */
import { copyFile, chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError, WsmigError } from '../../../../lib/errors.js';
import { ServiceCredentials } from '../../../../scenarios/credentials.js';
import { K6_INSTALL_URL } from '../../../../scenarios/engines/k6/k6-binary.js';
import { runK6Scenario, withScenarioTag, type RunK6Options } from '../../../../scenarios/engines/k6/run.js';
import { loadProfile } from '../../../../scenarios/profiles/load-profile.js';
import { compileK6Scripts } from '../../k6/compiled-scripts.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const LATENCY_OPTIONS = { connections: 20, rate: 200, durationMs: 3_000, rampUpMs: 500, payloadBytes: 100, syncs: 5, requestTimeoutMs: 10_000 };
const TARGET = { wsUrl: 'ws://127.0.0.1:45678/ws', httpUrl: 'http://127.0.0.1:45678' };

let scripts: Awaited<ReturnType<typeof compileK6Scripts>>;
let work: string;
let binDir: string;

beforeAll(async () => {
  scripts = await compileK6Scripts();
  work = await mkdtemp(path.join(tmpdir(), 'wsmig-k6-run-'));
  binDir = path.join(work, 'bin');
  await mkdir(binDir);
  await copyFile(path.join(FIXTURES, 'fake-k6.mjs'), path.join(binDir, 'k6'));
  await chmod(path.join(binDir, 'k6'), 0o755);
}, 120_000);

afterAll(async () => {
  await scripts.remove();
  await rm(work, { recursive: true, force: true });
});

function fakeK6Env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: [binDir, path.dirname(process.execPath)].join(path.delimiter), FAKE_K6_SUMMARY: path.join(FIXTURES, 'latency-summary-export.json'), ...extra };
}

function runWithFake(extra: Record<string, string>, overrides: Partial<RunK6Options> = {}): { output: PassThrough; run: Promise<Awaited<ReturnType<typeof runK6Scenario>>> } {
  const output = new PassThrough();
  output.resume();
  const run = runK6Scenario('latency', { target: TARGET, options: LATENCY_OPTIONS, env: fakeK6Env(extra), scriptsDir: scripts.dir, output, ...overrides });
  return { output, run };
}

describe('runK6Scenario', () => {
  it('stops with K6_NOT_FOUND, saying how to get k6, when there is no k6 on PATH', async () => {
    const emptyDir = path.join(work, 'empty');
    await mkdir(emptyDir, { recursive: true });
    const failure = await runK6Scenario('latency', { target: TARGET, options: LATENCY_OPTIONS, env: { PATH: emptyDir }, scriptsDir: scripts.dir }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UsageError);
    expect(failure).toMatchObject({ code: 'K6_NOT_FOUND', exitCode: 2 });
    expect((failure as Error).message).toContain('k6 is not installed');
    expect((failure as Error).message).toContain(K6_INSTALL_URL);
    expect((failure as Error).message).toContain('--engine native');
  });

  it('stops with K6_NOT_FOUND when WSMIG_K6 names no executable', async () => {
    const notExecutable = path.join(work, 'not-k6.txt');
    await writeFile(notExecutable, 'plain text');
    await expect(runK6Scenario('latency', { target: TARGET, options: LATENCY_OPTIONS, env: { WSMIG_K6: notExecutable, PATH: '' }, scriptsDir: scripts.dir })).rejects.toMatchObject({
      code: 'K6_NOT_FOUND',
    });
  });

  it('refuses what k6 cannot do before looking for k6', async () => {
    await expect(runK6Scenario('sse-baseline', { target: TARGET, options: {}, env: { PATH: '' } })).rejects.toMatchObject({ code: 'K6_NO_SCRIPT', exitCode: 2 });
    await expect(runK6Scenario('reconnect-storm', { target: TARGET, options: { cutMode: 'restart' }, env: { PATH: '' } })).rejects.toMatchObject({ code: 'K6_CUT_MODE', exitCode: 2 });
  });

  it('runs k6 with the summary export and the WSMIG_* variables, relays its output, and imports the summary', async () => {
    const record = path.join(work, 'record-ok.json');
    const { output, run } = runWithFake({ FAKE_K6_RECORD: record });
    let relayed = '';
    output.on('data', (chunk: Buffer) => (relayed += chunk.toString()));
    const result = await run;

    const { args } = JSON.parse(await readFile(record, 'utf8')) as { args: string[] };
    expect(args[0]).toBe('run');
    expect(args).toContain('--summary-export');
    expect(args[args.length - 1]).toBe(path.join(scripts.dir, 'latency.js'));
    const env = Object.fromEntries(args.filter((_, index) => args[index - 1] === '-e').map((pair) => pair.split(/=(.*)/s).slice(0, 2)));
    expect(env).toMatchObject({
      WSMIG_TARGET: TARGET.wsUrl,
      WSMIG_HTTP: TARGET.httpUrl,
      WSMIG_CONNECTIONS: '20',
      WSMIG_RATE: '200',
      WSMIG_DURATION: '3000ms',
      WSMIG_RAMP_UP: '500ms',
      WSMIG_PAYLOAD_BYTES: '100',
      WSMIG_SYNCS: '5',
      WSMIG_REQUEST_TIMEOUT: '10000ms',
    });
    expect(relayed).toContain('fake k6: running');

    expect(result).toMatchObject({ engine: 'k6', tool: { name: 'k6', version: '1.3.0' }, verdict: null, source: null, target: { url: TARGET.wsUrl } });
    expect(result.scenarios).toEqual([{ name: 'latency', engine: 'k6', options: LATENCY_OPTIONS, startOffsetMs: 0, durationMs: result.durationMs }]);
    const rpc = result.metrics.filter((metric) => metric.name === 'ws_rpc_duration');
    expect(rpc.map((metric) => metric.tags)).toEqual([{}, { scenario: 'latency' }]);
    expect(rpc[1]?.values).toMatchObject({ 'p(99)': 9.8, count: 598 });
    expect(result.metrics.find((metric) => metric.name === 'ws_msgs_lost' && metric.tags['scenario'] === 'latency')?.values).toMatchObject({ count: 0 });
    expect(result.generator).toMatchObject({ workers: 1, lateSends: 3, droppedIterations: 2, sendLagP99Ms: 6 });
    expect(result.generator?.problems.join('\n')).toContain('2 scheduled requests were not sent');
  });

  it('runs a script carrying the protocol profile, and says in the Result what the profile cannot measure', async () => {
    const record = path.join(work, 'record-profile.json');
    const profile = await loadProfile('json-rpc');
    const result = await runWithFake({ FAKE_K6_RECORD: record }, { profile }).run;
    const { args, scriptHead } = JSON.parse(await readFile(record, 'utf8')) as { args: string[]; scriptHead: string };
    // A copy of the bundled script with the profile written at its top, not the script as built.
    expect(args[args.length - 1]).not.toBe(path.join(scripts.dir, 'latency.js'));
    expect(path.basename(args[args.length - 1] as string)).toBe('latency.js');
    expect(scriptHead).toMatch(/^\/\/ wsmig protocol profile "json-rpc"/);
    expect(result.warnings.join('\n')).toMatch(/NOT MEASURED: ws_msgs_lost, ws_msgs_duplicated — the profile json-rpc has no events.seqPath/);
    await expect(runK6Scenario('sync-progress', { target: TARGET, options: {}, profile, env: { PATH: '' } })).rejects.toMatchObject({ code: 'PROFILE_UNSUPPORTED', exitCode: 2 });
  });

  it('hands the service\'s tokens to k6 in its environment, never in its arguments', async () => {
    const record = path.join(work, 'record-tokens.json');
    const credentials = new ServiceCredentials({ token: 'k6-svc-token', adminToken: 'k6-admin-token', tokenHint: 'STAGING_TOKEN (--token-env)', adminTokenHint: 'WSMIG_ADMIN_TOKEN' });
    // A WSMIG_TOKEN already in the environment is replaced by the token wsmig was given.
    await runWithFake({ FAKE_K6_RECORD: record, WSMIG_TOKEN: 'stale' }, { credentials }).run;
    const { args, tokens } = JSON.parse(await readFile(record, 'utf8')) as { args: string[]; tokens: Record<string, string | null> };
    expect(tokens).toEqual({ WSMIG_TOKEN: 'k6-svc-token', WSMIG_ADMIN_TOKEN: 'k6-admin-token' });
    expect(args.join(' ')).not.toContain('k6-svc-token');
    expect(args.join(' ')).not.toContain('k6-admin-token');

    await runWithFake({ FAKE_K6_RECORD: record }).run;
    expect((JSON.parse(await readFile(record, 'utf8')) as { tokens: unknown }).tokens).toEqual({ WSMIG_TOKEN: null, WSMIG_ADMIN_TOKEN: null });
  });

  it('hands k6 only the thresholds it can evaluate, and says what it left to wsmig', async () => {
    const record = path.join(work, 'record-thresholds.json');
    const thresholdsFile = path.join(work, 'thresholds.yaml');
    await writeFile(
      thresholdsFile,
      [
        'ws_rpc_duration{scenario:latency}: ["p(99)<250"]',
        'ws_msgs_lost: [{ threshold: "count==0", abortOnFail: true }]',
        'server_cpu_percent: [{ threshold: "value<85", window: 5s, consecutive: 3 }]',
        'ws_event_latency: [{ threshold: "p(99)<500", minSamples: 50 }]',
        '',
      ].join('\n'),
    );
    const { run } = runWithFake({ FAKE_K6_RECORD: record }, { thresholdsFile });
    const result = await run;
    const { thresholds } = JSON.parse(await readFile(record, 'utf8')) as { thresholds: unknown };
    expect(thresholds).toEqual({
      'ws_rpc_duration{scenario:latency}': ['p(99)<250'],
      ws_msgs_lost: [{ threshold: 'count==0', abortOnFail: true }],
      ws_event_latency: ['p(99)<500'],
    });
    expect(result.warnings.join('\n')).toMatch(/server_cpu_percent "value<85": k6 does not record server_cpu_percent/);
    expect(result.warnings.join('\n')).toMatch(/ws_event_latency "p\(99\)<500": k6 ignores minSamples/);
  });

  it('takes exit code 99 (k6 thresholds failed) as a measurement, not an error', async () => {
    const result = await runWithFake({ FAKE_K6_EXIT: '99' }).run;
    expect(result.engine).toBe('k6');
    expect(result.warnings.join('\n')).toContain('k6 reported failed thresholds (exit 99)');
  });

  it('fails with the end of k6\'s output when k6 fails', async () => {
    const failure = await runWithFake({ FAKE_K6_EXIT: '107', FAKE_K6_STDERR: 'ReferenceError: connections is not defined at latency.js:12' }).run.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(WsmigError);
    expect(failure).toMatchObject({ code: 'K6_RUN_FAILED', exitCode: 1 });
    expect((failure as Error).message).toContain('exit code 107: the script threw an exception');
    expect((failure as Error).message).toContain('ReferenceError: connections is not defined');
  });

  it('fails when k6 wrote no summary', async () => {
    await expect(runWithFake({ FAKE_K6_WRITE_SUMMARY: 'no' }).run).rejects.toMatchObject({ code: 'K6_NO_SUMMARY' });
  });
});

describe('withScenarioTag', () => {
  it('adds the scenario\'s copy of each whole-run metric, keeping sub-metrics k6 already tagged', () => {
    const metric = (name: string, tags: Record<string, string>) => ({ name, type: 'counter' as const, unit: 'count' as const, tags, samples: 1, values: { count: 1, rate: 1 } });
    const tagged = withScenarioTag([metric('a', {}), metric('b', {}), metric('b', { scenario: 'latency' }), metric('c', { expected_response: 'true' })], 'latency');
    expect(tagged.map((m) => `${m.name}${JSON.stringify(m.tags)}`)).toEqual(['a{}', 'b{}', 'b{"scenario":"latency"}', 'c{"expected_response":"true"}', 'a{"scenario":"latency"}']);
  });
});
