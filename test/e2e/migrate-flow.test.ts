import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, spawnCli } from '../helpers/cli.js';
import { echoTraffic, envValue, foreignStatus, injectLatency, phaseCommits, readState, transport } from '../migration/helpers/flow.js';
import { LEGACY_FILE, exampleAppForSuite, typecheckServer } from '../migration/helpers/example-app.js';
import { exists } from '../migration/helpers/temp-repo.js';

/** The default watch's latency threshold alone: a busy machine's event-loop lag or CPU cannot breach it before the injected latency does. */
const RPC_LATENCY_ONLY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'rpc-latency.thresholds.json');

const ENV = { NODE_ENV: 'test' };

interface WatchLine {
  event: string;
  status?: string;
  at?: string;
  breachStreak?: number;
  rollback?: { verified: boolean; incident: { json: string; markdown: string } };
}

/** The evaluation lines `wsmig watch --json` printed so far (the last, maybe partial, line left out). */
function evaluationsIn(printed: string): WatchLine[] {
  return printed
    .split('\n')
    .slice(0, -1)
    .map((line) => JSON.parse(line) as WatchLine)
    .filter((line) => line.event === 'evaluation');
}

/**
 * The whole workflow on a real repository: prepare → migrate → stabilize, then a breach injected
 * into the running service, and `wsmig watch --rollback` bringing the legacy SSE code back.
 * The steps depend on each other, so they run in order on one repository.
 */
