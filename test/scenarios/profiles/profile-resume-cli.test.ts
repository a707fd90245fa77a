/**
 * `subscribe.resume` on a protocol profile: a reconnect storm against a `{ type, data }` service that
 * replays what a client missed from the sequence number it gives (as a team's own service would),
 * through the real CLI. The same service with its replay switched off shows that the count is real:
 * what connections missed during the cuts is then counted as lost. Without `resume`, the run says
 * that loss across a cut is not counted.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MetricResult, Result } from '../../../scenarios/result/types.js';
import { runCli } from '../../helpers/cli.js';
import { tempDirPerTest } from '../../helpers/temp-dir.js';
import { RESUMING_PROFILE, startTickServer, type TickServer } from './tick-server.js';

const dir = tempDirPerTest('wsmig-profile-resume-');

const servers: TickServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function reconnectStorm(server: TickServer, profile: string): Promise<Result> {
  const file = path.join(dir(), 'profile.yaml');
  await writeFile(file, profile);
  const args = ['load', 'run', 'reconnect-storm', '--duration', '4s', '--ramp-up', '300ms', '--connections', '4', '--workers', '1', '--set', 'cuts=2', '--set', 'cutMode=client-close'];
  const run = await runCli([...args, '--profile', file, '--target', server.url, '--out', dir(), '--json'], { timeoutMs: 90_000 });
  expect(run.stdout.trim().startsWith('{'), `no Result on stdout (exit ${run.exitCode}): ${run.stderr}`).toBe(true);
  return JSON.parse(run.stdout) as Result;
}

function lost(result: Result): MetricResult | undefined {
  return result.metrics.find((m) => m.name === 'ws_msgs_lost' && m.tags['scenario'] === 'reconnect-storm');
}

function sumOf(metric: MetricResult | undefined): number {
  return (metric?.values as { count?: number } | undefined)?.count ?? Number.NaN;
}

describe('reconnect-storm on a profile with subscribe.resume', () => {
  it('resumes every cut connection from the last event it got: every event checked across the cuts, none lost', async () => {
    const server = await startTickServer({ replay: true });
    servers.push(server);
    const result = await reconnectStorm(server, RESUMING_PROFILE);
    // Every connection came back twice, each time resuming after an event it had received.
    expect(server.resumedFrom.length).toBe(4 * 2);
    expect(server.resumedFrom.every((seq) => seq > 0)).toBe(true);
    expect(lost(result)?.samples).toBeGreaterThan(100);
    expect(sumOf(lost(result))).toBe(0);
    expect(result.metrics.find((m) => m.name === 'ws_msgs_duplicated' && m.tags['scenario'] === 'reconnect-storm')?.values).toMatchObject({ count: 0 });
    expect(result.warnings.join('\n')).not.toMatch(/subscribes afresh/);
  });

  it('counts what the connections missed when the service only goes on live', async () => {
    const server = await startTickServer({ replay: false });
    servers.push(server);
    const result = await reconnectStorm(server, RESUMING_PROFILE);
    expect(server.resumedFrom.length).toBe(4 * 2);
    // Ticks come every 10 ms; a cut lasts at least the reconnect delay, so each one misses some.
    expect(sumOf(lost(result))).toBeGreaterThanOrEqual(4 * 2);
  });

  it('without resume, against the same live-only service: subscribes afresh, the misses are invisible, and the run says so', async () => {
    const server = await startTickServer({ replay: false });
    servers.push(server);
    const result = await reconnectStorm(server, RESUMING_PROFILE.replace(/\n {2}resume:.*\n/, '\n'));
    expect(server.resumedFrom).toEqual([]);
    expect(sumOf(lost(result))).toBe(0);
    expect(result.warnings.join('\n')).toMatch(/subscribes afresh after a reconnect \(the profile has no subscribe\.resume\)/);
  });
});
