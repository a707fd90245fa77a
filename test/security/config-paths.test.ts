/**
 * Attack: a config path that stays inside the repository as written but leads out of it through a
 * symlink. wsmig edits env files, rewrites the code under codemodPaths and removes legacy files, so
 * a `.env` linked to a file outside, or a linked folder, must stop every command before it touches
 * anything — with the field named, through the real CLI.
 */
import { lstat, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { baseConfig, createRepo, git } from '../migration/helpers/temp-repo.js';

const cleanups: string[] = [];
afterEach(async () => {
  for (const dir of cleanups.splice(0)) await removeDir(dir);
});

async function repoAndOutside(): Promise<{ root: string; outside: string }> {
  const root = await createRepo({ config: baseConfig() });
  const outside = await makeTempDir('wsmig-outside-');
  cleanups.push(root, outside);
  return { root, outside };
}

describe('config paths leading out of the repository through a symlink', () => {
  it('an env file linked to a file outside: refused (exit 2) naming envFiles[0], and the outside file is untouched', async () => {
    const { root, outside } = await repoAndOutside();
    const shared = path.join(outside, 'shared.env');
    await writeFile(shared, 'USE_NEW_WS_SYNC=true\n');
    await rm(path.join(root, '.env'));
    await symlink(shared, path.join(root, '.env'));
    const result = await runCli(['migrate', 'phase', 'prepare', '--yes'], { cwd: root });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toContain('envFiles[0]: ".env" leads outside the repository');
    expect(await readFile(shared, 'utf8')).toBe('USE_NEW_WS_SYNC=true\n');
  });

  it('a legacy file under a linked folder: refused before stabilize could remove it', async () => {
    const { root, outside } = await repoAndOutside();
    await mkdir(path.join(outside, 'src'), { recursive: true });
    await writeFile(path.join(outside, 'src', 'legacy-sync.ts'), 'export const kept = true;\n');
    await rm(path.join(root, 'packages/server'), { recursive: true });
    await symlink(outside, path.join(root, 'packages/server'));
    const result = await runCli(['migrate', 'status'], { cwd: root });
    expect(result.exitCode, result.stderr).toBe(2);
    expect(result.stderr).toContain('legacyFiles[0]: "packages/server/src/legacy-sync.ts" leads outside the repository');
    expect(await readFile(path.join(outside, 'src', 'legacy-sync.ts'), 'utf8')).toBe('export const kept = true;\n');
  });

  it('a symlink that stays inside the repository is fine', async () => {
    const { root } = await repoAndOutside();
    await writeFile(path.join(root, 'real.env'), 'PORT=3000\n');
    await rm(path.join(root, '.env'));
    await symlink(path.join(root, 'real.env'), path.join(root, '.env'));
    const result = await runCli(['migrate', 'status'], { cwd: root });
    expect(result.stderr).not.toContain('leads outside the repository');
  });

  it('the codemod does not follow a symlinked source file out of the repository, nor replace the link', async () => {
    const { root, outside } = await repoAndOutside();
    const source = "const stream = new EventSource('/api/news');\nstream.onmessage = (event) => console.log(event.data);\n";
    const target = path.join(outside, 'news.ts');
    await writeFile(target, source);
    const link = path.join(root, 'packages/frontend/src/news.ts');
    await symlink(target, link);
    await writeFile(path.join(root, 'packages/frontend/src/own.ts'), source);
    await git(root, 'add', '-A');
    await git(root, 'commit', '-q', '-m', 'a linked file and an own one');
    const result = await runCli(['codemod', 'run', 'sse-to-ws', 'packages/frontend/src', '--json'], { cwd: root });
    expect(result.exitCode, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as { changed: string[] }).changed).toEqual(['packages/frontend/src/own.ts']);
    expect(await readFile(target, 'utf8')).toBe(source);
    expect((await lstat(link)).isSymbolicLink()).toBe(true);
  });
});
