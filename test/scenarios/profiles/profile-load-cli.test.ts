/**
 * `wsmig load run` on protocol profiles against services wsmig did not write (rpc-websockets,
 * graphql-ws): the real CLI, short runs, few clients. Asserts that every request and event became
 * a sample and that the verdict is a real pass or fail — or, where the profile cannot measure
 * something, that it says NOT MEASURED and the threshold is inconclusive.
 */
import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricResult, Result } from '../../../scenarios/result/types.js';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { tempDirPerTest } from '../../helpers/temp-dir.js';
import { startGraphqlWsServer, startJsonRpcServer, type ThirdPartyServer } from './third-party-servers.js';

const dir = tempDirPerTest('wsmig-profile-run-');
/** Short and light: a few connections, enough requests for the default thresholds' 100 samples. */
const SHORT = ['--duration', '4s', '--ramp-up', '500ms', '--connections', '4', '--workers', '1'];
const GRAPHQL_TICKS = ['--profile-var', 'subscription=subscription { ticks { seq ts } }'];
const GRAPHQL_TICK_FIELDS = ['--profile-var', 'seqPath=payload.data.ticks.seq', '--profile-var', 'timestampPath=payload.data.ticks.ts'];

/** The profile of rpc-websockets' events: the built-in json-rpc plus its subscribe (`rpc.on`) and where its ticks keep seq and ts. */
const RPC_WEBSOCKETS_PROFILE = [
  'extends: json-rpc',
  'name: rpc-websockets-ticks',
  'subscribe:',
  '  send: { jsonrpc: "2.0", id: "{{id}}", method: rpc.on, params: [tick] }',
  '  ack: { idPath: id }',
  'events:',
  '  match: { path: notification, equals: tick }',
  '  seqPath: params.seq',
  '  timestampPath: params.ts',
].join('\n');

let rpc: ThirdPartyServer;
let graphql: ThirdPartyServer;

beforeAll(async () => {
  rpc = await startJsonRpcServer();
  graphql = await startGraphqlWsServer();
});

afterAll(async () => {
  await rpc?.close();
  await graphql?.close();
});

async function loadRun(args: string[]): Promise<{ run: CliResult; result: Result }> {
  const run = await runCli(['load', 'run', ...args, '--out', dir(), '--json'], { timeoutMs: 90_000 });
  expect(run.stdout.trim().startsWith('{'), `no Result on stdout (exit ${run.exitCode}): ${run.stderr}`).toBe(true);
  return { run, result: JSON.parse(run.stdout) as Result };
}

function metric(result: Result, name: string, scenario: string): MetricResult | undefined {
  return result.metrics.find((m) => m.name === name && m.tags['scenario'] === scenario);
}

function count(result: Result, name: string, scenario: string): number {
  const found = metric(result, name, scenario);
  if (found === undefined) return 0;
  const values = found.values as { count?: number; passes?: number; fails?: number };
  return values.count ?? (values.passes ?? 0) + (values.fails ?? 0);
}

function thresholdStatus(result: Result, selector: string): string | undefined {
  return result.verdict?.thresholds.find((t) => t.metric === selector)?.status;
}

async function rpcProfileFile(): Promise<string> {
  const file = path.join(dir(), 'rpc-websockets.yaml');
  await writeFile(file, RPC_WEBSOCKETS_PROFILE);
  return file;
}

