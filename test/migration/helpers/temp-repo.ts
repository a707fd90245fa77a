/**
 * Temporary git repositories for the migration tests: a small app with a legacy SSE module, a
 * server that imports it, a frontend file, an env file and a wsmig.config.json.
 */
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { silentLogger } from '../../../lib/logger.js';
import { openContext, type MigrationContext } from '../../../migration/context.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/** Bytes a byte-for-byte restore must reproduce: CRLF, no final newline, non-ASCII, a tab. */
export const LEGACY_SOURCE = "// légacy SSE\r\nexport function legacySync(res) {\r\n\tres.write('data: {}\\n\\n');\r\n}";

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const result = await execa('git', args, { cwd });
  return String(result.stdout);
}

/** Writes files (relative path → content) under `root`. */
export async function writeFiles(root: string, files: Record<string, string>): Promise<void> {
  for (const [file, content] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), content);
  }
}

export function baseConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: 1,
    envFiles: ['.env'],
    service: { command: ['node', 'server.js'], baseUrl: 'http://127.0.0.1:9' },
    legacyFiles: ['packages/server/src/legacy-sync.ts'],
    codemodPaths: ['packages/frontend/src'],
    ...overrides,
  };
}

/** Makes `root` a git repository (branch main, a test identity, no signing) and commits everything in it. */
export async function initRepo(root: string, message: string): Promise<void> {
  await git(root, 'init', '-q', '-b', 'main');
  await git(root, 'config', 'user.email', 'test@example.com');
  await git(root, 'config', 'user.name', 'wsmig test');
  await git(root, 'config', 'commit.gpgsign', 'false');
  await git(root, 'add', '-A');
  await git(root, 'commit', '-q', '-m', message);
}

/** A committed repository with the sample app; returns its root. */
export async function createRepo(options: { config?: Record<string, unknown>; files?: Record<string, string> } = {}): Promise<string> {
  const root = await makeTempDir('wsmig-repo-');
  await writeFiles(root, {
    'wsmig.config.json': `${JSON.stringify(options.config ?? baseConfig(), null, 2)}\n`,
    '.env': '# settings\nPORT=3000\n',
    'packages/server/src/legacy-sync.ts': LEGACY_SOURCE,
    'packages/server/src/index.ts': "import { legacySync } from './legacy-sync.js';\nexport const handlers = [legacySync];\n",
    'packages/server/src/other.ts': 'export const other = 1;\n',
    'packages/frontend/src/app.ts': "import { features } from '../../../config/features.js';\nexport const transport = features.useNewWSSync ? 'ws' : 'sse';\n",
    ...options.files,
  });
  await initRepo(root, 'initial');
  return root;
}

export async function contextFor(root: string): Promise<MigrationContext> {
  const context = await openContext({ cwd: root, logger: silentLogger() });
  await context.state.load();
  return context;
}

/** Every file under `root` (except .git) with its bytes, for "nothing changed" assertions. */
export async function snapshotTree(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(path.join(root, dir), { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const relative = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(relative);
      else out.set(relative, (await readFile(path.join(root, relative))).toString('base64'));
    }
  };
  await walk('');
  return out;
}

export async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}
