import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type ReferenceServer } from '../../reference/server/index.js';
import type { CounterValues, RateValues, Result, TrendValues } from '../../scenarios/result/types.js';
import { runCli } from '../helpers/cli.js';
import { tempDirPerTest } from '../helpers/temp-dir.js';

// Spawns the real CLI (dist/), built by `npm test` before vitest runs.

const TOKEN = 'load-token-e61b0d';
const ADMIN_TOKEN = 'load-admin-2f94aa';
const LIGHT_LATENCY = ['load', 'run', 'latency', '--duration', '3s', '--ramp-up', '500ms', '--connections', '6', '--rate', '30', '--set', 'syncs=2'];

function values<T>(result: Result, name: string): T {
  const metric = result.metrics.find((candidate) => candidate.name === name && Object.keys(candidate.tags).length === 0);
  if (!metric) throw new Error(`no ${name} in the result`);
  return metric.values as T;
}

/** `wsmig load run` against a server that wants a token on every upgrade (and an admin token for /admin/*). */
describe('wsmig load run against a token-protected server', () => {
  let server: ReferenceServer;
  const out = tempDirPerTest('wsmig-secured-load-');

  beforeAll(async () => {
    server = await createServer({ port: 0, token: TOKEN, adminToken: ADMIN_TOKEN, sync: { batchDelayMs: 20 } });
  });
  afterAll(async () => {
    await server.close();
  });

  it('measures real traffic with the token from WSMIG_TOKEN, and never shows it', async () => {
    // Judged on what the token decides (connections accepted, nothing lost), not on latency on a shared machine.
    const thresholds = path.join(out(), 'thresholds.json');
    await writeFile(thresholds, JSON.stringify({ ws_connect_success: ['rate>0.99'], ws_msgs_lost: ['count==0'] }));
    const reports = path.join(out(), 'reports');
    const run = await runCli([...LIGHT_LATENCY, '--target', server.wsUrl, '--thresholds', thresholds, '--out', reports, '--json'], { env: { WSMIG_TOKEN: TOKEN }, timeoutMs: 60_000 });
    expect([0, 98], run.stderr).toContain(run.exitCode);
    const result = JSON.parse(run.stdout) as Result;
    if (run.exitCode === 98) {
      // Only an unhealthy generator (a busy machine) may make this run inconclusive.
      expect(result.verdict?.thresholds.filter((threshold) => threshold.status !== 'pass').map((threshold) => threshold.metric)).toEqual(['generator']);
    }
    expect(values<TrendValues>(result, 'ws_rpc_duration').count).toBeGreaterThan(20);
    expect(values<CounterValues>(result, 'ws_msgs_received').count).toBeGreaterThan(20);
    expect(values<RateValues>(result, 'ws_connect_success')).toMatchObject({ fails: 0 });
    expect(result.warnings.join('\n')).not.toMatch(/401|403/);
    const [folder] = await readdir(reports);
    const report = await readFile(path.join(reports, folder as string, 'report.md'), 'utf8');
    for (const text of [run.stdout, run.stderr, report]) expect(text).not.toContain(TOKEN);
  });

  it('stops before measuring anything without the token (exit 2), naming the variable to set', async () => {
    const run = await runCli([...LIGHT_LATENCY, '--target', server.wsUrl, '--out', out()], { timeoutMs: 30_000 });
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain(`The target ${server.wsUrl}: the service answered 401: set WSMIG_TOKEN (or name another variable with --token-env) to its token`);
    expect(await readdir(out())).toEqual([]);
  });

  it('reads the variable --token-env names, and says when the token in it is refused', async () => {
    const wrong = await runCli([...LIGHT_LATENCY, '--target', server.wsUrl, '--out', out(), '--token-env', 'STAGING_WS_TOKEN'], { env: { STAGING_WS_TOKEN: 'stale-token-0000' }, timeoutMs: 30_000 });
    expect(wrong.exitCode).toBe(2);
    expect(wrong.stderr).toContain('the service answered 401 to the token in STAGING_WS_TOKEN (--token-env)');
    expect(wrong.stderr).not.toContain('stale-token-0000');

    const unset = await runCli([...LIGHT_LATENCY, '--target', server.wsUrl, '--token-env', 'NOT_SET_ANYWHERE'], { timeoutMs: 30_000 });
    expect(unset.exitCode).toBe(2);
    expect(unset.stderr).toContain('the variable NOT_SET_ANYWHERE is not set');
  });
});
