import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import transform from '../../../codemods/sse-to-ws/transform.js';
import { fixtureCases, fixtureConfig, markerCount, runTransform } from '../fixture-harness.js';

const config = fixtureConfig('sse-to-ws');
const cases = fixtureCases('sse-to-ws');

describe('sse-to-ws fixtures', () => {
  it('has a fixture for every pattern, and negative ones', () => {
    const names = cases.map((c) => c.name);
    for (const pattern of ['event-source-react-effect', 'event-source-vue-composable', 'event-source-vue-sfc', 'fetch-event-source', 'fetch-reader-hand-parser', 'eventsource-parser', 'wrapper-calls']) {
      expect(names).toContain(pattern);
    }
    expect(names.filter((name) => name.startsWith('no-transform-')).length).toBeGreaterThanOrEqual(3);
  });

  for (const fixture of cases) {
    describe(fixture.name, () => {
      const input = readFileSync(fixture.inputFile, 'utf8');
      const expected = readFileSync(fixture.outputFile, 'utf8');

      it('transforms the input into the expected output', async () => {
        const { output, record } = await runTransform({ default: transform }, fixture.inputFile, input, config);
        expect(output).toBe(expected.trim());
        if (fixture.name.startsWith('no-transform-')) expect(output).toBe(input.trim());
        // Exactly one marker per site reported for manual work, and every report has its marker.
        expect(markerCount(output)).toBe(record?.manual.length ?? 0);
        if (fixture.name.startsWith('manual-')) expect(record?.manual.length).toBeGreaterThan(0);
        else expect(record?.manual).toEqual([]);
      });

      it('changes nothing when run again on its output (idempotent)', async () => {
        const { output, record } = await runTransform({ default: transform }, fixture.inputFile, expected, config);
        expect(output).toBe(expected.trim());
        expect(record?.sitesConverted).toBe(0);
      });
    });
  }
});

describe('sse-to-ws reporting', () => {
  it('counts a site under wsmig-codemod-ignore as ignored, not as work left', async () => {
    const fixture = cases.find((c) => c.name === 'no-transform-ignored');
    const { record } = await runTransform({ default: transform }, fixture!.inputFile, readFileSync(fixture!.inputFile, 'utf8'), config);
    expect(record).toMatchObject({ outcome: 'unchanged', sitesIgnored: 1, manual: [] });
  });

  it('reports the line of each site left alone, with a reason naming what blocks it', async () => {
    const fixture = cases.find((c) => c.name === 'manual-onmessage-and-other-endpoint');
    const { record } = await runTransform({ default: transform }, fixture!.inputFile, readFileSync(fixture!.inputFile, 'utf8'), config);
    expect(record?.manual).toEqual([
      { line: 2, reason: expect.stringContaining('"/api/notifications/stream"') },
      { line: 8, reason: expect.stringContaining('onmessage') },
    ]);
  });

  it('uses the configured event names and flag, and leaves unmapped events for a person', async () => {
    const custom = fixtureConfig('sse-to-ws', { events: { tick: 'sync:progress', done: 'sync:complete' }, flagKey: 'wsSync', featuresExport: 'flags' });
    const source = ["export function f(chatId: number, show: (n: number) => void) {", "  const s = new EventSource(`/api/sync/${chatId}/events`);", "  s.addEventListener('tick', (e) => show(JSON.parse(e.data).progress));", "  s.addEventListener('done', () => s.close());", "  return () => s.close();", "}", ''].join('\n');
    const { output } = await runTransform({ default: transform }, cases[0]!.inputFile.replace(/[^/]+$/, 'custom.ts'), source, custom);
    expect(output).toContain("import { flags } from './config/features.js';");
    expect(output).toContain('if (flags.wsSync) {');
    expect(output).toContain('onProgress: (payload: any) => show(payload.progress)');
    const progressOnly = fixtureConfig('sse-to-ws', { events: { tick: 'sync:progress' } });
    const manual = await runTransform({ default: transform }, cases[0]!.inputFile.replace(/[^/]+$/, 'custom.ts'), source, progressOnly);
    expect(manual.record?.manual).toEqual([{ line: 2, reason: 'the "done" event has no WebSocket equivalent in codemods.events' }]);
  });

  it('reports a file it cannot parse as failed, with the parser message', async () => {
    await expect(runTransform({ default: transform }, cases[0]!.inputFile.replace(/[^/]+$/, 'broken.ts'), 'const x = new EventSource(;\n', config)).rejects.toThrow();
  });
});
