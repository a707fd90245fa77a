/**
 * `wsmig load run sse-stream` against an SSE service wsmig did not write (express + better-sse):
 * GET streams held open, dropped by the server and resumed with Last-Event-ID; POST streams timed
 * to their end. The real CLI, short runs.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricResult, Result } from '../../../scenarios/result/types.js';
import { runCli } from '../../helpers/cli.js';
import { tempDirPerTest } from '../../helpers/temp-dir.js';
import { startSseServer, type ThirdPartyServer } from './third-party-servers.js';

const dir = tempDirPerTest('wsmig-sse-stream-');
const SHORT = ['--duration', '3s', '--ramp-up', '300ms', '--connections', '4', '--set', 'reconnectDelay=100ms'];
let sse: ThirdPartyServer;

beforeAll(async () => {
  sse = await startSseServer({ dropAfter: 40 });
});

afterAll(async () => {
  await sse?.close();
});

async function profile(name: string, lines: string[]): Promise<string> {
  const file = path.join(dir(), name);
  await writeFile(file, lines.join('\n'));
  return file;
}

async function sseRun(profileFile: string): Promise<{ exitCode: number; result: Result }> {
  const run = await runCli(['load', 'run', 'sse-stream', ...SHORT, '--profile', profileFile, '--target', sse.url, '--out', dir(), '--json'], { timeoutMs: 60_000 });
  expect(run.stdout.trim().startsWith('{'), `no Result on stdout (exit ${run.exitCode}): ${run.stderr}`).toBe(true);
  return { exitCode: run.exitCode, result: JSON.parse(run.stdout) as Result };
}

function metric(result: Result, name: string): MetricResult | undefined {
  return result.metrics.find((m) => m.name === name && m.tags['scenario'] === 'sse-stream');
}

function samples(result: Result, name: string): number {
  return metric(result, name)?.samples ?? 0;
}

describe('sse-stream against an express + better-sse service', () => {
  it('GET streams: every tick timed from its ts, none lost across drops resumed with Last-Event-ID, and a pass or fail', async () => {
    const file = await profile('ticks.yaml', [
      'name: ticks-sse',
      'sse:',
      `  url: ${sse.url}/api/ticks`,
      '  events: { event: tick, seqFromId: true, timestampPath: ts }',
    ]);
    const { exitCode, result } = await sseRun(file);
    const events = samples(result, 'sse_event_latency');
    // 4 streams, a tick every 20 ms, for about 2.7 s.
    expect(events).toBeGreaterThan(200);
    expect(samples(result, 'sse_msgs_lost')).toBe(events);
    expect(metric(result, 'sse_msgs_lost')?.values).toMatchObject({ count: 0 });
    // The server drops each stream after 40 ticks (~0.8 s): each comes back, resumed.
    expect(samples(result, 'sse_reconnect_duration')).toBeGreaterThanOrEqual(4);
    expect(['pass', 'fail']).toContain(result.verdict?.status);
    expect(exitCode).toBe(result.verdict?.status === 'pass' ? 0 : 99);
  });

  it('POST streams are timed to their end; without seq or timestamp, loss and latency are NOT MEASURED and inconclusive', async () => {
    const file = await profile('jobs.yaml', ['name: jobs-sse', 'sse:', '  url: /api/jobs', '  method: POST', '  body: { job: "load-{{vu}}-{{seq}}" }', '  events: { event: progress }']);
    const { exitCode, result } = await sseRun(file);
    const streams = samples(result, 'sse_stream_duration');
    // Each stream takes about 100 ms; 4 connections for about 2.7 s.
    expect(streams).toBeGreaterThan(20);
    expect(metric(result, 'http_req_failed')?.values).toMatchObject({ passes: 0 });
    expect(samples(result, 'sse_event_interarrival')).toBeGreaterThan(streams * 5);
    expect(metric(result, 'sse_event_latency')).toBeUndefined();
    expect(metric(result, 'sse_msgs_lost')).toBeUndefined();
    const warnings = result.warnings.join('\n');
    expect(warnings).toMatch(/NOT MEASURED: sse_msgs_lost, sse_msgs_duplicated — the profile jobs-sse has neither/);
    expect(warnings).toMatch(/NOT MEASURED: sse_event_latency — .*sse_event_interarrival/);
    expect(result.verdict?.thresholds.find((t) => t.metric === 'sse_msgs_lost')?.status).toBe('inconclusive');
    expect(result.verdict?.status).not.toBe('pass');
    if (result.verdict?.status === 'inconclusive') expect(exitCode).toBe(98);
  });

  it('sse-baseline times the profile\'s POST stream to its end with autocannon, one sample per response', async () => {
    const file = await profile('jobs-baseline.yaml', ['name: jobs-sse', 'sse:', '  url: /api/jobs', '  method: POST', '  body: { job: "baseline-{{seq}}" }']);
    const run = await runCli(['load', 'run', 'sse-baseline', '--duration', '2s', '--connections', '2', '--profile', file, '--target', sse.url, '--out', dir(), '--json'], { timeoutMs: 60_000 });
    const result = JSON.parse(run.stdout) as Result;
    const find = (name: string): MetricResult | undefined => result.metrics.find((m) => m.name === name && m.tags['scenario'] === 'sse-baseline');
    const responses = (find('http_reqs')?.values as { count: number }).count;
    expect(responses).toBeGreaterThan(2);
    expect(find('sse_sync_duration')?.samples).toBe(responses);
    expect(find('http_req_failed')?.values).toMatchObject({ passes: 0 });
  });

  it('sse-baseline refuses a GET stream (it never ends) and points to sse-stream', async () => {
    const file = await profile('ticks-baseline.yaml', ['name: ticks-sse', 'sse:', '  url: /api/ticks']);
    const run = await runCli(['load', 'run', 'sse-baseline', '--profile', file, '--target', sse.url]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/a GET stream does not end; run sse-stream on it instead/);
  });

  it('without a profile that has an sse section, exits 2 saying what to give', async () => {
    const run = await runCli(['load', 'run', 'sse-stream', '--profile', 'json-rpc', '--target', sse.url]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/sse-stream streams the endpoint a profile's sse section names/);
  });

  it("takes the SSE service's http:// address as the target, but not for a WebSocket scenario (exit 2, naming the ws:// URL to give)", async () => {
    const run = await runCli(['load', 'run', 'latency', '--target', sse.url]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(`ws://${new URL(sse.url).host}/ws`);
  });
});
