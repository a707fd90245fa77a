import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MigrationContext } from '../../../migration/context.js';
import { planRestore, restoreLegacyCode } from '../../../migration/rollback/restore.js';
import { removedAfterEachTest } from '../../helpers/temp-dir.js';
import { LEGACY_SOURCE, contextFor, createRepo, exists, git, writeFiles } from '../helpers/temp-repo.js';

const LEGACY = 'packages/server/src/legacy-sync.ts';
const noCheckpoint = async (): Promise<void> => undefined;

/** What stabilize does: remove the legacy file and its import, inline the flag; one commit. */
async function stabilize(context: MigrationContext): Promise<string> {
  await context.git.rm([LEGACY]);
  await writeFiles(context.root, {
    'packages/server/src/index.ts': 'export const handlers = [];\n',
    'packages/frontend/src/app.ts': "export const transport = 'ws';\n",
  });
  const changed = ['packages/server/src/index.ts', 'packages/frontend/src/app.ts'];
  await context.git.add(changed);
  const commit = await context.git.commitPaths({ subject: 'stabilize', phase: 'stabilize', paths: [...changed, LEGACY] });
  await context.state.update((state) => {
    state.commits.stabilize = commit;
  });
  return commit;
}

describe('restoring the legacy code', () => {
  const removeLater = removedAfterEachTest();
  async function setup(): Promise<{ context: MigrationContext; before: Record<string, Buffer>; commit: string }> {
    const root = removeLater(await createRepo());
    const context = await contextFor(root);
    const before: Record<string, Buffer> = {};
    for (const file of [LEGACY, 'packages/server/src/index.ts', 'packages/frontend/src/app.ts']) before[file] = await readFile(path.join(root, file));
    const commit = await stabilize(context);
    return { context, before, commit };
  }

  it('reverts the stabilize commit when nothing conflicts: every file byte-identical, one commit with the trailers', async () => {
    const { context, before, commit } = await setup();
    expect((await planRestore(context)).action).toBe('revert');
    const outcome = await restoreLegacyCode(context, noCheckpoint);
    expect(outcome.action).toBe('revert');
    expect(outcome.legacyFiles).toEqual([{ path: LEGACY, identical: true }]);
    for (const [file, bytes] of Object.entries(before)) expect((await readFile(path.join(context.root, file))).equals(bytes), file).toBe(true);
    expect((await readFile(path.join(context.root, LEGACY), 'utf8'))).toBe(LEGACY_SOURCE);
    const message = await git(context.root, 'log', '-1', '--format=%B');
    expect(message).toContain('Wsmig-Phase: rollback');
    expect(message).toContain(`Wsmig-Reverts: ${commit}`);
    expect(await git(context.root, 'status', '--porcelain', '--', '.', ':!.wsmig')).toBe('');
  });

  it('is harmless a second time: the stabilize commit is no longer in effect', async () => {
    const { context } = await setup();
    await restoreLegacyCode(context, noCheckpoint);
    const head = await git(context.root, 'rev-parse', 'HEAD');
    const plan = await planRestore(context);
    expect(plan.action).toBe('already-restored');
    const again = await restoreLegacyCode(context, noCheckpoint);
    expect(again.commit).toBeNull();
    expect(await git(context.root, 'rev-parse', 'HEAD')).toBe(head);
  });

  it('on a conflict with later work restores the legacy files and untouched files, lists the rest, and keeps uncommitted work', async () => {
    const { context, before } = await setup();
    // Later, unrelated work: a commit that edits a file stabilize changed, and one that does not.
    await writeFiles(context.root, { 'packages/server/src/index.ts': 'export const handlers = [];\nexport const later = true;\n' });
    await git(context.root, 'commit', '-q', '-am', 'later work on index.ts');
    await writeFiles(context.root, { 'packages/server/src/other.ts': 'export const other = 2;\n' });
    await git(context.root, 'commit', '-q', '-am', 'later unrelated work');
    // Uncommitted work: a modified tracked file and an untracked file.
    await writeFile(path.join(context.root, 'packages/server/src/other.ts'), 'export const other = 3; // not committed\n');
    await writeFile(path.join(context.root, 'notes.txt'), 'my notes\n');

    const outcome = await restoreLegacyCode(context, noCheckpoint);
    expect(outcome.action).toBe('restore-paths');
    expect(outcome.legacyFiles).toEqual([{ path: LEGACY, identical: true }]);
    expect((await readFile(path.join(context.root, LEGACY))).equals(before[LEGACY] as Buffer)).toBe(true);
    expect((await readFile(path.join(context.root, 'packages/frontend/src/app.ts'))).equals(before['packages/frontend/src/app.ts'] as Buffer)).toBe(true);
    expect(outcome.manual.map((entry) => entry.path)).toEqual(['packages/server/src/index.ts']);
    expect(await readFile(path.join(context.root, 'packages/server/src/index.ts'), 'utf8')).toContain('later = true');
    expect(await readFile(path.join(context.root, 'packages/server/src/other.ts'), 'utf8')).toBe('export const other = 3; // not committed\n');
    expect(await readFile(path.join(context.root, 'notes.txt'), 'utf8')).toBe('my notes\n');
    const committed = (await git(context.root, 'show', '--name-only', '--format=', 'HEAD')).split('\n').filter(Boolean).sort();
    expect(committed).toEqual(['packages/frontend/src/app.ts', LEGACY]);
    expect(await git(context.root, 'log', '-1', '--format=%B')).toContain('Wsmig-Phase: rollback');
  });

  it('never reverts over staged changes: restores paths instead and leaves the staged work staged', async () => {
    const { context, before } = await setup();
    await writeFile(path.join(context.root, 'staged.txt'), 'staged work\n');
    await git(context.root, 'add', 'staged.txt');
    const outcome = await restoreLegacyCode(context, noCheckpoint);
    expect(outcome.action).toBe('restore-paths');
    expect((await readFile(path.join(context.root, LEGACY))).equals(before[LEGACY] as Buffer)).toBe(true);
    expect(await git(context.root, 'status', '--porcelain', 'staged.txt')).toBe('A  staged.txt');
  });

  it('does not overwrite a file stabilize changed that has uncommitted edits', async () => {
    const { context } = await setup();
    await writeFile(path.join(context.root, 'packages/frontend/src/app.ts'), "export const transport = 'ws'; // editing\n");
    const outcome = await restoreLegacyCode(context, noCheckpoint);
    expect(outcome.manual.map((entry) => entry.path)).toEqual(['packages/frontend/src/app.ts']);
    expect(await readFile(path.join(context.root, 'packages/frontend/src/app.ts'), 'utf8')).toContain('// editing');
    expect(outcome.legacyFiles[0]?.identical).toBe(true);
  });

  it('finds the stabilize commit by its trailer when the state lost it', async () => {
    const { context } = await setup();
    await context.state.update((state) => {
      delete state.commits.stabilize;
    });
    const outcome = await restoreLegacyCode(context, noCheckpoint);
    expect(outcome.action).toBe('revert');
    expect(await exists(path.join(context.root, LEGACY))).toBe(true);
  });

  it('has nothing to restore before stabilize', async () => {
    const root = removeLater(await createRepo());
    const context = await contextFor(root);
    expect((await planRestore(context)).action).toBe('nothing-to-restore');
    const outcome = await restoreLegacyCode(context, noCheckpoint);
    expect(outcome).toMatchObject({ commit: null, manual: [], legacyFiles: [{ path: LEGACY, identical: true }] });
  });
});
