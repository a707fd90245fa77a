import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import transform from '../../../codemods/remove-flag/transform.js';
import { fixtureCases, fixtureConfig, markerCount, runTransform } from '../fixture-harness.js';

const config = fixtureConfig('remove-flag');
const cases = fixtureCases('remove-flag');

describe('remove-flag fixtures', () => {
  for (const fixture of cases) {
    describe(fixture.name, () => {
      const input = readFileSync(fixture.inputFile, 'utf8');
      const expected = readFileSync(fixture.outputFile, 'utf8');

      it('transforms the input into the expected output', async () => {
        const { output, record } = await runTransform({ default: transform }, fixture.inputFile, input, config);
        expect(output).toBe(expected.trim());
        if (fixture.name.startsWith('no-transform-')) expect(output).toBe(input.trim());
        expect(markerCount(output)).toBe(record?.manual.length ?? 0);
        if (!fixture.name.startsWith('manual-')) expect(output).not.toMatch(/useNewWSSync|legacy-sync/);
      });

      it('changes nothing when run again on its output (idempotent)', async () => {
        const { output, record } = await runTransform({ default: transform }, fixture.inputFile, expected, config);
        expect(output).toBe(expected.trim());
        expect(record?.sitesConverted).toBe(0);
      });
    });
  }

  it('removes only imports its own edits left unused', () => {
    const output = readFileSync(cases.find((c) => c.name === 'no-transform-other-flags')!.outputFile, 'utf8');
    expect(output).toContain("import { unusedHelper } from './helpers.js';");
  });
});
