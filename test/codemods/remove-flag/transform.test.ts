import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import transform from '../../../codemods/remove-flag/transform.js';
import { describeFixtureCases, fixtureCases, fixtureConfig, runTransform } from '../fixture-harness.js';

const config = fixtureConfig('remove-flag');
const cases = fixtureCases('remove-flag');

describe('remove-flag fixtures', () => {
  describeFixtureCases({ default: transform }, cases, config, (fixture, { output }) => {
    if (!fixture.name.startsWith('manual-')) expect(output).not.toMatch(/useNewWSSync|legacy-sync/);
  });

  it('removes only imports its own edits left unused', () => {
    const output = readFileSync(cases.find((c) => c.name === 'no-transform-other-flags')!.outputFile, 'utf8');
    expect(output).toContain("import { unusedHelper } from './helpers.js';");
  });

  it('keeps an import the Vue template still uses, "$" in its name included', async () => {
    const source = [
      '<template>',
      '  <p>{{ $fmt(1) }}</p>',
      '</template>',
      '<script setup lang="ts">',
      "import { features } from './config/features.js';",
      "import { $fmt } from './fmt.js';",
      "const label = features.useNewWSSync ? 'ws' : $fmt(0);",
      '</script>',
      '',
    ].join('\n');
    const { output, record } = await runTransform({ default: transform }, cases[0]!.inputFile.replace(/[^/]+$/, 'TemplateUse.vue'), source, config);
    expect(record?.sitesConverted).toBe(1);
    expect(output).toContain("const label = 'ws';");
    expect(output).toContain("import { $fmt } from './fmt.js';");
    expect(output).not.toContain('features');
  });
});
