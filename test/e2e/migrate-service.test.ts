import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type ReferenceServer } from '../../reference/server/index.js';
import { runCli } from '../helpers/cli.js';
import { envValue, foreignStatus, phaseCommits, readState, transport } from '../migration/helpers/flow.js';
import { freePort, referenceService, stopRecordedService } from '../migration/helpers/service.js';
import { baseConfig, createRepo, exists, removeRepo } from '../migration/helpers/temp-repo.js';

const LIGHT_LOAD = { scenarios: ['latency'], duration: '2s', connections: 4, rate: 30, set: { rampUp: '500ms', syncs: 2 } };
const LIGHT_THRESHOLDS = JSON.stringify({ 'ws_rpc_duration{scenario:latency}': [{ threshold: 'p(99)<500', minSamples: 20 }], ws_msgs_lost: ['count==0'] });

/**
 * A service that cannot switch the flag live (its admin endpoint wants a token wsmig does not
 * have, and it reads `.env` only when it starts): wsmig restarts the service it started so that it
 * reads the new value, in migrate and in a rollback, and the rollback is still verified.
 */
describe('a service that cannot change the flag live', () => {
  let root: string;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    root = await createRepo({
      config: baseConfig({
        service: { ...referenceService(port, { followEnvFile: false }), env: { WSMIG_ADMIN_TOKEN: 'not-known-to-wsmig' } },
        wsEndpoint: { value: `ws://127.0.0.1:${port}/ws` },
        thresholds: 'load-thresholds.json',
        loadTest: LIGHT_LOAD,
        timeline: { migrate: '1s' },
      }),
      files: { 'load-thresholds.json': LIGHT_THRESHOLDS },
    });
  });
  afterAll(async () => {
    await stopRecordedService(root);
    await removeRepo(root);
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
describe('stabilize over a legacy module still in use', () => {
  let server: ReferenceServer;
  let root: string;
  afterEach(async () => {
    await server?.close();
    if (root) await removeRepo(root);
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
