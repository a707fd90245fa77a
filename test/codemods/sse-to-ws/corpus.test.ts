/**
 * `wsmig codemod run sse-to-ws` on a corpus written the way public frontends consume SSE
 * (codemods/__testfixtures__/sse-to-ws-corpus: React, Vue, Svelte, Angular, a worker, a Node script;
 * tabs, 2 and 4 spaces, double quotes, no semicolons), through the real CLI in a temporary git
 * repository: at least 9 sites in 10 converted and the rest marked with a reason, every written
 * file parses and keeps its style, the TypeScript compiles against wsmig's own declarations, a
 * second run changes nothing, and files without SSE are left byte for byte.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceBlocks } from '../../../codemods/lib/source-blocks.js';
import { REPO_ROOT, runCli } from '../../helpers/cli.js';
import { removeDir } from '../../helpers/temp-dir.js';
import { FIXTURES_ROOT } from '../fixture-harness.js';
import { commitAll, makeProject } from '../git-repo.js';

const CORPUS = path.join(FIXTURES_ROOT, 'sse-to-ws-corpus');
const TSC = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
/** Packages the corpus imports that wsmig's checkout has (the others are declared in the corpus's types/). */
const LINKED_PACKAGES = ['vue', 'eventsource-parser', '@microsoft/fetch-event-source', '@types/node'];
const FEATURES = "export const features = {\n  useNewWSSync: import.meta.env.VITE_USE_NEW_WS_SYNC === 'true',\n};\n";
const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    lib: ['ES2022', 'DOM', 'DOM.Iterable'],
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    jsx: 'preserve',
    esModuleInterop: true,
    experimentalDecorators: true,
    types: ['node'],
    // The `eventsource` polyfill's 2.x API (with headers); wsmig's checkout has 4.x.
    paths: { eventsource: ['./types/eventsource.d.ts'] },
  },
  include: ['src/**/*.ts', 'src/**/*.tsx', 'types/*.d.ts', 'config/*.ts'],
};

/** The corpus files without any SSE: never rewritten. */
const WITHOUT_SSE = ['src/api/http.ts', 'src/api/read-events.ts', 'src/components/Button.tsx', 'src/lib/connection-state.ts', 'src/lib/urls.ts', 'src/utils/format.ts'];
/** The sites a swap would change, each with the reason it is marked. */
const EXPECTED_MANUAL = [
  { file: 'src/lib/sse-factory.ts', line: 7, reason: expect.stringContaining('constructor reference') },
];

interface Summary {
  changed: string[];
  failed: unknown[];
  sitesConverted: number;
  manual: { file: string; line: number; reason: string }[];
}

let dir: string;
const originals = new Map<string, string>();

async function corpusFiles(root: string): Promise<string[]> {
  return (await fs.readdir(root, { recursive: true, withFileTypes: true })).filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

async function typecheck(): Promise<string> {
  const result = await execa(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: dir, reject: false });
  return `${result.stdout}${result.stderr}`;
}

/** The lines of `after` that `before` does not have (as a multiset). */
function addedLines(before: string, after: string): string[] {
  const left = new Map<string, number>();
  for (const line of before.split('\n')) left.set(line, (left.get(line) ?? 0) + 1);
  return after.split('\n').filter((line) => {
    const count = left.get(line) ?? 0;
    if (count > 0) left.set(line, count - 1);
    return count === 0;
  });
}

beforeAll(async () => {
  const files: Record<string, string> = { 'config/features.ts': FEATURES, 'tsconfig.json': `${JSON.stringify(TSCONFIG, null, 2)}\n`, '.gitignore': 'node_modules\n' };
  for (const relative of await corpusFiles(CORPUS)) {
    if (relative === 'README.md') continue;
    files[relative] = await fs.readFile(path.join(CORPUS, relative), 'utf8');
    if (relative.startsWith('src/')) originals.set(relative, files[relative]);
  }
  dir = await makeProject(files);
  await fs.mkdir(path.join(dir, 'node_modules/@types'), { recursive: true });
  await fs.mkdir(path.join(dir, 'node_modules/@microsoft'), { recursive: true });
  await fs.symlink(REPO_ROOT, path.join(dir, 'node_modules/wsmig'), 'dir');
  for (const name of LINKED_PACKAGES) await fs.symlink(path.join(REPO_ROOT, 'node_modules', name), path.join(dir, 'node_modules', name), 'dir');
}, 60_000);