describe('load run on protocol profiles, against servers wsmig did not write', () => {
  it('latency on json-rpc (rpc-websockets): every request timed to its reply, every event to its timestamp, and a pass or fail', async () => {
    const { run, result } = await loadRun(['latency', ...SHORT, '--rate', '50', '--profile', await rpcProfileFile(), '--target', rpc.url]);
    const requests = count(result, 'iterations', 'latency');
    expect(requests).toBeGreaterThanOrEqual(100);
    expect(count(result, 'ws_rpc_duration', 'latency')).toBe(requests);
    expect(metric(result, 'checks', 'latency')?.values).toMatchObject({ passes: requests, fails: 0 });
    const events = count(result, 'ws_event_latency', 'latency');
    expect(events).toBeGreaterThan(100);
    // Every event carried a seq: each is one sample of the loss counter, so loss was really measured.
    expect(metric(result, 'ws_msgs_lost', 'latency')?.samples).toBe(events);
    expect(result.scenarios[0]?.options['profile']).toBe('rpc-websockets-ticks');
    expect(['pass', 'fail']).toContain(result.verdict?.status);
    expect(run.exitCode).toBe(result.verdict?.status === 'pass' ? 0 : 99);
    expect(result.warnings.join('\n')).not.toMatch(/NOT MEASURED/);
  });

  it('latency on the built-in json-rpc: requests timed; events it cannot see are NOT MEASURED, so the verdict is inconclusive', async () => {
    const { run, result } = await loadRun(['latency', ...SHORT, '--rate', '50', '--profile', 'json-rpc', '--target', rpc.url]);
    const requests = count(result, 'iterations', 'latency');
    expect(requests).toBeGreaterThanOrEqual(100);
    expect(count(result, 'ws_rpc_duration', 'latency')).toBe(requests);
    expect(thresholdStatus(result, 'ws_rpc_duration{scenario:latency}')).toMatch(/pass|fail/);
    expect(result.warnings.join('\n')).toMatch(/NOT MEASURED: ws_event_latency, ws_msgs_lost, ws_msgs_duplicated — no event arrived/);
    expect(metric(result, 'ws_msgs_lost', 'latency')).toBeUndefined();
    expect(thresholdStatus(result, 'ws_msgs_lost')).toBe('inconclusive');
    if (result.verdict?.status !== 'fail') expect(run.exitCode).toBe(98);
  });

  it('fan-out on graphql-ws: every pushed event timed, loss counted by seq, and a pass or fail', async () => {
    const { run, result } = await loadRun(['fan-out', ...SHORT, '--profile', 'graphql-ws', ...GRAPHQL_TICKS, ...GRAPHQL_TICK_FIELDS, '--target', graphql.url]);
    const events = count(result, 'ws_event_latency', 'fan-out');
    // 4 subscribers, a tick every 20 ms each, for about 3.5 s.
    expect(events).toBeGreaterThan(200);
    expect(metric(result, 'ws_msgs_lost', 'fan-out')?.samples).toBe(events);
    expect(count(result, 'ws_msgs_duplicated', 'fan-out')).toBe(0);
    expect(thresholdStatus(result, 'ws_event_latency{scenario:fan-out}')).toMatch(/pass|fail/);
    expect(['pass', 'fail']).toContain(result.verdict?.status);
    expect(run.exitCode).toBe(result.verdict?.status === 'pass' ? 0 : 99);
  });

  it('fan-out on graphql-ws without seq and timestamp paths: loss NOT MEASURED and inconclusive, inter-arrival instead of latency', async () => {
    const { run, result } = await loadRun(['fan-out', ...SHORT, '--profile', 'graphql-ws', ...GRAPHQL_TICKS, '--target', graphql.url]);
    const warnings = result.warnings.join('\n');
    expect(warnings).toMatch(/NOT MEASURED: ws_msgs_lost, ws_msgs_duplicated — the profile graphql-ws has no events.seqPath/);
    expect(warnings).toMatch(/NOT MEASURED: ws_event_latency — .*ws_event_interarrival/);
    expect(metric(result, 'ws_msgs_lost', 'fan-out')).toBeUndefined();
    expect(metric(result, 'ws_event_latency', 'fan-out')).toBeUndefined();
    expect(count(result, 'ws_event_interarrival', 'fan-out')).toBeGreaterThan(100);
    expect(thresholdStatus(result, 'ws_msgs_lost')).toBe('inconclusive');
    expect(thresholdStatus(result, 'ws_msgs_duplicated')).toBe('inconclusive');
    expect(thresholdStatus(result, 'ws_event_latency{scenario:fan-out}')).toBe('inconclusive');
    expect(result.verdict?.status).not.toBe('pass');
    if (result.verdict?.status === 'inconclusive') expect(run.exitCode).toBe(98);
  });

  it('latency on graphql-ws: the query timed to its first next, ticks timed from their ts', async () => {
    const { result } = await loadRun(['latency', ...SHORT, '--rate', '50', '--profile', 'graphql-ws', ...GRAPHQL_TICKS, ...GRAPHQL_TICK_FIELDS, '--target', graphql.url]);
    const requests = count(result, 'iterations', 'latency');
    expect(requests).toBeGreaterThanOrEqual(100);
    expect(metric(result, 'checks', 'latency')?.values).toMatchObject({ passes: requests, fails: 0 });
    expect(count(result, 'ws_event_latency', 'latency')).toBeGreaterThan(100);
    expect(['pass', 'fail']).toContain(result.verdict?.status);
    // Each query's `complete` is ignored by the profile, not reported as a message it could not place.
    expect(result.warnings.join('\n')).not.toMatch(/matched no rule/);
  });

  it('reconnect-storm on json-rpc: every cut connection reconnects and resubscribes, and each reconnect is timed', async () => {
    const { result } = await loadRun(['reconnect-storm', ...SHORT, '--set', 'cuts=2', '--set', 'cutMode=client-close', '--profile', await rpcProfileFile(), '--target', rpc.url]);
    expect(count(result, 'ws_reconnect_duration', 'reconnect-storm')).toBe(4 * 2);
    expect(metric(result, 'ws_reconnect_success', 'reconnect-storm')?.values).toMatchObject({ passes: 8, fails: 0 });
    expect(count(result, 'ws_event_latency', 'reconnect-storm')).toBeGreaterThan(0);
    expect(result.warnings.join('\n')).toMatch(/subscribes afresh after a reconnect/);
  });

  it('soak on json-rpc: requests and events on long-lived connections', async () => {
    const { result } = await loadRun(['soak', ...SHORT, '--rate', '20', '--profile', await rpcProfileFile(), '--target', rpc.url]);
    expect(count(result, 'ws_rpc_duration', 'soak')).toBe(count(result, 'iterations', 'soak'));
    expect(count(result, 'ws_rpc_duration', 'soak')).toBeGreaterThan(0);
    expect(count(result, 'ws_event_latency', 'soak')).toBeGreaterThan(0);
    expect(count(result, 'ws_unexpected_disconnects', 'soak')).toBe(0);
  });
});

