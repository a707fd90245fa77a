import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import transform from '../../../codemods/sse-to-ws/transform.js';
import { describeFixtureCases, fixtureCases, fixtureConfig, runTransform } from '../fixture-harness.js';

const config = fixtureConfig('sse-to-ws');
const cases = fixtureCases('sse-to-ws');

describe('sse-to-ws fixtures', () => {
  it('has a fixture for every pattern, and negative ones', () => {
    const names = cases.map((c) => c.name);
    const patterns = ['event-source-react-effect', 'event-source-vue-composable', 'event-source-vue-sfc', 'fetch-event-source', 'fetch-reader-hand-parser', 'eventsource-parser', 'wrapper-calls'];
    const swaps = ['event-source-dynamic-url', 'event-source-global-objects', 'event-source-polyfill-headers', 'event-source-tabs-no-semicolons', 'fetch-event-source-chat', 'fetch-reader-llm-stream', 'fetch-create-parser', 'fetch-eventsource-parser-stream', 'fetch-then-reader', 'vueuse', 'svelte-store', 'wrapper-adapters'];
    for (const pattern of [...patterns, ...swaps]) {
      expect(names).toContain(pattern);
    }
    expect(names.filter((name) => name.startsWith('no-transform-')).length).toBeGreaterThanOrEqual(3);
  });

  describeFixtureCases({ default: transform }, cases, config, (fixture, { record }) => {
    if (fixture.name.startsWith('manual-')) expect(record?.manual.length).toBeGreaterThan(0);
    else expect(record?.manual).toEqual([]);
  });
});

describe('sse-to-ws reporting', () => {
  it('counts a site under wsmig-codemod-ignore as ignored, not as work left', async () => {
    const fixture = cases.find((c) => c.name === 'no-transform-ignored');
    const { record } = await runTransform({ default: transform }, fixture!.inputFile, readFileSync(fixture!.inputFile, 'utf8'), config);
    expect(record).toMatchObject({ outcome: 'unchanged', sitesIgnored: 1, manual: [] });
  });

  it('reports the line of each site left alone, with a reason naming what blocks it', async () => {
    const fixture = cases.find((c) => c.name === 'manual-event-source-values');
    const { record } = await runTransform({ default: transform }, fixture!.inputFile, readFileSync(fixture!.inputFile, 'utf8'), config);
    expect(record?.manual).toEqual([
      { line: 3, reason: expect.stringContaining('subclassed') },
      { line: 9, reason: expect.stringContaining('constructor reference') },
      { line: 12, reason: expect.stringContaining('instanceof EventSource') },
    ]);
  });

  it('uses the configured event names and flag, and swaps a stream with an unmapped event for the adapter', async () => {
    const custom = fixtureConfig('sse-to-ws', { events: { tick: 'sync:progress', done: 'sync:complete' }, flagKey: 'wsSync', featuresExport: 'flags' });
    const source = ["export function f(chatId: number, show: (n: number) => void) {", "  const s = new EventSource(`/api/sync/${chatId}/events`);", "  s.addEventListener('tick', (e) => show(JSON.parse(e.data).progress));", "  s.addEventListener('done', () => s.close());", "  return () => s.close();", "}", ''].join('\n');
    const { output } = await runTransform({ default: transform }, cases[0]!.inputFile.replace(/[^/]+$/, 'custom.ts'), source, custom);
    expect(output).toContain("import { flags } from './config/features.js';");
    expect(output).toContain('if (flags.wsSync) {');
    expect(output).toContain('onProgress: (payload: any) => show(payload.progress)');
    // An event without a WebSocket equivalent keeps the stream out of the deeper rewrite: it is swapped for the adapter.
    const progressOnly = fixtureConfig('sse-to-ws', { events: { tick: 'sync:progress' } });
    const swapped = await runTransform({ default: transform }, cases[0]!.inputFile.replace(/[^/]+$/, 'custom.ts'), source, progressOnly);
    expect(swapped.record).toMatchObject({ sitesConverted: 1, manual: [] });
    expect(swapped.output).toContain('const s = features.useNewWSSync\n    ? new WsEventSource(`/api/sync/${chatId}/events`)\n    : new EventSource(`/api/sync/${chatId}/events`);');
  });

  it('swaps a sync stream whose fetch options the deeper rewrite cannot read (a computed key) for wsFetch, instead of guessing', async () => {
    const fixture = cases.find((c) => c.name === 'fetch-reader-hand-parser')!;
    const input = readFileSync(fixture.inputFile, 'utf8');
    const source = `const mode = 'keepalive';\n${input.replace('body: JSON.stringify({ chatId }),', 'body: JSON.stringify({ chatId }),\n    [mode]: true,')}`;
    expect(source).toContain('[mode]: true');
    const { record, output } = await runTransform({ default: transform }, fixture.inputFile, source, config);
    expect(record).toMatchObject({ sitesConverted: 1, manual: [] });
    expect(output).toContain('await (features.useNewWSSync ? wsFetch : fetch)(');
    expect(output).not.toContain('runSync');
  });

  it('reports a file it cannot parse as failed, with the parser message', async () => {
    await expect(runTransform({ default: transform }, cases[0]!.inputFile.replace(/[^/]+$/, 'broken.ts'), 'const x = new EventSource(;\n', config)).rejects.toThrow();
  });
});
