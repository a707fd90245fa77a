import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricsRecorder, buildResult } from '../../scenarios/result/recorder.js';
import type { Result } from '../../scenarios/result/types.js';
import { evaluateThresholds, parseThresholds } from '../../scenarios/thresholds/index.js';
import { runCli } from '../helpers/cli.js';
import { removedAfterEachTest } from '../helpers/temp-dir.js';
import { createRepo, snapshotTree } from '../migration/helpers/temp-repo.js';
import { resultMeta } from '../scenarios/thresholds/fixtures.js';

/** A load-test Result whose p(99) round trip is `p99Ms`, judged against `p(99)<250`. */
function judgedResult(p99Ms: number): Result {
  const recorder = new MetricsRecorder({ startMs: 0, now: () => 0 });
  const trend = recorder.trend('ws_rpc_duration');
  for (let i = 0; i < 200; i++) trend.add(i < 196 ? 5 : p99Ms, 10);
  const result = buildResult(recorder.snapshot(), resultMeta(1000));
  return { ...result, verdict: evaluateThresholds(result, parseThresholds({ ws_rpc_duration: ['p(99)<250'] }, 'inline'), { source: null }) };
}

// Each step runs the real CLI (service starts, rollbacks with their verification): on a busy CI machine that can take well over 30 s.
describe('wsmig rollback', { timeout: 120_000 }, () => {
  const removeLater = removedAfterEachTest();

  /** A repository, and beside it (outside its tree) a load-test report whose p(99) is `p99Ms`. */
  async function repositoryAndReport(p99Ms: number): Promise<{ root: string; report: string }> {
    const root = removeLater(await createRepo());
    const report = removeLater(`${root}-report.json`);
    await writeFile(report, JSON.stringify(judgedResult(p99Ms)));
    return { root, report };
  }

  it('--from-report with a passing verdict rolls nothing back and exits 0', async () => {
    const { root, report } = await repositoryAndReport(20);
    const before = await snapshotTree(root);
    const result = await runCli(['rollback', '--from-report', report], { cwd: root });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain("verdict is pass, not fail: nothing to roll back");
    expect(await snapshotTree(root)).toEqual(before);
  });

  it('--from-report with a failing verdict rolls back; exit 4 and an incident when the system cannot be verified', async () => {
    // The configured service (127.0.0.1:9) does not run and wsmig did not start it: nothing can be verified.
    const { root, report } = await repositoryAndReport(900);
    const result = await runCli(['rollback', '--from-report', report, '--json'], { cwd: root, timeoutMs: 60_000 });
    expect(result.exitCode, result.stderr).toBe(4);
    const outcome = JSON.parse(result.stdout) as { verified: boolean; incident: { json: string } };
    expect(outcome.verified).toBe(false);
    expect(await readFile(path.join(root, '.env'), 'utf8')).toContain('USE_NEW_WS_SYNC=false');
    const incident = JSON.parse(await readFile(outcome.incident.json, 'utf8')) as { trigger: { kind: string; file: string }; breaches: { metric: string; observed: number }[]; verified: boolean; steps: { id: string; status: string }[] };
    expect(incident.trigger).toMatchObject({ kind: 'report', file: report });
    expect(incident.breaches[0]).toMatchObject({ metric: 'ws_rpc_duration' });
    expect(incident.verified).toBe(false);
    expect(incident.steps.map((step) => `${step.id}:${step.status}`)).toEqual(['rollback.flag-off:done', 'rollback.restore-code:skipped', 'rollback.service:failed', 'rollback.verify:failed']);
    const id = path.basename(outcome.incident.json, '.json');
    expect((await readdir(path.join(root, '.wsmig', 'incidents'))).sort()).toEqual([`${id}.json`, `${id}.md`]);
    expect(result.stderr).toContain('restart it yourself');
  });

  it('--dry-run changes nothing', async () => {
    const root = removeLater(await createRepo());
    const before = await snapshotTree(root);
    const result = await runCli(['rollback', '--dry-run'], { cwd: root });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('Plan of rollback (dry run, nothing changed)');
    expect(result.stdout).toContain('set USE_NEW_WS_SYNC=false in .env');
    expect(await snapshotTree(root)).toEqual(before);
  });

  it('refuses while another live wsmig run holds the lock', async () => {
    const root = removeLater(await createRepo());
    await mkdir(path.join(root, '.wsmig'), { recursive: true });
    await writeFile(path.join(root, '.wsmig', 'lock'), JSON.stringify({ pid: process.pid, host: hostname(), command: 'migrate phase migrate', startedAt: new Date().toISOString() }));
    const result = await runCli(['migrate', 'phase', 'prepare', '--yes', '--force'], { cwd: root, timeoutMs: 60_000 });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(`another wsmig run (pid ${process.pid}) holds the lock`);
  });
});