describe('fan-out on wsmig\'s own envelope (no --profile)', () => {
  it('every subscriber of the one syncing chat gets its events, timed and checked by seq', async () => {
    const { run, result } = await loadRun(['fan-out', '--duration', '3s', '--ramp-up', '300ms', '--connections', '20']);
    const events = count(result, 'ws_event_latency', 'fan-out');
    expect(events).toBeGreaterThan(20 * 10);
    expect(metric(result, 'ws_msgs_lost', 'fan-out')?.samples).toBeGreaterThanOrEqual(events);
    expect(result.scenarios[0]?.options['profile']).toBeUndefined();
    expect(['pass', 'fail']).toContain(result.verdict?.status);
    expect(run.exitCode).toBe(result.verdict?.status === 'pass' ? 0 : 99);
  });
});

describe('profile mistakes on the command line', () => {
  it('a bad profile file exits 2 naming the field, before anything connects', async () => {
    const file = path.join(dir(), 'bad.json');
    await writeFile(file, JSON.stringify({ name: 'bad', request: { send: { id: '{{id}}' }, reply: { idPath: 'id' } }, events: { match: { path: 'type', equals: 'event' }, seqPath: 3 } }));
    const run = await runCli(['load', 'run', 'latency', '--profile', file, '--target', 'ws://127.0.0.1:9/']);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/Invalid protocol profile .*bad\.json\): events\.seqPath: /);
  });

  it('an unknown profile name and a missing variable exit 2 with what to give', async () => {
    const unknown = await runCli(['load', 'run', 'latency', '--profile', 'graphql', '--target', 'ws://127.0.0.1:9/']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown profile "graphql".*give a built-in profile \(wsmig, json-rpc, graphql-ws, type-data\)/);
    const missing = await runCli(['load', 'run', 'fan-out', '--profile', 'graphql-ws', '--target', 'ws://127.0.0.1:9/']);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/--profile-var subscription=/);
  });

  it('sync-progress and the embedded server need wsmig\'s own protocol: exit 2', async () => {
    const sync = await runCli(['load', 'run', 'sync-progress', '--profile', 'json-rpc', '--target', rpc.url]);
    expect(sync.exitCode).toBe(2);
    expect(sync.stderr).toMatch(/sync-progress drives wsmig's own sync:start/);
    const embedded = await runCli(['load', 'run', 'latency', '--profile', 'json-rpc']);
    expect(embedded.exitCode).toBe(2);
    expect(embedded.stderr).toMatch(/give --target/);
  });
});

describe('k6 and protocol profiles on the command line', () => {
  it('load export k6 --profile writes the one script speaking the profile, its variables resolved', async () => {
    const out = path.join(dir(), 'k6-fan-out');
    const run = await runCli(['load', 'export', 'k6', 'fan-out', '--profile', 'graphql-ws', ...GRAPHQL_TICKS, '--target', graphql.url, '--out', out]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect((await readdir(out)).sort()).toEqual(['README.md', 'fan-out.js', 'options.json', 'run.sh']);
    const script = await readFile(path.join(out, 'fan-out.js'), 'utf8');
    expect(script).toMatch(/^var WSMIG_PROFILE = \{"name":"graphql-ws"/m);
    expect(script).toContain('subscription { ticks { seq ts } }');
    expect(run.stdout).toMatch(/note: NOT MEASURED: ws_msgs_lost, ws_msgs_duplicated — the profile graphql-ws has no events.seqPath/);
  });

  it('a profile the k6 side cannot express exits 2 naming the field, for export and for --engine k6 (before looking for k6)', async () => {
    const file = path.join(dir(), 'extensions.yaml');
    await writeFile(file, ['extends: json-rpc', 'name: with-extensions', 'connect:', '  headers: { Sec-WebSocket-Extensions: permessage-deflate }'].join('\n'));
    const exported = await runCli(['load', 'export', 'k6', 'latency', '--profile', file, '--out', path.join(dir(), 'refused')]);
    expect(exported.exitCode).toBe(2);
    expect(exported.stderr).toMatch(/cannot speak the profile with-extensions .*connect\.headers\.Sec-WebSocket-Extensions: k6 sets this upgrade header itself/);
    const run = await runCli(['load', 'run', 'latency', '--engine', 'k6', '--profile', file, '--target', rpc.url], { env: { PATH: path.dirname(process.execPath) } });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/connect\.headers\.Sec-WebSocket-Extensions/);
    expect(run.stderr).not.toMatch(/k6 is not installed/);
  });
});

