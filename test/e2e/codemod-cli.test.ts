/**
 * `wsmig codemod` as users run it (the real CLI, from dist/), and the transforms under the plain
 * jscodeshift CLI.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { commitAll, EVENT_SOURCE_FILE, MANUAL_FILE, projectPerTest, snapshot } from '../codemods/git-repo.js';

const project = projectPerTest();
const JSCODESHIFT = path.join(REPO_ROOT, 'node_modules/jscodeshift/bin/jscodeshift.js');

describe('wsmig codemod', () => {
  it('lists the codemods', async () => {
    const result = await runCli(['codemod', 'list', '--json']);
    expect(result.exitCode).toBe(0);
    expect((JSON.parse(result.stdout) as { name: string }[]).map((c) => c.name)).toEqual(['sse-to-ws', 'remove-flag']);
  });

  it('refuses a dirty tree with exit 2 and changes nothing', async () => {
    const dir = await project({ 'src/follow.ts': EVENT_SOURCE_FILE });
    await fs.appendFile(path.join(dir, 'src/follow.ts'), '// work in progress\n');
    const before = await snapshot(dir);
    const result = await runCli(['codemod', 'run', 'sse-to-ws', 'src'], { cwd: dir });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('uncommitted changes');
    expect(result.stderr).toContain('src/follow.ts');
    expect(await snapshot(dir)).toEqual(before);
  });

  it('--dry --json writes nothing and prints the summary; exit 3 while manual work is left', async () => {
    const dir = await project({ 'src/follow.ts': EVENT_SOURCE_FILE, 'src/notes.ts': MANUAL_FILE });
    const before = await snapshot(dir);
    const result = await runCli(['codemod', 'run', 'sse-to-ws', 'src', '--dry', '--json'], { cwd: dir });
    expect(result.exitCode).toBe(3);
    expect(await snapshot(dir)).toEqual(before);
    const summary = JSON.parse(result.stdout) as { dry: boolean; changed: string[]; sitesConverted: number; manual: { file: string; line: number }[] };
    expect(summary).toMatchObject({ dry: true, changed: ['src/follow.ts', 'src/notes.ts'], sitesConverted: 1, manual: [{ file: 'src/notes.ts', line: 2 }] });
  });

  it('rewrites the files, prints a readable summary, and a second run changes nothing', async () => {
    const dir = await project({ 'src/follow.ts': EVENT_SOURCE_FILE });
    const first = await runCli(['codemod', 'run', 'sse-to-ws', 'src'], { cwd: dir });
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toContain('changed: 1');
    expect(first.stdout).toContain('src/follow.ts');
    const rewritten = await fs.readFile(path.join(dir, 'src/follow.ts'), 'utf8');
    expect(rewritten).toContain('runSync(getSharedSyncManager(), { chatId }');
    await commitAll(dir, 'codemod');
    const second = await runCli(['codemod', 'run', 'sse-to-ws', 'src', '--json'], { cwd: dir });
    expect(second.exitCode).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ changed: [], sitesConverted: 0 });
    expect(await fs.readFile(path.join(dir, 'src/follow.ts'), 'utf8')).toBe(rewritten);
  });

  it('--print shows the new content without writing it in a dry run', async () => {
    const dir = await project({ 'src/follow.ts': EVENT_SOURCE_FILE });
    const result = await runCli(['codemod', 'run', 'sse-to-ws', 'src', '--dry', '--print'], { cwd: dir });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('--- src/follow.ts (would become)');
    expect(result.stdout).toContain('if (features.useNewWSSync) {');
    expect(await fs.readFile(path.join(dir, 'src/follow.ts'), 'utf8')).toBe(EVENT_SOURCE_FILE);
  });

  it('exits 1 when a file fails, and keeps stdout JSON-only', async () => {
    const dir = await project({ 'src/broken.ts': 'const s = new EventSource(;\n', 'src/follow.ts': EVENT_SOURCE_FILE });
    const result = await runCli(['codemod', 'run', 'sse-to-ws', 'src', '--json'], { cwd: dir });
    expect(result.exitCode).toBe(1);
    const summary = JSON.parse(result.stdout) as { failed: { file: string }[]; changed: string[] };
    expect(summary.failed.map((f) => f.file)).toEqual(['src/broken.ts']);
    expect(summary.changed).toEqual(['src/follow.ts']);
  });

  it('exits 2 for an unknown codemod, a missing path or an invalid config, saying what is wrong', async () => {
    const dir = await project({ 'src/follow.ts': EVENT_SOURCE_FILE, 'wsmig.config.json': '{"codemods":{"flagKey":"not a key"}}' });
    const unknown = await runCli(['codemod', 'run', 'sse-to-wss', 'src'], { cwd: dir });
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('sse-to-ws, remove-flag');
    const missing = await runCli(['codemod', 'run', 'sse-to-ws', 'srcs', '--dry'], { cwd: dir });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain('do not exist');
    const invalid = await runCli(['codemod', 'run', 'sse-to-ws', 'src', '--dry'], { cwd: dir });
    expect(invalid.exitCode).toBe(2);
    expect(invalid.stderr).toContain('codemods.flagKey: must be an identifier');
    const usage = await runCli(['codemod', 'run', 'sse-to-ws'], { cwd: dir });
    expect(usage.exitCode).toBe(2);
  });
});

// jscodeshift compiles the TypeScript transform and what it imports with Babel at every start (in each
// worker): on a busy 2-core machine that alone can pass vitest's default 30 s.
describe('the transforms under the plain jscodeshift CLI', { timeout: 120_000 }, () => {
  it('npx jscodeshift -t codemods/sse-to-ws.ts rewrites a file', async () => {
    const dir = await project({ 'follow.ts': EVENT_SOURCE_FILE });
    const result = await execa(process.execPath, [JSCODESHIFT, '-t', path.join(REPO_ROOT, 'codemods/sse-to-ws.ts'), 'follow.ts', '--extensions=ts'], { cwd: dir, reject: false });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('1 ok');
    const rewritten = await fs.readFile(path.join(dir, 'follow.ts'), 'utf8');
    expect(rewritten).toContain("import { features } from './config/features.js';");
    expect(rewritten).toContain('runSync(getSharedSyncManager(), { chatId }');
  });

  it('reports manual sites as jscodeshift report lines', async () => {
    const dir = await project({ 'notes.ts': MANUAL_FILE });
    const result = await execa(process.execPath, [JSCODESHIFT, '-t', path.join(REPO_ROOT, 'codemods/sse-to-ws.ts'), 'notes.ts', '--dry', '--run-in-band'], { cwd: dir, reject: false });
    expect(result.stdout).toMatch(/notes\.ts line 2: `instanceof EventSource` is false for a WsEventSource/);
  });
});