afterAll(async () => {
  await removeDir(dir);
});

describe('sse-to-ws on a corpus of real-looking SSE code', () => {
  it('type-checks as written (the corpus and its declarations are sound)', async () => {
    expect(await typecheck()).toBe('');
  }, 60_000);

  it('--dry --json: converts at least 9 sites in 10, marks the rest with a reason, writes nothing', async () => {
    const result = await runCli(['codemod', 'run', 'sse-to-ws', 'src', '--dry', '--json'], { cwd: dir });
    expect(result.exitCode).toBe(3);
    const summary = JSON.parse(result.stdout) as Summary;
    expect(summary.failed).toEqual([]);
    expect(summary.manual).toEqual(EXPECTED_MANUAL);
    expect(summary.sitesConverted).toBe(26);
    expect(summary.sitesConverted / (summary.sitesConverted + summary.manual.length)).toBeGreaterThanOrEqual(0.9);
    // No SSE site passes silently: every file with SSE is rewritten or marked.
    const withSse = [...originals.keys()].filter((file) => !WITHOUT_SSE.includes(file)).sort();
    expect(summary.changed.sort()).toEqual(withSse);
    for (const [file, text] of originals) expect(await fs.readFile(path.join(dir, file), 'utf8'), file).toBe(text);
  }, 60_000);

  it('rewrites the files in their own style; they parse and the TypeScript compiles', async () => {
    const result = await runCli(['codemod', 'run', 'sse-to-ws', 'src', '--json'], { cwd: dir });
    expect(result.exitCode).toBe(3);
    for (const file of WITHOUT_SSE) expect(await fs.readFile(path.join(dir, file), 'utf8'), file).toBe(originals.get(file));
    const { default: jscodeshift } = await import('jscodeshift');
    for (const [file, before] of originals) {
      const after = await fs.readFile(path.join(dir, file), 'utf8');
      for (const block of sourceBlocks(file, after)) expect(() => jscodeshift.withParser(block.parser)(block.code), file).not.toThrow();
      const added = addedLines(before, after);
      // The style of the code itself (a component's markup has its own).
      const code = sourceBlocks(file, before).map((block) => block.code).join('\n');
      const indents = code.match(/^[ \t]/gm) ?? [];
      const usesTabs = indents.filter((c) => c === '\t').length > indents.length / 2;
      expect(added.filter((line) => (usesTabs ? /^ / : /^\t/).test(line)), `${file}: indentation`).toEqual([]);
      if (!/;\r?$/m.test(code)) expect(added, `${file}: no semicolons`).not.toContainEqual(expect.stringMatching(/;\r?$/));
      const quote = (code.match(/"[^"\n]*"/g)?.length ?? 0) > (code.match(/'[^'\n]*'/g)?.length ?? 0) ? '"' : "'";
      for (const line of added.filter((l) => /^\s*import /.test(l))) expect(line, `${file}: quotes`).toContain(`from ${quote}`);
    }
    expect(await typecheck()).toBe('');
  }, 90_000);

  it('changes nothing when run again', async () => {
    await commitAll(dir, 'sse-to-ws');
    const before = new Map(await Promise.all([...originals.keys()].map(async (file) => [file, await fs.readFile(path.join(dir, file), 'utf8')] as const)));
    const result = await runCli(['codemod', 'run', 'sse-to-ws', 'src', '--json'], { cwd: dir });
    const summary = JSON.parse(result.stdout) as Summary;
    // Still reported, one line lower: the marker sits above its statement now.
    expect(summary).toMatchObject({ changed: [], sitesConverted: 0, manual: EXPECTED_MANUAL.map((site) => ({ ...site, line: site.line + 1 })) });
    for (const [file, text] of before) expect(await fs.readFile(path.join(dir, file), 'utf8'), file).toBe(text);
  }, 60_000);
});
