import { readFile } from 'node:fs/promises';
import { createServer as createTcpServer } from 'node:net';
import path from 'node:path';
import type { ResultPromise } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type ReferenceServer } from '../../reference/server/index.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { LIGHT_LOAD_TEST, LIGHT_THRESHOLDS, exampleAppForSuite } from '../migration/helpers/example-app.js';
import { envValue, foreignStatus, phaseCommits, readState, transport } from '../migration/helpers/flow.js';
import { freePort, referenceService, stopRecordedService } from '../migration/helpers/service.js';
import { removeDir } from '../helpers/temp-dir.js';
import { baseConfig, createRepo, exists } from '../migration/helpers/temp-repo.js';

/**
 * A service that cannot switch the flag live (its admin endpoint wants a token wsmig does not
 * have, and it reads `.env` only when it starts): wsmig restarts the service it started so that it
 * reads the new value, in migrate and in a rollback, and the rollback is still verified.
 */
// Each step runs the real CLI through a whole phase: on a busy CI machine that can take well over 30 s.
describe('a service that cannot change the flag live', { timeout: 120_000 }, () => {
  let root: string;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    root = await createRepo({
      config: baseConfig({
        // /admin/* off (no admin token, no --admin-loopback): the service cannot switch the flag live.
        service: referenceService(port, { followEnvFile: false, adminLoopback: false }),
        wsEndpoint: { value: `ws://127.0.0.1:${port}/ws` },
        thresholds: 'load-thresholds.json',
        loadTest: LIGHT_LOAD_TEST,
        timeline: { migrate: '1s' },
      }),
      files: { 'load-thresholds.json': JSON.stringify(LIGHT_THRESHOLDS) },
    });
  });
  afterAll(async () => {
    await stopRecordedService(root);
    await removeDir(root);
  });

  it('migrate restarts the service wsmig started to turn the flag on', async () => {
    const prepare = await runCli(['migrate', 'phase', 'prepare', '--yes'], { cwd: root, timeoutMs: 90_000 });
    expect(prepare.exitCode, prepare.stderr).toBe(0);
    const before = (await readState(root)).service?.pid;
    const migrate = await runCli(['migrate', 'phase', 'migrate', '--yes'], { cwd: root, timeoutMs: 90_000 });
    expect(migrate.exitCode, migrate.stderr).toBe(0);
    expect(migrate.stderr).toContain('cannot change the flag live');
    expect(migrate.stderr).toContain('restarted the service wsmig manages');
    expect((await readState(root)).service?.pid).not.toBe(before);
    expect(await transport(`http://127.0.0.1:${port}`)).toBe('ws');
  });

  it('a rollback restarts it too, and is verified', async () => {
    const result = await runCli(['rollback', '--reason', 'drill', '--json'], { cwd: root, timeoutMs: 90_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout) as { verified: boolean; serviceRestartMs: number; outcomes: { id: string; status: string }[] };
    expect(outcome.verified).toBe(true);
    expect(outcome.serviceRestartMs).toBeGreaterThan(0);
    expect(outcome.outcomes.find((step) => step.id === 'rollback.service')?.status).toBe('done');
    expect(await transport(`http://127.0.0.1:${port}`)).toBe('sse');
  });
});

/** stabilize when remove-flag cannot detach the legacy module: refused, the legacy file kept, `file:line` named. */
// Each step runs the real CLI through a whole phase: on a busy CI machine that can take well over 30 s.
describe('stabilize over a legacy module still in use', { timeout: 120_000 }, () => {
  let server: ReferenceServer;
  let root: string;
  afterEach(async () => {
    await server?.close();
    if (root) await removeDir(root);
  });

  it('refuses to delete the legacy file, says where, and changes no code', async () => {
    server = await createServer({ port: 0 });
    root = await createRepo({
      config: baseConfig({ service: { command: ['true'], baseUrl: server.url } }),
      files: { 'packages/server/src/index.ts': "import { legacySync } from './legacy-sync.js';\nexport function handlerName(): string {\n  return legacySync.name.toUpperCase();\n}\n" },
    });
    const result = await runCli(['migrate', 'phase', 'stabilize', '--yes', '--force', '--reason', 'test: no migrate week'], { cwd: root, timeoutMs: 60_000 });
    expect(result.exitCode, result.stderr).toBe(3);
    expect(result.stderr).toContain('packages/server/src/index.ts:3');
    expect(result.stderr).toContain('Nothing was changed');
    expect(await exists(path.join(root, 'packages/server/src/legacy-sync.ts'))).toBe(true);
    expect(await phaseCommits(root, 'stabilize')).toEqual([]);
    expect(await foreignStatus(root)).toBe('');
    expect(await readFile(path.join(root, 'packages/server/src/index.ts'), 'utf8')).toContain("from './legacy-sync.js'");
    expect(await envValue(root, 'USE_NEW_WS_SYNC')).toBe('true');
    const state = await readState(root);
    expect(state.phases['stabilize']?.status).toBe('failed');
    expect(state.inProgress).toMatchObject({ command: 'stabilize', step: 'stabilize.remove-legacy' });
  });
});

