import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { assertCleanTree, foreignChanges, isUnder } from '../../migration/tree-check.js';
import { removedAfterEachTest } from '../helpers/temp-dir.js';
import { contextFor, createRepo, writeFiles } from './helpers/temp-repo.js';

describe('the dirty-tree rule', () => {
  const removeLater = removedAfterEachTest();

  it('matches paths by folder, not by prefix text', () => {
    expect(isUnder('packages/web/src/a.ts', 'packages/web')).toBe(true);
    expect(isUnder('packages/web/src/a.ts', './packages/web/')).toBe(true);
    expect(isUnder('packages/webapp/a.ts', 'packages/web')).toBe(false);
    expect(isUnder('anything', '.')).toBe(true);
  });

  it('ignores wsmig\'s own files and the env files, and refuses the rest unless forced', async () => {
    const root = removeLater(await createRepo());
    const context = await contextFor(root);
    await writeFiles(root, { '.wsmig/state.json': '{}', '.env': 'PORT=1\nUSE_NEW_WS_SYNC=true\n' });
    expect(await foreignChanges(context, [])).toEqual([]);
    await writeFile(path.join(root, 'packages/frontend/src/app.ts'), '// my edit\n');
    await writeFile(path.join(root, 'scratch.txt'), 'x');
    await expect(assertCleanTree(context, { force: false, allowed: [], command: 'wsmig migrate phase migrate' })).rejects.toMatchObject({
      code: 'DIRTY_TREE',
      message: expect.stringMatching(/packages\/frontend\/src\/app\.ts[\s\S]*scratch\.txt[\s\S]*--force/),
    });
    expect(await assertCleanTree(context, { force: true, allowed: [], command: 'x' })).toEqual(['packages/frontend/src/app.ts', 'scratch.txt']);
    expect(await foreignChanges(context, ['packages/frontend/src'])).toEqual(['scratch.txt']);
  });
});
