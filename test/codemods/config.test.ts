import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { codemodsConfigSchema, loadCodemodsConfig, resolveCodemodsConfig } from '../../codemods/config.js';
import { UsageError } from '../../lib/errors.js';
import { tempDirPerTest } from '../helpers/temp-dir.js';

const tempDir = tempDirPerTest('wsmig-codemod-config-');

async function writeConfig(content: unknown): Promise<string> {
  const file = path.join(tempDir(), 'wsmig.config.json');
  await fs.writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('codemods config', () => {
  it('fills every default from an empty section', () => {
    expect(codemodsConfigSchema.parse({})).toEqual({
      wrappers: [],
      events: { progress: 'sync:progress', complete: 'sync:complete', error: 'sync:error' },
      endpoints: { syncCommand: '/commands/sync', syncEvents: '/api/sync/:chatId/events' },
      featuresModule: 'config/features.ts',
      featuresExport: 'features',
      flagKey: 'useNewWSSync',
      importExtension: 'auto',
      clientImport: 'wsmig/client',
      vueImport: 'wsmig/vue',
      legacyModules: ['packages/server/src/legacy-sync.ts'],
    });
  });

  it('reads the wrappers of the issue example with their defaults', async () => {
    const config = await loadCodemodsConfig(await writeConfig({ migration: { other: true }, codemods: { wrappers: [{ callee: 'createConnection', urlPattern: '/commands/sync', to: 'sync' }] } }));
    expect(config.root).toBe(tempDir());
    expect(config.wrappers).toEqual([{ callee: 'createConnection', urlPattern: '/commands/sync', to: 'sync', urlArg: 0, paramsArg: 1, handlersArg: 2, handlers: { onProgress: 'progress', onComplete: 'complete', onError: 'error' } }]);
  });

  it('accepts a wrapper per adapter and names the allowed targets for any other', async () => {
    const targets = ['event-source', 'fetch', 'fetch-event-source'].map((to, index) => ({ callee: `wrap${index}`, to }));
    expect((await loadCodemodsConfig(await writeConfig({ codemods: { wrappers: targets } }))).wrappers.map((w) => w.to)).toEqual(['event-source', 'fetch', 'fetch-event-source']);
    await expect(loadCodemodsConfig(await writeConfig({ codemods: { wrappers: [{ callee: 'wrap', to: 'websocket' }] } }))).rejects.toThrow(/codemods\.wrappers\[0\]\.to: .*"fetch-event-source"/);
  });

  it('takes the features module, flag key and legacy files from a migration config, unless the section sets them', async () => {
    const migrationConfig = { flag: { name: 'USE_NEW_WS_SYNC', featuresFile: 'src/flags.ts', featuresKey: 'wsSync' }, legacyFiles: ['server/sse.ts'], codemods: { wrappers: [] } };
    const fromTopLevel = await loadCodemodsConfig(await writeConfig(migrationConfig));
    expect([fromTopLevel.featuresModule, fromTopLevel.flagKey, fromTopLevel.legacyModules]).toEqual(['src/flags.ts', 'wsSync', ['server/sse.ts']]);
    const sectionWins = await loadCodemodsConfig(await writeConfig({ ...migrationConfig, codemods: { flagKey: 'other' } }));
    expect(sectionWins.flagKey).toBe('other');
  });

  it('names the file, the field and the problem when a field is wrong', async () => {
    const file = await writeConfig({ codemods: { wrappers: [{ callee: 'create connection', to: 'ws' }], events: { progress: 'progress' } } });
    const error = await loadCodemodsConfig(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as UsageError).message;
    expect(message).toContain(file);
    expect(message).toContain('codemods.wrappers[0].callee: must be a function name');
    expect(message).toContain('codemods.wrappers[0].to:');
    expect(message).toContain('codemods.events.progress:');
    expect((error as UsageError).code).toBe('CODEMOD_CONFIG_INVALID');
  });

  it('rejects unknown fields (a typo would otherwise be ignored silently)', async () => {
    const error = await loadCodemodsConfig(await writeConfig({ codemods: { flagkey: 'x' } })).catch((e: unknown) => e as Error);
    expect((error as Error).message).toMatch(/codemods: .*flagkey/);
  });

  it('refuses paths outside the repository and events endpoints without :chatId', async () => {
    const error = await loadCodemodsConfig(await writeConfig({ codemods: { featuresModule: '../features.ts', legacyModules: ['/etc/passwd'], endpoints: { syncEvents: '/api/events' } } })).catch((e: unknown) => e as Error);
    expect((error as Error).message).toContain('codemods.featuresModule: must be a path inside the repository');
    expect((error as Error).message).toContain('codemods.legacyModules[0]: must be a path inside the repository');
    expect((error as Error).message).toContain('codemods.endpoints.syncEvents: must contain a ":chatId" segment');
  });

  it('says what to do when the file is missing or not JSON', async () => {
    await expect(loadCodemodsConfig(path.join(tempDir(), 'nope.json'))).rejects.toMatchObject({ code: 'CODEMOD_CONFIG_MISSING' });
    await expect(loadCodemodsConfig(await writeConfig('{ "codemods": '))).rejects.toThrow(/is not valid JSON/);
  });

  it('uses wsmig.config.json in the root when there is one, else the defaults', async () => {
    expect((await resolveCodemodsConfig({ root: tempDir() })).configFile).toBeUndefined();
    await writeConfig({ codemods: { flagKey: 'wsSync' } });
    const config = await resolveCodemodsConfig({ root: tempDir() });
    expect(config.flagKey).toBe('wsSync');
    expect(config.configFile).toBe(path.join(tempDir(), 'wsmig.config.json'));
  });
});