interface ServiceStatusJson {
  health: { healthy: boolean; url: string };
  owner: 'wsmig' | 'other' | 'none';
  managed: { pid: number; state: 'running' | 'stopped' | 'exited'; stoppedBy: string | null; logFile: string } | null;
}

interface ServiceResultJson {
  action: string;
  outcome: string;
  message: string;
  service: ServiceStatusJson;
}

interface RecordedService {
  pid: number;
  stoppedAt?: string;
  stoppedBy?: string;
}

async function serviceCli(root: string, ...args: string[]) {
  return runCli(['migrate', 'service', ...args], { cwd: root, timeoutMs: 60_000 });
}

/** The service in `.wsmig/state.json`; null when there is none (or no state yet). */
async function recordedService(root: string): Promise<RecordedService | null> {
  const text = await readFile(path.join(root, '.wsmig', 'state.json'), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  return text === undefined ? null : (JSON.parse(text) as { service: RecordedService | null }).service;
}

async function journalEvents(root: string): Promise<{ command: string; event: string; data?: { pid?: number } }[]> {
  const text = await readFile(path.join(root, '.wsmig', 'journal.ndjson'), 'utf8');
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as { command: string; event: string; data?: { pid?: number } });
}

/** Whether this process can listen on the port: nothing else holds it. */
async function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createTcpServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function waitUntilHealthy(baseUrl: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`${baseUrl}/health`).then((response) => response.ok, () => false);
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${baseUrl}/health did not answer within ${timeoutMs} ms`);
}

/**
 * `wsmig migrate service` on the example app: the service prepare would start is started, seen,
 * stopped (the port freed, the state saying it was stopped on purpose) and restarted by wsmig, and
 * `migrate status` and a rollback work with it stopped.
 */
// Each step runs the real CLI (service starts, rollbacks with their verification): on a busy CI machine that can take well over 30 s.
describe('wsmig migrate service on the service wsmig starts', { timeout: 120_000 }, () => {
  const app = exampleAppForSuite();

  it('status before anything runs: not healthy, exit 1, and says how to start it', async () => {
    const result = await serviceCli(app.root, 'status');
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stdout).toContain('NOT healthy');
    expect(result.stdout).toContain('`wsmig migrate service start` starts it');
  });

  it('start starts the configured service detached, records it, and a second start changes nothing', async () => {
    const result = await serviceCli(app.root, 'start', '--json');
    expect(result.exitCode, result.stderr).toBe(0);
    const started = JSON.parse(result.stdout) as ServiceResultJson;
    expect(started).toMatchObject({ action: 'start', outcome: 'started', service: { owner: 'wsmig', health: { healthy: true }, managed: { state: 'running' } } });
    const record = await recordedService(app.root);
    expect(record?.pid).toBe(started.service.managed?.pid);
    expect(await transport(app.baseUrl)).toBe('sse');
    expect((await journalEvents(app.root)).filter((entry) => entry.event === 'service-start').map((entry) => entry.data?.pid)).toEqual([record?.pid]);

    const again = await serviceCli(app.root, 'start', '--json');
    expect(again.exitCode, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ outcome: 'already-running' });
    expect((await recordedService(app.root))?.pid).toBe(record?.pid);
  });

  it('status: healthy, started by wsmig, with its pid, start time and log', async () => {
    const record = await recordedService(app.root);
    const json = await serviceCli(app.root, 'status', '--json');
    expect(json.exitCode, json.stderr).toBe(0);
    const status = JSON.parse(json.stdout) as ServiceStatusJson;
    expect(status).toMatchObject({ owner: 'wsmig', health: { healthy: true }, managed: { pid: record?.pid, state: 'running' } });
    const text = await serviceCli(app.root, 'status');
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain(`started by wsmig: pid ${record?.pid}`);
    expect(text.stdout).toContain(path.join('.wsmig', 'logs', 'service.log'));
  });

  it('stop stops it, frees the port, and the state says it was stopped on purpose', async () => {
    const pid = (await recordedService(app.root))?.pid;
    const result = await serviceCli(app.root, 'stop', '--json');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ action: 'stop', outcome: 'stopped', service: { owner: 'none', managed: { pid, state: 'stopped' } } });
    expect(await portIsFree(app.port)).toBe(true);
    expect(await recordedService(app.root)).toMatchObject({ pid, stoppedBy: 'wsmig migrate service stop', stoppedAt: expect.any(String) });
    expect((await journalEvents(app.root)).some((entry) => entry.event === 'service-stop' && entry.data?.pid === pid)).toBe(true);
  });

  it('status after the stop: exit 1, stopped by `wsmig migrate service stop`, not a crash', async () => {
    const result = await serviceCli(app.root, 'status');
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain('stopped by `wsmig migrate service stop`');
    expect(result.stdout).not.toContain('exited on its own');
    const overall = await runCli(['migrate', 'status', '--json'], { cwd: app.root });
    expect(overall.exitCode, overall.stderr).toBe(0);
    expect((JSON.parse(overall.stdout) as { service: ServiceStatusJson }).service).toMatchObject({ owner: 'none', managed: { state: 'stopped', stoppedBy: 'wsmig migrate service stop' } });
    const text = await runCli(['migrate', 'status'], { cwd: app.root });
    expect(text.stdout).toMatch(/service: NOT healthy .*stopped by `wsmig migrate service stop`/);
  });

  it('stop with nothing running says so and succeeds', async () => {
    const result = await serviceCli(app.root, 'stop');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('nothing to stop');
  });

  it('restart starts it when stopped, and replaces the running process when it runs', async () => {
    const first = await serviceCli(app.root, 'restart', '--json');
    expect(first.exitCode, first.stderr).toBe(0);
    const started = JSON.parse(first.stdout) as ServiceResultJson;
    expect(started).toMatchObject({ outcome: 'started', service: { owner: 'wsmig', health: { healthy: true } } });
    const second = await serviceCli(app.root, 'restart', '--json');
    expect(second.exitCode, second.stderr).toBe(0);
    const restarted = JSON.parse(second.stdout) as ServiceResultJson;
    expect(restarted).toMatchObject({ outcome: 'restarted', service: { owner: 'wsmig', health: { healthy: true }, managed: { state: 'running' } } });
    expect(restarted.service.managed?.pid).not.toBe(started.service.managed?.pid);
    expect((await recordedService(app.root))?.stoppedAt).toBeUndefined();
  });

  it('a rollback starts a service stopped this way again and is verified', async () => {
    const stop = await serviceCli(app.root, 'stop');
    expect(stop.exitCode, stop.stderr).toBe(0);
    const result = await runCli(['rollback', '--reason', 'drill with the service stopped', '--json'], { cwd: app.root, timeoutMs: 90_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    const outcome = JSON.parse(result.stdout) as { verified: boolean; outcomes: { id: string; status: string }[] };
    expect(outcome.verified).toBe(true);
    expect(outcome.outcomes.find((step) => step.id === 'rollback.service')?.status).toBe('done');
    const status = await serviceCli(app.root, 'status', '--json');
    expect(status.exitCode).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ owner: 'wsmig', managed: { state: 'running', stoppedBy: null } });
  });
});

/** A service someone else started on the configured port: wsmig reports it and never signals it. */
// Each step runs the real CLI (service starts, rollbacks with their verification): on a busy CI machine that can take well over 30 s.
describe('wsmig migrate service on a service wsmig did not start', { timeout: 120_000 }, () => {
  const app = exampleAppForSuite();
  let server: ResultPromise | undefined;
  beforeAll(async () => {
    server = spawnCli(['server', '--port', String(app.port)]);
    await waitUntilHealthy(app.baseUrl);
  });
  afterAll(async () => {
    server?.kill('SIGKILL');
    await server;
  });

  it('status: healthy, but not started by wsmig', async () => {
    const result = await serviceCli(app.root, 'status', '--json');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ owner: 'other', health: { healthy: true }, managed: null });
  });

  it('stop and restart refuse with exit 1, and the service keeps running', async () => {
    for (const action of ['stop', 'restart']) {
      const result = await serviceCli(app.root, action);
      expect(result.exitCode, `${action}: ${result.stderr}`).toBe(1);
      expect(result.stderr).toContain('wsmig did not start it');
      expect(result.stderr).toContain(`not wsmig's to ${action}`);
    }
    expect(server?.exitCode).toBeNull();
    await waitUntilHealthy(app.baseUrl, 5_000);
  });

  it('start says it already answers and records nothing', async () => {
    const result = await serviceCli(app.root, 'start', '--json');
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ outcome: 'already-running', service: { owner: 'other' } });
    expect(await recordedService(app.root)).toBeNull();
  });
});
