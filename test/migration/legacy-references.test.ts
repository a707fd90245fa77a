import { describe, expect, it } from 'vitest';
import { findLegacyReferences } from '../../migration/legacy-references.js';
import { removedAfterEachTest } from '../helpers/temp-dir.js';
import { contextFor, createRepo, writeFiles } from './helpers/temp-repo.js';

const LEGACY = ['packages/server/src/legacy-sync.ts'];

describe('references to the legacy modules', () => {
  const removeLater = removedAfterEachTest();

  it('finds every kind of import, with its line, and ignores look-alikes', async () => {
    const root = removeLater(await createRepo({
      files: {
        'packages/server/src/routes.ts': "// legacy-sync is going away\nexport * from './legacy-sync';\n",
        'packages/server/src/lazy.js': "const a = require('./legacy-sync.js');\nconst b = import('./legacy-sync.ts');\n",
        'packages/server/src/eq.ts': "import legacy = require('./legacy-sync');\n",
        'packages/server/src/similar.ts': "import { x } from './legacy-sync-helpers.js';\nimport y from 'legacy-sync';\n",
        'packages/server/lib/elsewhere.ts': "import { legacySync } from '../src/legacy-sync.js';\n",
      },
    }));
    const context = await contextFor(root);
    const found = await findLegacyReferences(context, LEGACY);
    expect(found.map((ref) => `${ref.file}:${ref.line}`).sort()).toEqual([
      'packages/server/lib/elsewhere.ts:1',
      'packages/server/src/eq.ts:1',
      'packages/server/src/index.ts:1',
      'packages/server/src/lazy.js:1',
      'packages/server/src/lazy.js:2',
      'packages/server/src/routes.ts:2',
    ]);
    expect(found.every((ref) => ref.legacyFile === LEGACY[0])).toBe(true);
  });

  it('blocks on a file that names the module and does not parse', async () => {
    const root = removeLater(await createRepo({ files: { 'packages/server/src/broken.ts': "import { legacySync } from './legacy-sync.js'\nexport const = ;\n" } }));
    const found = await findLegacyReferences(await contextFor(root), LEGACY);
    expect(found.find((ref) => ref.file === 'packages/server/src/broken.ts')?.specifier).toContain('does not parse');
  });

  it('finds nothing once the imports are gone', async () => {
    const root = removeLater(await createRepo());
    await writeFiles(root, { 'packages/server/src/index.ts': 'export const handlers = [];\n' });
    expect(await findLegacyReferences(await contextFor(root), LEGACY)).toEqual([]);
  });
});
