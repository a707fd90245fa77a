import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Git } from '../../migration/git.js';
import { makeTempDir, removedAfterEachTest } from '../helpers/temp-dir.js';
import { createRepo, git } from './helpers/temp-repo.js';

describe('git, as the migration uses it', () => {
  const removeLater = removedAfterEachTest();

  it('commits exactly the given paths with the phase trailer, leaving other staged work staged', async () => {
    const root = removeLater(await createRepo());
    const repo = new Git(root);
    await writeFile(path.join(root, 'packages/frontend/src/app.ts'), 'changed\n');
    await writeFile(path.join(root, 'user work.txt'), 'mine\n');
    await git(root, 'add', 'user work.txt');
    await repo.add(['packages/frontend/src/app.ts']);
    const commit = await repo.commitPaths({ subject: 'wsmig: test', phase: 'migrate', paths: ['packages/frontend/src/app.ts'], trailers: { 'Wsmig-Reverts': 'abc' } });
    expect(await git(root, 'show', '--name-only', '--format=', commit)).toBe('packages/frontend/src/app.ts');
    expect(await repo.trailer(commit, 'Wsmig-Phase')).toBe('migrate');
    expect(await repo.trailer(commit, 'Wsmig-Reverts')).toBe('abc');
    expect(await repo.commitsWithPhase('migrate')).toEqual([commit]);
    expect(await repo.commitsWithPhase('stabilize')).toEqual([]);
    expect(await repo.status()).toEqual([{ code: 'A ', path: 'user work.txt' }]);
  });

  it('commits a removal and reports what a commit changed and who touched a path later', async () => {
    const root = removeLater(await createRepo());
    const repo = new Git(root);
    await repo.rm(['packages/server/src/legacy-sync.ts']);
    const removal = await repo.commitPaths({ subject: 'rm', phase: 'stabilize', paths: ['packages/server/src/legacy-sync.ts'] });
    expect(await repo.changedFiles(removal)).toEqual([{ status: 'D', path: 'packages/server/src/legacy-sync.ts' }]);
    expect(await repo.fileAt(removal, 'packages/server/src/legacy-sync.ts')).toBeUndefined();
    expect((await repo.fileAt(`${removal}^`, 'packages/server/src/legacy-sync.ts'))?.length).toBeGreaterThan(0);
    await writeFile(path.join(root, 'packages/server/src/other.ts'), 'later\n');
    await git(root, 'commit', '-qam', 'later');
    expect(await repo.commitsTouching(removal, 'packages/server/src/other.ts')).toHaveLength(1);
    expect(await repo.commitsTouching(removal, 'packages/server/src/index.ts')).toEqual([]);
    expect(await repo.isAncestor(removal)).toBe(true);
  });

  it('refuses a folder that is not a repository, or one without commits', async () => {
    const dir = removeLater(await makeTempDir('wsmig-nogit-'));
    await expect(new Git(dir).assertRepository()).rejects.toMatchObject({ code: 'NOT_A_GIT_REPO', exitCode: 2 });
    await git(dir, 'init', '-q');
    await expect(new Git(dir).assertRepository()).rejects.toMatchObject({ code: 'NO_COMMITS' });
  });

  it('refuses a folder inside a repository: git names files from the top, the config from its own folder', async () => {
    const root = removeLater(await createRepo());
    await expect(new Git(path.join(root, 'packages')).assertRepository()).rejects.toMatchObject({ code: 'NOT_REPOSITORY_TOP', exitCode: 2, message: expect.stringContaining(`Move wsmig.config.json to`) });
    await new Git(root).assertRepository();
  });
});
