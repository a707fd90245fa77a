/** Temporary git repositories holding a few source files, for runner and CLI tests. */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { makeTempDir, removedAfterEachTest } from '../helpers/temp-dir.js';

/** Commits every change to a tracked file (`git commit -am`) with a test identity. */
export async function commitAll(dir: string, message: string): Promise<void> {
  await execa('git', ['-c', 'user.email=test@wsmig.dev', '-c', 'user.name=wsmig test', 'commit', '-q', '-am', message], { cwd: dir });
}

/** Writes the files (relative path → content) under a new temporary folder; with `git`, commits them. */
export async function makeProject(files: Record<string, string>, options: { git?: boolean } = {}): Promise<string> {
  const dir = await fs.realpath(await makeTempDir('wsmig-codemod-project-'));
  for (const [relative, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, relative)), { recursive: true });
    await fs.writeFile(path.join(dir, relative), content);
  }
  if (options.git ?? true) {
    await execa('git', ['init', '-q'], { cwd: dir });
    await execa('git', ['add', '-A'], { cwd: dir });
    await commitAll(dir, 'initial');
  }
  return dir;
}

/** {@link makeProject} for the tests of the suite that calls this: each project is removed after its test. */
export function projectPerTest(): (files: Record<string, string>, options?: { git?: boolean }) => Promise<string> {
  const removeLater = removedAfterEachTest();
  return async (files, options) => removeLater(await makeProject(files, options));
}

/** The content of every file under `dir` (outside .git), to prove a run wrote nothing. */
export async function snapshot(dir: string): Promise<Map<string, string>> {
  const result = new Map<string, string>();
  const walk = async (current: string): Promise<void> => {
    for (const entry of await fs.readdir(current, { withFileTypes: true })) {
      if (entry.name === '.git') continue;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) await walk(full);
      else result.set(path.relative(dir, full), await fs.readFile(full, 'utf8'));
    }
  };
  await walk(dir);
  return result;
}

export const EVENT_SOURCE_FILE = [
  'export function follow(chatId: number, show: (percent: number) => void): () => void {',
  '  const source = new EventSource(`/api/sync/${chatId}/events?start=1`);',
  "  source.addEventListener('progress', (event) => show(JSON.parse(event.data).progress));",
  '  return () => source.close();',
  '}',
  '',
].join('\n');

/** A site a swap would change (`instanceof EventSource` is false for a WsEventSource): a marker on line 2. */
export const MANUAL_FILE = ['export function isNotesStream(value: unknown): boolean {', '  return value instanceof EventSource;', '}', ''].join('\n');
