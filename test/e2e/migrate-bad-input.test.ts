import { realpath, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeTempDir, removedAfterEachTest } from '../helpers/temp-dir.js';
import { baseConfig, createRepo, git, snapshotTree, writeFiles } from '../migration/helpers/temp-repo.js';

/** Runs wsmig in `root` and asserts that it changed nothing at all. */
async function runUnchanged(root: string, args: string[]) {
  const before = await snapshotTree(root);
  const result = await runCli(args, { cwd: root, env: { NODE_ENV: 'test' } });
  expect(await snapshotTree(root)).toEqual(before);
  return result;
}

describe('wsmig migrate on bad input: a clear error and nothing changed', () => {
  const removeLater = removedAfterEachTest();

  it('without a config says to run init', async () => {
    const dir = removeLater(await makeTempDir('wsmig-noconfig-'));
    const result = await runUnchanged(dir, ['migrate', 'phase', 'prepare', '--yes']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('No wsmig.config.json');
    expect(result.stderr).toContain('wsmig migrate init');
  });

  it('with an invalid config names the file, the field and what to do', async () => {
    const root = removeLater(await createRepo({ config: { ...baseConfig(), legacyFiles: 'packages/server/src/legacy-sync.ts', timeline: { migrate: 'soon' } } }));
    const result = await runUnchanged(root, ['migrate', 'phase', 'prepare', '--yes']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(path.join(root, 'wsmig.config.json'));
    expect(result.stderr).toContain('legacyFiles:');
    expect(result.stderr).toContain('timeline.migrate: must be a duration');
    expect(result.stderr).toContain('docs/config.md');
  });

  it('with a config that is not JSON', async () => {
    const root = removeLater(await createRepo());
    await writeFile(path.join(root, 'wsmig.config.json'), '{ "version": 1, ');
    const result = await runUnchanged(root, ['rollback', '--reason', 'test']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('is not valid JSON');
  });

  it('with a legacy path outside the repository', async () => {
    const root = removeLater(await createRepo({ config: baseConfig({ legacyFiles: ['../elsewhere/legacy-sync.ts'] }) }));
    const result = await runUnchanged(root, ['migrate', 'phase', 'stabilize', '--yes', '--force', '--reason', 'test']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('legacyFiles[0]: "../elsewhere/legacy-sync.ts" is outside the repository');
  });

  it('with a features file in an unexpected shape, before touching the env file', async () => {
    const root = removeLater(await createRepo({ files: { 'config/features.ts': "import { load } from './loader';\nexport const features = load();\n" } }));
    const result = await runUnchanged(root, ['migrate', 'phase', 'prepare', '--yes']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('config/features.ts:2: `features` is not an object literal');
    expect(result.stderr).toContain("useNewWSSync: process.env.USE_NEW_WS_SYNC === 'true'");
    expect(result.stderr).toContain('nothing was changed');
  });

  it('in a folder that is not a git repository', async () => {
    const dir = removeLater(await makeTempDir('wsmig-nogit-'));
    await writeFiles(dir, { 'wsmig.config.json': JSON.stringify(baseConfig()), 'packages/server/src/legacy-sync.ts': 'x' });
    for (const args of [['migrate', 'phase', 'prepare', '--yes'], ['rollback', '--reason', 'test'], ['migrate', 'plan', 'prepare']]) {
      const result = await runUnchanged(dir, args);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('is not inside a git repository');
    }
  });

  it('with the config in a folder below the top of the git repository', async () => {
    const top = removeLater(await createRepo());
    const root = path.join(top, 'packages');
    await writeFile(path.join(root, 'wsmig.config.json'), JSON.stringify(baseConfig({ legacyFiles: ['server/src/legacy-sync.ts'], codemodPaths: ['frontend/src'] })));
    await git(top, 'add', '-A');
    await git(top, 'commit', '-q', '-m', 'config in a subfolder');
    for (const args of [['migrate', 'phase', 'prepare', '--yes'], ['rollback', '--reason', 'test']]) {
      const result = await runUnchanged(root, args);
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr).toContain('not at its top');
      expect(result.stderr).toContain(`Move wsmig.config.json to ${await realpath(top)}`);
    }
  });

  it('with uncommitted changes of the user\'s own, refusing unless --force', async () => {
    const root = removeLater(await createRepo());
    await writeFile(path.join(root, 'packages/frontend/src/app.ts'), '// half-done edit\n');
    const result = await runUnchanged(root, ['migrate', 'phase', 'prepare', '--yes']);
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('uncommitted changes');
    expect(result.stderr).toContain('packages/frontend/src/app.ts');
  });

  it('with an unknown phase, or no confirmation possible', async () => {
    const root = removeLater(await createRepo());
    const unknown = await runUnchanged(root, ['migrate', 'phase', 'rollout', '--yes']);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('Unknown phase "rollout"');
    const unconfirmed = await runUnchanged(root, ['migrate', 'init']);
    expect(unconfirmed.exitCode).toBe(2);
    expect(unconfirmed.stderr).toContain('--yes');
  });

  it('prepare --no-start with no service running fails at that step, and the state says where to resume', async () => {
    const root = removeLater(await createRepo());
    const result = await runCli(['migrate', 'phase', 'prepare', '--yes', '--no-start'], { cwd: root, env: { NODE_ENV: 'test' } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('--no-start: no healthy service answers http://127.0.0.1:9/health');
    const status = await runCli(['migrate', 'status', '--json'], { cwd: root });
    const report = JSON.parse(status.stdout) as { interrupted: { command: string; step: string } | null; phases: { name: string; status: string }[] };
    expect(report.interrupted).toMatchObject({ command: 'prepare', step: 'prepare.service' });
    expect(report.phases[0]).toMatchObject({ name: 'prepare', status: 'failed' });
  });
});
