import { readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { removeDir } from '../helpers/temp-dir.js';
import { envValue, phaseCommits, transport } from '../migration/helpers/flow.js';
import { LEGACY_FILE, LIGHT_LOAD_TEST, LIGHT_THRESHOLDS, copyExampleApp } from '../migration/helpers/example-app.js';
import { freePort, referenceService, stopRecordedService } from '../migration/helpers/service.js';
import { git } from '../migration/helpers/temp-repo.js';

/** The service's tokens: it reads them from files in the repository (kept out of git); the tools from the variables the config names. */
const TOKEN = 'svc-token-5d1f0c7a9e';
const ADMIN_TOKEN = 'admin-token-b83e21f4c6';
const TOOLS_ENV = { NODE_ENV: 'test', CHAT_WS_TOKEN: TOKEN, CHAT_ADMIN_TOKEN: ADMIN_TOKEN };

interface Outcome {
  id: string;
  status: string;
  detail: string;
}

/** Every file under `dir` wsmig wrote for people and machines (not the service's own log). */
async function wsmigRecords(dir: string): Promise<string> {
  const texts: string[] = [];
  const walk = async (folder: string): Promise<void> => {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      const file = path.join(folder, entry.name);
      if (entry.isDirectory()) await walk(file);
      else if (entry.name !== 'service.log') texts.push(await readFile(file, 'utf8'));
    }
  };
  await walk(dir);
  return texts.join('\n');
}

/**
 * The whole migration against a service locked down with a token (WebSocket upgrades and the
 * legacy SSE endpoints) and an admin token (`/admin/*`, the live flag flip): wsmig's tools get
 * them through `service.tokenEnv` / `service.adminTokenEnv`, and every phase, the load tests and
 * the rollback's SSE verification work. Without the token, the rollback says which variable to set.
 */
// Each step runs the real CLI through a whole phase: on a busy CI machine that can take well over 30 s.
describe('a migration against a service that requires a token and an admin token', { timeout: 120_000 }, () => {
  let root = '';
  let baseUrl = '';
  const output: string[] = [];

  beforeAll(async () => {
    root = await copyExampleApp();
    await mkdir(path.join(root, '.secrets'));
    await writeFile(path.join(root, '.secrets', 'ws-token'), `${TOKEN}\n`);
    await writeFile(path.join(root, '.secrets', 'admin-token'), `${ADMIN_TOKEN}\n`);
    await writeFile(path.join(root, '.gitignore'), `${await readFile(path.join(root, '.gitignore'), 'utf8')}.secrets/\n`);
    await writeFile(path.join(root, 'load-thresholds.json'), `${JSON.stringify(LIGHT_THRESHOLDS, null, 2)}\n`);
    await git(root, 'add', '.gitignore', 'load-thresholds.json');
    await git(root, 'commit', '-q', '-m', 'secrets stay out of git; load-test thresholds');
    const init = await runCli(['migrate', 'init', '--yes'], { cwd: root });
    expect(init.exitCode, init.stderr).toBe(0);
    const file = path.join(root, 'wsmig.config.json');
    const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    Object.assign(config, {
      service: {
        ...referenceService(port, { adminLoopback: false, args: ['--token-file', '.secrets/ws-token', '--admin-token-file', '.secrets/admin-token'] }),
        tokenEnv: 'CHAT_WS_TOKEN',
        adminTokenEnv: 'CHAT_ADMIN_TOKEN',
      },
      wsEndpoint: { name: 'WS_ENDPOINT', value: `ws://127.0.0.1:${port}/ws` },
      thresholds: 'load-thresholds.json',
      loadTest: LIGHT_LOAD_TEST,
      timeline: { prepare: '3d', migrate: '1s', stabilize: '3d' },
      verify: { timeout: '15s' },
    });
    await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  }, 60_000);

  afterAll(async () => {
    if (root === '') return;
    await stopRecordedService(root);
    await removeDir(root);
  });

  it('prepare starts the locked-down service and passes the baseline load test with the token', async () => {
    const result = await runCli(['migrate', 'phase', 'prepare', '--yes', '--json'], { cwd: root, env: TOOLS_ENV, timeoutMs: 90_000 });
    output.push(result.stdout, result.stderr);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'done', gateOut: { open: true } });
    // The service really is locked: its legacy SSE endpoint refuses a request without the token.
    const anonymous = await fetch(`${baseUrl}/commands/sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"chatId":"x"}' });
    expect(anonymous.status).toBe(401);
  });

  it('migrate flips the flag live through /admin/flag with the admin token and passes the load-test gate', async () => {
    const result = await runCli(['migrate', 'phase', 'migrate', '--yes', '--json'], { cwd: root, env: TOOLS_ENV, timeoutMs: 90_000 });
    output.push(result.stdout, result.stderr);
    expect(result.exitCode, result.stderr).toBe(0);
    const outcomes = (JSON.parse(result.stdout) as { outcomes: Outcome[] }).outcomes;
    expect(outcomes.find((outcome) => outcome.id === 'migrate.flag-on')?.detail).toContain('the service switched to WebSocket live');
    expect(outcomes.find((outcome) => outcome.id === 'migrate.load-gate')).toMatchObject({ status: 'done' });
    expect(await transport(baseUrl)).toBe('ws');
  });

  it('stabilize removes the legacy code', async () => {
    const result = await runCli(['migrate', 'phase', 'stabilize', '--yes'], { cwd: root, env: TOOLS_ENV, timeoutMs: 90_000 });
    output.push(result.stdout, result.stderr);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await phaseCommits(root, 'stabilize')).toHaveLength(1);
  });

  it('rollback switches the service back live and verifies a sync over the token-protected SSE endpoint (exit 0)', async () => {
    const result = await runCli(['rollback', '--reason', 'drill against the secured service', '--json'], { cwd: root, env: TOOLS_ENV, timeoutMs: 60_000 });
    output.push(result.stdout, result.stderr);
    expect(result.exitCode, result.stderr).toBe(0);
    const rollback = JSON.parse(result.stdout) as { verified: boolean; outcomes: Outcome[]; verification: { checks: { name: string; ok: boolean }[] } };
    expect(rollback.verified).toBe(true);
    expect(rollback.outcomes.find((outcome) => outcome.id === 'rollback.flag-off')?.detail).toContain('the service switched to SSE live');
    expect(rollback.verification.checks).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'sse-sync', ok: true })]));
    expect(await envValue(root, 'USE_NEW_WS_SYNC')).toBe('false');
    expect(await transport(baseUrl)).toBe('sse');
    expect((await readFile(path.join(root, LEGACY_FILE), 'utf8')).length).toBeGreaterThan(0);
  });

  it('rollback without the token is not verified (exit 4) and names the variable to set', async () => {
    const result = await runCli(['rollback', '--reason', 'no token configured'], { cwd: root, env: { NODE_ENV: 'test' }, timeoutMs: 60_000 });
    output.push(result.stdout, result.stderr);
    expect(result.exitCode, result.stdout + result.stderr).toBe(4);
    const text = `${result.stdout}\n${result.stderr}`;
    expect(text).toContain('answered 401: set CHAT_WS_TOKEN (service.tokenEnv) to its token');
  });

  it('never shows a token: not in any output, journal, state, report or incident', async () => {
    const records = `${output.join('\n')}\n${await wsmigRecords(path.join(root, '.wsmig'))}`;
    expect(records.length).toBeGreaterThan(1_000);
    expect(records).not.toContain(TOKEN);
    expect(records).not.toContain(ADMIN_TOKEN);
  });
});
