/**
 * Runs a transform over its `codemods/__testfixtures__/<name>/<case>.input.<ext>` / `.output.<ext>`
 * pairs with the runner's own `applyTransform`; the transform reports through the side channel the
 * runner uses (a JSON-lines file), read back here.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import type { Transform } from 'jscodeshift';
import { describe, expect, it } from 'vitest';
import { codemodsConfigSchema, type CodemodsConfigInput, type ResolvedCodemodsConfig } from '../../codemods/config.js';
import { readFileRecords, type FileRecord } from '../../codemods/lib/report-channel.js';
import { applyTransform } from '../../codemods/runner/transform-files.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';


export const FIXTURES_ROOT = path.join(REPO_ROOT, 'codemods/__testfixtures__');

/** The configuration every fixture runs with: the example app's wrapper, one wrapper per adapter, a legacy module next to the fixtures. */
export function fixtureConfig(transform: string, overrides: CodemodsConfigInput = {}): ResolvedCodemodsConfig {
  const section = codemodsConfigSchema.parse({
    wrappers: [
      { callee: 'createConnection', urlPattern: '/commands/sync', to: 'sync' },
      { callee: 'openStream', to: 'event-source' },
      { callee: 'api.streamChat', to: 'fetch' },
      { callee: 'streamCompletion', to: 'fetch-event-source' },
    ],
    legacyModules: ['legacy-sync.ts'],
    ...overrides,
  });
  return { ...section, root: path.join(FIXTURES_ROOT, transform), configFile: undefined };
}

export interface FixtureCase {
  name: string;
  inputFile: string;
  outputFile: string;
}

/** Every input/output pair of a transform's fixtures. */
export function fixtureCases(transform: string): FixtureCase[] {
  const dir = path.join(FIXTURES_ROOT, transform);
  return readdirSync(dir)
    .filter((file) => file.includes('.input.'))
    .sort()
    .map((file) => ({ name: file.slice(0, file.indexOf('.input.')), inputFile: path.join(dir, file), outputFile: path.join(dir, file.replace('.input.', '.output.')) }));
}

export interface TransformRun {
  /** The transformed source, as testUtils returns it (trimmed; '' when the transform skipped the file). */
  output: string;
  record: FileRecord | undefined;
}

/** Applies the transform to `source` as if it were the file `file`. */
export async function runTransform(transform: { default: Transform }, file: string, source: string, config: ResolvedCodemodsConfig): Promise<TransformRun> {
  const dir = await makeTempDir('wsmig-fixture-');
  const reportFile = path.join(dir, 'records.ndjson');
  try {
    // As jscodeshift's own test helper: the output trimmed, '' when the transform declined the file.
    const output = ((await applyTransform(transform.default, { path: file, source }, { codemodConfig: config, reportFile })) ?? '').trim();
    const records = await readFileRecords(reportFile);
    return { output, record: records[0] };
  } finally {
    await removeDir(dir);
  }
}

/** How many `wsmig-codemod:` markers a source holds. */
export function markerCount(source: string): number {
  return source.match(/\/\* wsmig-codemod: /g)?.length ?? 0;
}

/**
 * One `describe` per fixture case of `transform`: the input becomes the expected output (a
 * `no-transform-*` case is left as it was), with exactly one marker per site reported for manual
 * work; and the transform run on its own output changes nothing (idempotent). `checkOutput` adds the
 * transform's own expectations on the first run.
 */
export function describeFixtureCases(transform: { default: Transform }, cases: readonly FixtureCase[], config: ResolvedCodemodsConfig, checkOutput: (fixture: FixtureCase, run: TransformRun) => void): void {
  for (const fixture of cases) {
    describe(fixture.name, () => {
      const input = readFileSync(fixture.inputFile, 'utf8');
      const expected = readFileSync(fixture.outputFile, 'utf8');

      it('transforms the input into the expected output', async () => {
        const run = await runTransform(transform, fixture.inputFile, input, config);
        expect(run.output).toBe(expected.trim());
        if (fixture.name.startsWith('no-transform-')) expect(run.output).toBe(input.trim());
        // Exactly one marker per site reported for manual work, and every report has its marker.
        expect(markerCount(run.output)).toBe(run.record?.manual.length ?? 0);
        checkOutput(fixture, run);
      });

      it('changes nothing when run again on its output (idempotent)', async () => {
        const { output, record } = await runTransform(transform, fixture.inputFile, expected, config);
        expect(output).toBe(expected.trim());
        expect(record?.sitesConverted).toBe(0);
      });
    });
  }
}
