/**
 * The migration's side of the percentage flag, against a real reference server: `setFlagPercentage`
 * writes `NN%` into the env files and sets the service live (or waits for it to read its env file),
 * turns a hard-coded features default on from the first partial step (the WebSocket code path must
 * run for the client to pick a transport per user), and `liveFlagState` reads the rollout back;
 * `flipFlag` stays the 0/100 % case.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { flipFlag, liveFlagState, liveFlagValue, setFlagPercentage } from '../../migration/flag.js';
import type { MigrationContext } from '../../migration/context.js';
import type { ServerOptions } from '../../reference/server/index.js';
import { serversPerTest } from '../helpers/reference-servers.js';
import { removeDir, removedAfterEachTest } from '../helpers/temp-dir.js';
import { baseConfig, contextFor, createRepo, git } from './helpers/temp-repo.js';

const FEATURES = "export const features = {\n  useNewWSSync: false,\n};\n";

describe('setting the flag to a percentage', () => {
  // Registered first, so it runs last: the servers (one watches the repo's .env) stop before their folders go.
  const removeLater = removedAfterEachTest();
  const servers = serversPerTest();

  async function repoWithService(options: ServerOptions | ((root: string) => ServerOptions)): Promise<{ context: MigrationContext; root: string; service: Awaited<ReturnType<typeof servers.start>> }> {
    const root = removeLater(await createRepo({ files: { 'config/features.ts': FEATURES } }));
    const service = await servers.start(typeof options === 'function' ? options(root) : options);
    const config = baseConfig({ service: { command: ['node', 'server.js'], baseUrl: service.url } });
    await writeFile(path.join(root, 'wsmig.config.json'), `${JSON.stringify(config, null, 2)}\n`);
    await git(root, 'commit', '-qam', 'point at the service');
    return { context: await contextFor(root), root, service };
  }

  const envText = (root: string) => readFile(path.join(root, '.env'), 'utf8');
  const featuresText = (root: string) => readFile(path.join(root, 'config/features.ts'), 'utf8');

  it('writes NN% into the env files and sets the service live; a hard-coded features default turns on from the first partial step', async () => {
    const { context, root, service } = await repoWithService({ adminLoopback: true, flag: { value: false } });
    const quarter = await setFlagPercentage(context, 25);
    expect(quarter).toMatchObject({ value: false, percentage: 25, envFiles: [{ file: '.env', changed: true }], featuresFileChanged: true, live: { applied: true, percentage: 25, value: false } });
    expect(quarter.live.detail).toContain('WebSocket for 25 %');
    expect(quarter.featuresCommit).toMatch(/^[0-9a-f]{40}$/);
    expect(await envText(root)).toBe('# settings\nPORT=3000\nUSE_NEW_WS_SYNC=25%\n');
    expect(await featuresText(root)).toBe(FEATURES.replace('useNewWSSync: false', 'useNewWSSync: true'));
    expect(service.flagPercentage).toBe(25);
    expect(await liveFlagState(context)).toEqual({ percentage: 25, value: false });
    expect(await liveFlagValue(context)).toBe(false);

    const all = await setFlagPercentage(context, 100);
    expect(all).toMatchObject({ value: true, percentage: 100, featuresFileChanged: false, live: { applied: true, percentage: 100 } });
    expect(await envText(root)).toContain('USE_NEW_WS_SYNC=true\n');
    expect(await featuresText(root)).toContain('useNewWSSync: true');
    expect(await liveFlagState(context)).toEqual({ percentage: 100, value: true });

    const off = await flipFlag(context, false);
    expect(off).toMatchObject({ value: false, percentage: 0, featuresFileChanged: true, live: { applied: true, percentage: 0 } });
    expect(await envText(root)).toContain('USE_NEW_WS_SYNC=false\n');
    expect(service.flagPercentage).toBe(0);
  });

  it('waits for a service that refuses /admin/flag but follows its env file to read the percentage there', async () => {
    const { context, service } = await repoWithService((root) => ({ flag: { file: path.join(root, '.env'), pollIntervalMs: 50 } }));
    const report = await setFlagPercentage(context, 40);
    expect(report.live).toMatchObject({ applied: true, percentage: 40 });
    expect(report.live.detail).toContain('picked the value up from the env file');
    expect(service.flagPercentage).toBe(40);
  });

  it('refuses a percentage that is not a whole number from 0 to 100, and changes nothing', async () => {
    const { context, root } = await repoWithService({ adminLoopback: true });
    for (const percentage of [12.5, 101, -1, Number.NaN]) await expect(setFlagPercentage(context, percentage)).rejects.toMatchObject({ code: 'BAD_FLAG_PERCENTAGE', exitCode: 2 });
    expect(await envText(root)).toBe('# settings\nPORT=3000\n');
  });
});

describe('liveFlagState against a service from before percentages', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('reads its boolean as 100 or 0 %', async () => {
    let value = true;
    server = createServer((_req, res) => res.end(JSON.stringify({ transport: value ? 'ws' : 'sse', flag: { name: 'USE_NEW_WS_SYNC', value } })));
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const root = await createRepo({ config: baseConfig({ service: { command: ['node', 'server.js'], baseUrl } }) });
    try {
      const context = await contextFor(root);
      expect(await liveFlagState(context)).toEqual({ percentage: 100, value: true });
      value = false;
      expect(await liveFlagState(context)).toEqual({ percentage: 0, value: false });
    } finally {
      await removeDir(root);
    }
  });
});
