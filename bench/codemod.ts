/**
 * `npm run bench:codemod`: files per second of `sse-to-ws` on a generated 2,000-file project where 5%
 * of the files use SSE (target: at least 2,000 files/s on 2 cores, issue 8), against a baseline measured in the
 * same run: the same transform with the text pre-check turned off, so every file is parsed.
 * Both runs are dry (nothing is written), and must report the same result.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCodemod, type CodemodSummary } from '../codemods/runner.js';

const FILES = 2_000;
const SSE_SHARE = 0.05;
const TARGET_FILES_PER_SECOND = 2_000;
const ROUNDS = 2;

/** A small deterministic random source (mulberry32), so every run generates the same project. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function plainModule(index: number, random: () => number): string {
  const helpers = 3 + Math.floor(random() * 5);
  const lines = [`import { formatDate, clamp } from '../lib/format';`, `import type { Chat, Member } from '../lib/types';`, ''];
  lines.push(`export interface Row${index} {`, '  id: string;', '  title: string;', '  members: Member[];', '  updatedAt: number;', '}', '');
  for (let h = 0; h < helpers; h++) {
    lines.push(
      `/** Sorts and labels the rows of page ${h}. */`,
      `export function prepare${index}_${h}(chats: readonly Chat[], limit = ${10 + h}): Row${index}[] {`,
      '  const rows: Row' + index + '[] = [];',
      '  for (const chat of chats) {',
      '    if (chat.archived) continue;',
      '    const members = chat.members.filter((member) => member.active);',
      `    rows.push({ id: String(chat.id), title: chat.title.trim() || 'Untitled', members, updatedAt: chat.updatedAt });`,
      '  }',
      '  rows.sort((a, b) => b.updatedAt - a.updatedAt || a.title.localeCompare(b.title));',
      `  return rows.slice(0, clamp(limit, 1, ${50 + h})).map((row) => ({ ...row, title: \`\${row.title} (\${formatDate(row.updatedAt)})\` }));`,
      '}',
      '',
    );
  }
  lines.push(`export class Cache${index} {`, '  readonly #entries = new Map<string, Row' + index + '>();', '  get(id: string) {', '    return this.#entries.get(id);', '  }', '  set(row: Row' + index + ') {', '    this.#entries.set(row.id, row);', '  }', '}', '');
  return lines.join('\n');
}

function plainComponent(index: number): string {
  return [
    "import { useMemo, useState } from 'react';",
    "import type { Chat } from '../lib/types';",
    '',
    `export function ChatList${index}({ chats, onOpen }: { chats: Chat[]; onOpen: (id: number) => void }) {`,
    "  const [filter, setFilter] = useState('');",
    '  const visible = useMemo(() => chats.filter((chat) => chat.title.toLowerCase().includes(filter.toLowerCase())), [chats, filter]);',
    '  return (',
    '    <section className="chat-list">',
    '      <input value={filter} onChange={(event) => setFilter(event.target.value)} placeholder="Filter" />',
    '      <ul>',
    '        {visible.map((chat) => (',
    '          <li key={chat.id} onClick={() => onOpen(chat.id)}>',
    '            {chat.title} <small>{chat.members.length}</small>',
    '          </li>',
    '        ))}',
    '      </ul>',
    '    </section>',
    '  );',
    '}',
    '',
  ].join('\n');
}

const SSE_TEMPLATES: ((index: number) => string)[] = [
  (index) =>
    [
      "import { useEffect, useState } from 'react';",
      '',
      `export function useSync${index}(chatId: number) {`,
      '  const [percent, setPercent] = useState(0);',
      '  useEffect(() => {',
      '    const source = new EventSource(`/api/sync/${chatId}/events?start=1`);',
      "    source.addEventListener('progress', (event) => setPercent(JSON.parse(event.data).progress));",
      "    source.addEventListener('complete', () => source.close());",
      '    return () => source.close();',
      '  }, [chatId]);',
      '  return percent;',
      '}',
      '',
    ].join('\n'),
  (index) =>
    [
      "import { createConnection } from '../lib/sse-connection';",
      '',
      `export function start${index}(chatId: number, show: (percent: number) => void) {`,
      "  const connection = createConnection('/commands/sync', { chatId }, { onProgress: (event) => show(event.progress) });",
      '  return () => connection.close();',
      '}',
      '',
    ].join('\n'),
  (index) =>
    [
      `export async function stream${index}(chatId: number, onProgress: (percent: number) => void): Promise<void> {`,
      "  const response = await fetch('/commands/sync', { method: 'POST', body: JSON.stringify({ chatId }) });",
      '  const reader = response.body!.getReader();',
      '  const decoder = new TextDecoder();',
      '  for (;;) {',
      '    const { done, value } = await reader.read();',
      '    if (done) break;',
      "    const [eventLine = '', dataLine = ''] = decoder.decode(value).split('\\n');",
      "    if (eventLine === 'event: progress') onProgress(JSON.parse(dataLine.slice(6)).progress);",
      '  }',
      '}',
      '',
    ].join('\n'),
  (index) =>
    [
      `export function notifications${index}(onNote: (text: string) => void): () => void {`,
      "  const source = new EventSource('/api/notifications/stream');",
      '  source.onmessage = (event) => onNote(event.data);',
      '  return () => source.close();',
      '}',
      '',
    ].join('\n'),
];

async function generateProject(dir: string): Promise<void> {
  const random = seededRandom(20_251_124);
  await fs.writeFile(path.join(dir, 'wsmig.config.json'), JSON.stringify({ codemods: { wrappers: [{ callee: 'createConnection', urlPattern: '/commands/sync', to: 'sync' }] } }));
  const sseEvery = Math.round(1 / SSE_SHARE);
  for (let i = 0; i < FILES; i++) {
    const folder = path.join(dir, 'src', `area${i % 40}`);
    await fs.mkdir(folder, { recursive: true });
    if (i % sseEvery === 0) {
      const template = SSE_TEMPLATES[(i / sseEvery) % SSE_TEMPLATES.length] as (index: number) => string;
      await fs.writeFile(path.join(folder, `sync${i}.ts`), template(i));
    } else if (i % 3 === 0) {
      await fs.writeFile(path.join(folder, `ChatList${i}.tsx`), plainComponent(i));
    } else {
      await fs.writeFile(path.join(folder, `rows${i}.ts`), plainModule(i, random));
    }
  }
}

async function timedRun(dir: string, preCheck: boolean): Promise<{ seconds: number; summary: CodemodSummary }> {
  const started = performance.now();
  const summary = await runCodemod({ codemod: 'sse-to-ws', paths: ['src'], cwd: dir, dry: true, preCheck });
  return { seconds: (performance.now() - started) / 1000, summary };
}

function comparable(summary: CodemodSummary): string {
  return JSON.stringify({ changed: summary.changed, manual: summary.manual, failed: summary.failed, sitesConverted: summary.sitesConverted, considered: summary.filesConsidered });
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'wsmig-bench-codemod-'));
  try {
    await generateProject(dir);
    process.stdout.write(`sse-to-ws on ${FILES} generated files (${SSE_SHARE * 100}% with SSE), dry runs, ${os.availableParallelism()} CPUs, ${ROUNDS} rounds\n`);
    await runCodemod({ codemod: 'sse-to-ws', paths: ['src/area0'], cwd: dir, dry: true });
    const best = { checked: Infinity, baseline: Infinity };
    let checkedSummary: CodemodSummary | undefined;
    let baselineSummary: CodemodSummary | undefined;
    for (let round = 1; round <= ROUNDS; round++) {
      const baseline = await timedRun(dir, false);
      const checked = await timedRun(dir, true);
      best.baseline = Math.min(best.baseline, baseline.seconds);
      best.checked = Math.min(best.checked, checked.seconds);
      baselineSummary = baseline.summary;
      checkedSummary = checked.summary;
      process.stdout.write(`  round ${round}: with pre-check ${checked.seconds.toFixed(2)} s (${checked.summary.filesParsed} parsed), without ${baseline.seconds.toFixed(2)} s (${baseline.summary.filesParsed} parsed)\n`);
    }
    const checkedRate = FILES / best.checked;
    const baselineRate = FILES / best.baseline;
    const same = checkedSummary && baselineSummary && comparable(checkedSummary) === comparable(baselineSummary);
    process.stdout.write(`with the text pre-check:    ${checkedRate.toFixed(0)} files/s (best of ${ROUNDS})\n`);
    process.stdout.write(`baseline, every file parsed: ${baselineRate.toFixed(0)} files/s (best of ${ROUNDS})\n`);
    process.stdout.write(`ratio: ${(checkedRate / baselineRate).toFixed(1)}x the baseline\n`);
    process.stdout.write(`same result both ways: ${same ? 'yes' : 'NO'} (${checkedSummary?.changed.length} files to change, ${checkedSummary?.sitesConverted} sites converted, ${checkedSummary?.manual.length} manual)\n`);
    process.stdout.write(`${checkedRate >= TARGET_FILES_PER_SECOND ? 'PASS' : 'MISS'} target >= ${TARGET_FILES_PER_SECOND} files/s with the pre-check\n`);
    if (!same) process.exitCode = 1;
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

await main();
