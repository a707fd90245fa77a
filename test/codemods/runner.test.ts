/**
 * The runner on jscodeshift's real Runner, loading the compiled transforms from dist/ (build first:
 * `npm test` does).
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCodemod } from '../../codemods/runner.js';
import { EVENT_SOURCE_FILE, MANUAL_FILE, projectPerTest, snapshot } from './git-repo.js';

const project = projectPerTest();

const PLAIN = 'export const answer = 42;\n';

describe('runCodemod', () => {
  it('transforms JS/TS/Vue sources only, never dependencies, build output or ignored files', async () => {
    const dir = await project({
      'src/follow.ts': EVENT_SOURCE_FILE,
      'src/plain.ts': PLAIN,
      'src/notes.md': 'new EventSource("/api/sync/1/events") in a Markdown file\n',
      'src/data.json': '{ "EventSource": true }\n',
      'node_modules/lib/index.js': EVENT_SOURCE_FILE,
      'dist/follow.js': EVENT_SOURCE_FILE,
      'src/generated/out.ts': EVENT_SOURCE_FILE,
      '.gitignore': 'src/generated/\n',
    });
    const summary = await runCodemod({ codemod: 'sse-to-ws', paths: ['.'], cwd: dir });
    expect(summary.changed).toEqual(['src/follow.ts']);
    expect(summary.filesConsidered).toBe(2);
    expect(summary.sitesConverted).toBe(1);
    expect(await fs.readFile(path.join(dir, 'node_modules/lib/index.js'), 'utf8')).toBe(EVENT_SOURCE_FILE);
    expect(await fs.readFile(path.join(dir, 'dist/follow.js'), 'utf8')).toBe(EVENT_SOURCE_FILE);
    expect(await fs.readFile(path.join(dir, 'src/generated/out.ts'), 'utf8')).toBe(EVENT_SOURCE_FILE);
    expect(await fs.readFile(path.join(dir, 'src/follow.ts'), 'utf8')).toContain('if (features.useNewWSSync) {');
  });

  it('honours .gitignore when a file is named before a folder', async () => {
    const dir = await project({ 'src/follow.ts': EVENT_SOURCE_FILE, 'src/generated/out.ts': EVENT_SOURCE_FILE, '.gitignore': 'src/generated/\n' });
    const summary = await runCodemod({ codemod: 'sse-to-ws', paths: ['src/follow.ts', 'src'], cwd: dir, dry: true });
    expect(summary.filesConsidered).toBe(1);
    expect(summary.changed).toEqual(['src/follow.ts']);
  });

  it('writes nothing in dry mode, and reports what it would change and leave', async () => {
    const dir = await project({ 'src/follow.ts': EVENT_SOURCE_FILE, 'src/notes.ts': MANUAL_FILE });
    await fs.writeFile(path.join(dir, 'src/dirty.ts'), PLAIN);
    const before = await snapshot(dir);
    const summary = await runCodemod({ codemod: 'sse-to-ws', paths: ['src'], cwd: dir, dry: true, captureOutput: true });
    expect(await snapshot(dir)).toEqual(before);
    expect(summary).toMatchObject({ dry: true, changed: ['src/follow.ts', 'src/notes.ts'], sitesConverted: 1, failed: [] });
    expect(summary.manual).toEqual([{ file: 'src/notes.ts', line: 2, reason: expect.stringContaining('instanceof EventSource') }]);
    expect(summary.outputs?.map((o) => o.file)).toEqual(['src/follow.ts', 'src/notes.ts']);
  });

  it('refuses uncommitted changes and folders outside git unless forced', async () => {
    const dir = await project({ 'src/follow.ts': EVENT_SOURCE_FILE });
    await fs.appendFile(path.join(dir, 'src/follow.ts'), '// edited\n');
    await expect(runCodemod({ codemod: 'sse-to-ws', paths: ['src'], cwd: dir })).rejects.toMatchObject({ code: 'CODEMOD_DIRTY_TREE', exitCode: 2 });
    await fs.writeFile(path.join(dir, 'src/new.ts'), EVENT_SOURCE_FILE);
    await expect(runCodemod({ codemod: 'sse-to-ws', paths: ['src/new.ts'], cwd: dir })).rejects.toThrow(/src\/new\.ts/);
    expect((await runCodemod({ codemod: 'sse-to-ws', paths: ['src'], cwd: dir, force: true })).changed).toEqual(['src/follow.ts', 'src/new.ts']);

    const loose = await project({ 'follow.ts': EVENT_SOURCE_FILE }, { git: false });
    await expect(runCodemod({ codemod: 'sse-to-ws', paths: ['.'], cwd: loose })).rejects.toMatchObject({ code: 'CODEMOD_NOT_GIT' });
  });

  it('parses only files with SSE words, with the same result as parsing everything', async () => {
    const files: Record<string, string> = { 'src/a/follow.ts': EVENT_SOURCE_FILE, 'src/b/notes.ts': MANUAL_FILE };
    for (let i = 0; i < 20; i++) files[`src/plain/p${i}.ts`] = PLAIN;
    const dir = await project(files);
    const checked = await runCodemod({ codemod: 'sse-to-ws', paths: ['src'], cwd: dir, dry: true });
    const everything = await runCodemod({ codemod: 'sse-to-ws', paths: ['src'], cwd: dir, dry: true, preCheck: false });
    expect(checked.filesParsed).toBe(2);
    expect(everything.filesParsed).toBe(22);
    const outcome = (s: typeof checked) => ({ changed: s.changed, unchanged: s.unchanged, manual: s.manual, sitesConverted: s.sitesConverted });
    expect(outcome(checked)).toEqual(outcome(everything));
  });

  it('goes on after a file fails and lists it with the parser message', async () => {
    const dir = await project({ 'src/broken.ts': 'const source = new EventSource(;\n', 'src/follow.ts': EVENT_SOURCE_FILE });
    const summary = await runCodemod({ codemod: 'sse-to-ws', paths: ['src'], cwd: dir });
    expect(summary.failed).toEqual([{ file: 'src/broken.ts', message: expect.stringMatching(/Unexpected token/) }]);
    expect(summary.changed).toEqual(['src/follow.ts']);
    expect(await fs.readFile(path.join(dir, 'src/broken.ts'), 'utf8')).toBe('const source = new EventSource(;\n');
  });

  it('gives the same summary in worker processes as in this process', async () => {
    const dir = await project({ 'src/follow.ts': EVENT_SOURCE_FILE, 'src/notes.ts': MANUAL_FILE, 'src/plain.ts': 'export const source = "EventSource";\n' });
    const inBand = await runCodemod({ codemod: 'sse-to-ws', paths: ['src'], cwd: dir, dry: true, runInBand: true });
    const workers = await runCodemod({ codemod: 'sse-to-ws', paths: ['src'], cwd: dir, dry: true, runInBand: false });
    expect({ ...workers, durationMs: 0 }).toEqual({ ...inBand, durationMs: 0 });
  });

  it('reads wsmig.config.json from the repository root: wrappers, and the legacy modules of remove-flag', async () => {
    const dir = await project({
      'wsmig.config.json': JSON.stringify({ codemods: { wrappers: [{ callee: 'openStream', urlArg: null, paramsArg: 0, handlersArg: 1, to: 'sync' }], legacyModules: ['server/legacy.ts'] } }),
      'app/start.ts': "import { openStream } from './stream.js';\nexport const handle = openStream({ chatId: 1 }, { onComplete: () => console.log('done') });\n",
      'server/index.ts': "import { legacyRoutes } from './legacy.js';\nexport const routes = [...legacyRoutes, 'health'];\n",
    });
    const sse = await runCodemod({ codemod: 'sse-to-ws', paths: ['.'], cwd: path.join(dir, 'app') });
    expect(sse.changed).toEqual(['app/start.ts']);
    expect(await fs.readFile(path.join(dir, 'app/start.ts'), 'utf8')).toContain("import { features } from '../config/features.js';");
    const removal = await runCodemod({ codemod: 'remove-flag', paths: ['server'], cwd: dir });
    expect(removal.changed).toEqual(['server/index.ts']);
    expect(await fs.readFile(path.join(dir, 'server/index.ts'), 'utf8')).toBe("export const routes = ['health'];\n");
  });

  it('rejects an unknown codemod, missing paths and an invalid config with usage errors', async () => {
    const dir = await project({ 'src/follow.ts': EVENT_SOURCE_FILE, 'bad.json': '{"codemods":{"wrappers":[{"callee":"x"}]}}' });
    await expect(runCodemod({ codemod: 'sse-to-sse', paths: ['src'], cwd: dir })).rejects.toMatchObject({ code: 'CODEMOD_UNKNOWN', exitCode: 2 });
    await expect(runCodemod({ codemod: 'sse-to-ws', paths: ['nope'], cwd: dir })).rejects.toMatchObject({ code: 'CODEMOD_PATH_MISSING' });
    await expect(runCodemod({ codemod: 'sse-to-ws', paths: ['src'], cwd: dir, configFile: 'bad.json' })).rejects.toThrow(/codemods\.wrappers\[0\]\.to/);
  });
});
