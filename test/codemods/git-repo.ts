/** Temporary git repositories holding a few source files, for runner and CLI tests. */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

/** Writes the files (relative path → content) under a new temporary folder; with `git`, commits them. */
export async function makeProject(files: Record<string, string>, options: { git?: boolean } = {}): Promise<string> {
  const dir = await fs.realpath(await fs.mkdtemp(path.join(os.tmpdir(), 'wsmig-codemod-project-')));
  for (const [relative, content] of Object.entries(files)) {
    await fs.mkdir(path.dirname(path.join(dir, relative)), { recursive: true });
    await fs.writeFile(path.join(dir, relative), content);
  }
  if (options.git ?? true) {
    const git = (...args: string[]) => execa('git', args, { cwd: dir });
    await git('init', '-q');
    await git('add', '-A');
    await git('-c', 'user.email=test@wsmig.dev', '-c', 'user.name=wsmig test', 'commit', '-q', '-m', 'initial');
  }
  return dir;
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

export const MANUAL_FILE = ['export function notes(onNote: (text: string) => void): () => void {', "  const source = new EventSource('/api/notifications');", '  source.onmessage = (event) => onNote(event.data);', '  return () => source.close();', '}', ''].join('\n');