// Each step runs the real CLI through a whole phase: on a busy CI machine that can take well over 30 s.
describe('a migration from prepare to a watch-triggered rollback', { timeout: 120_000 }, () => {
  const app = exampleAppForSuite();

  it('init proposed the legacy file, the frontend folder and the project\'s SSE wrapper', async () => {
    const config = JSON.parse(await readFile(path.join(app.root, 'wsmig.config.json'), 'utf8')) as { legacyFiles: string[]; codemodPaths: string[]; codemods: { wrappers: { callee: string }[] }; envFiles: string[] };
    expect(config.legacyFiles).toEqual([LEGACY_FILE]);
    expect(config.codemodPaths).toEqual(['packages/frontend/src']);
    expect(config.codemods.wrappers.map((wrapper) => wrapper.callee)).toEqual(['createConnection']);
    expect(config.envFiles).toEqual(['.env']);
  });

  it('prepare configures the endpoint, adds the flag off, starts the service and passes the baseline', async () => {
    const result = await runCli(['migrate', 'phase', 'prepare', '--yes', '--json'], { cwd: app.root, env: ENV, timeoutMs: 90_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { status: string; gateOut: { open: boolean } };
    expect(report).toMatchObject({ status: 'done', gateOut: { open: true } });
    expect(await envValue(app.root, 'WS_ENDPOINT')).toBe(`ws://127.0.0.1:${app.port}/ws`);
    expect(await envValue(app.root, 'USE_NEW_WS_SYNC')).toBe('false');
    expect(await readFile(path.join(app.root, 'config/features.ts'), 'utf8')).toContain("useNewWSSync: process.env.USE_NEW_WS_SYNC === 'true'");
    expect(await transport(app.baseUrl)).toBe('sse');
    expect(await phaseCommits(app.root, 'prepare')).toHaveLength(1);
    expect(await foreignStatus(app.root)).toBe('');
    const state = await readState(app.root);
    expect(state.service?.pid).toBeGreaterThan(0);
  });

  it('prepare again changes nothing', async () => {
    const result = await runCli(['migrate', 'phase', 'prepare', '--yes', '--json'], { cwd: app.root, env: ENV, timeoutMs: 60_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { outcomes: { status: string }[] };
    expect(report.outcomes.every((outcome) => outcome.status === 'skipped')).toBe(true);
    expect(await phaseCommits(app.root, 'prepare')).toHaveLength(1);
  });

  it('migrate rewrites the consumers in one commit, turns the flag on live and passes the gate', async () => {
    const result = await runCli(['migrate', 'phase', 'migrate', '--yes'], { cwd: app.root, env: ENV, timeoutMs: 90_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    const [commit] = await phaseCommits(app.root, 'migrate');
    expect(commit).toBeDefined();
    const frontend = await readFile(path.join(app.root, 'packages/frontend/src/hooks/useChatSync.tsx'), 'utf8');
    expect(frontend).toContain('features.useNewWSSync');
    expect(frontend).toContain('new EventSource');
    expect(await envValue(app.root, 'USE_NEW_WS_SYNC')).toBe('true');
    expect(await transport(app.baseUrl)).toBe('ws');
    expect((await readState(app.root)).flagOnAt).not.toBeNull();
    expect(await foreignStatus(app.root)).toBe('');
  });

  it('migrate status shows the timeline and the open gate', async () => {
    const result = await runCli(['migrate', 'status', '--json'], { cwd: app.root, env: ENV });
    expect(result.exitCode, result.stderr).toBe(0);
    const status = JSON.parse(result.stdout) as { current: string; phases: { name: string; status: string }[] };
    expect(status.current).toBe('migrate');
    expect(status.phases.map((phase) => `${phase.name}:${phase.status}`)).toEqual(['prepare:done', 'migrate:done', 'stabilize:pending']);
  });

  it('stabilize removes the flag branches and the legacy file in one recorded commit', async () => {
    const result = await runCli(['migrate', 'phase', 'stabilize', '--yes'], { cwd: app.root, env: ENV, timeoutMs: 90_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await exists(path.join(app.root, LEGACY_FILE))).toBe(false);
    const commits = await phaseCommits(app.root, 'stabilize');
    expect(commits).toHaveLength(1);
    expect((await readState(app.root)).commits['stabilize']).toBe(commits[0]);
    expect(await readFile(path.join(app.root, 'packages/server/src/index.ts'), 'utf8')).not.toContain("from './legacy-sync.js'");
    const compiled = await typecheckServer(app.root);
    expect(compiled.exitCode, compiled.output).toBe(0);
    expect(await readFile(path.join(app.root, 'packages/frontend/src/hooks/useChatSync.tsx'), 'utf8')).not.toContain('EventSource');
    expect(await foreignStatus(app.root)).toBe('');
  });

  it('a breach on the running service makes watch --rollback restore SSE within the failure limit', async () => {
    const traffic = echoTraffic(`ws://127.0.0.1:${app.port}/ws`);
    try {
      const watch = spawnCli(['watch', '--thresholds', RPC_LATENCY_ONLY, '--interval', '1s', '--failure-limit', '2', '--rollback', '--json', '--max-duration', '60s'], { cwd: app.root, env: ENV });
      let printed = '';
      watch.stdout?.on('data', (chunk: Buffer) => (printed += String(chunk)));
      // Let the watch see two healthy intervals, then make every reply 400 ms late.
      await expect.poll(() => evaluationsIn(printed).filter((line) => line.status === 'pass').length, { timeout: 30_000, interval: 100 }).toBeGreaterThanOrEqual(2);
      await injectLatency(app.baseUrl, 400);
      const breachAt = Date.now();
      const result = await watch;
      expect(result.exitCode, String(result.stderr)).toBe(99);
      const lines = String(result.stdout).trim().split('\n').map((line) => JSON.parse(line) as WatchLine);
      const evaluations = lines.filter((line) => line.event === 'evaluation');
      const failing = evaluations.filter((line) => line.status === 'fail');
      expect(failing.length).toBe(2);
      // Detected within two intervals of the breach: of the readings taken after it, the first may
      // still cover only healthy replies, the second covers only late ones (counted in intervals, not ms).
      const afterBreach = evaluations.filter((line) => Date.parse(line.at as string) > breachAt);
      expect(afterBreach.findIndex((line) => line.status === 'fail')).toBeLessThanOrEqual(1);
      expect(afterBreach.findIndex((line) => line.status === 'fail')).toBeGreaterThanOrEqual(0);
      const end = lines.at(-1);
      expect(end).toMatchObject({ event: 'end', outcome: 'breached', rollback: { verified: true } });

      expect((await readFile(path.join(app.root, LEGACY_FILE))).equals(app.legacyBytes)).toBe(true);
      expect(await envValue(app.root, 'USE_NEW_WS_SYNC')).toBe('false');
      expect(await transport(app.baseUrl)).toBe('sse');
      expect(await phaseCommits(app.root, 'rollback')).toHaveLength(1);
      expect(await foreignStatus(app.root)).toBe('');
      const compiled = await typecheckServer(app.root);
      expect(compiled.exitCode, compiled.output).toBe(0);

      const incidents = await readdir(path.join(app.root, '.wsmig', 'incidents'));
      expect(incidents.filter((file) => file.endsWith('.md'))).toHaveLength(1);
      const incident = JSON.parse(await readFile(end?.rollback?.incident.json as string, 'utf8')) as {
        trigger: { kind: string };
        breaches: { metric: string; status: string }[];
        verified: boolean;
        verification: { checks: { name: string; ok: boolean }[] };
      };
      expect(incident.trigger.kind).toBe('watch');
      expect(incident.breaches.map((breach) => breach.metric)).toContain('ws_rpc_duration');
      expect(incident.verification.checks).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'sse-sync', ok: true })]));
      expect(await readFile(end?.rollback?.incident.markdown as string, 'utf8')).toContain('## Resuming the migration');
    } finally {
      traffic.stop();
    }
  });

  it('rolling back again is harmless and still verified', async () => {
    const head = (await phaseCommits(app.root, 'rollback'))[0];
    const result = await runCli(['rollback', '--reason', 'second time', '--json'], { cwd: app.root, env: ENV, timeoutMs: 60_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ verified: true });
    expect(await phaseCommits(app.root, 'rollback')).toEqual([head]);
    expect((await readFile(path.join(app.root, LEGACY_FILE))).equals(app.legacyBytes)).toBe(true);
  });
});
