import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { featuresFileText, inspectFeaturesFile, setFeaturesFlagDefault, withFlagDefault } from '../../migration/features-file.js';
import { tempDirPerTest } from '../helpers/temp-dir.js';

const KEY = 'useNewWSSync';
const FLAG = 'USE_NEW_WS_SYNC';

describe('the features module', () => {
  const dir = tempDirPerTest('wsmig-features-');

  async function file(text: string, name = 'features.ts'): Promise<string> {
    const target = path.join(dir(), name);
    await writeFile(target, text);
    return target;
  }

  it('reads the module prepare writes as the seed\'s opt-in form that also reads a rollout percentage', async () => {
    const target = await file(featuresFileText(KEY, FLAG));
    expect(await inspectFeaturesFile(target, KEY, FLAG)).toMatchObject({ form: { kind: 'env-rollout' }, line: 5 });
  });

  it('the module prepare writes means what it says: on for true and for a percentage, off otherwise', async () => {
    const text = featuresFileText(KEY, FLAG).replace('export const features', 'const features');
    const read = (value: string | undefined): boolean => {
      const env: Record<string, string | undefined> = { [FLAG]: value };
      // The module's expression, evaluated with a given environment (its only input).
      return new Function('process', `${text}; return features.${KEY};`)({ env }) as boolean;
    };
    expect([read('true'), read('25%'), read('100%'), read('false'), read(undefined), read('yes'), read('25')]).toEqual([true, true, true, false, false, false, false]);
  });

  it('is undefined for a missing file', async () => {
    expect(await inspectFeaturesFile(path.join(dir(), 'nope.ts'), KEY, FLAG)).toBeUndefined();
  });

  it.each([
    ["export const features = { useNewWSSync: process.env['USE_NEW_WS_SYNC'] === 'true', other: 1 } as const;", 'env-opt-in'],
    ["export const features = { 'useNewWSSync': 'true' === process.env.USE_NEW_WS_SYNC };", 'env-opt-in'],
    ["export const features = { useNewWSSync: process.env.USE_NEW_WS_SYNC !== 'false' } satisfies Record<string, boolean>;", 'env-opt-out'],
    ['export const features = { useNewWSSync: true };', 'literal'],
    ["export const features = { useNewWSSync: process.env.USE_NEW_WS_SYNC === 'true' || /%$/.test(process.env.USE_NEW_WS_SYNC) };", 'env-rollout'],
  ])('recognises %s', async (text, kind) => {
    const target = await file(text);
    expect((await inspectFeaturesFile(target, KEY, FLAG))?.form.kind).toBe(kind);
  });

  it.each([
    ['export const flags = { useNewWSSync: true };', 'does not export a `features` constant'],
    ['export const features = loadFlags();', 'is not an object literal'],
    ['export const features = { somethingElse: true };', 'has no `useNewWSSync` property'],
    ['export const features = { useNewWSSync: process.env.OTHER === "true" };', 'is neither'],
    ["export const features = { useNewWSSync: readFlag('USE_NEW_WS_SYNC') };", 'is neither'],
    ['export const features = { useNewWSSync: true, useNewWSSync: false };', 'more than once'],
  ])('refuses an unexpected shape with a clear error: %s', async (text, message) => {
    const target = await file(text);
    await expect(inspectFeaturesFile(target, KEY, FLAG)).rejects.toMatchObject({ code: 'FEATURES_FILE_UNEXPECTED', message: expect.stringContaining(message) });
    await expect(inspectFeaturesFile(target, KEY, FLAG)).rejects.toThrow(/nothing was changed/);
  });

  it('says when the module does not parse', async () => {
    const target = await file('export const features = { useNewWSSync: ');
    await expect(inspectFeaturesFile(target, KEY, FLAG)).rejects.toMatchObject({ code: 'FEATURES_FILE_UNPARSABLE' });
  });

  it('flips a hard-coded default and keeps the rest of the file as it was', async () => {
    const text = '// flags\nexport const features = {\n  useNewWSSync: true, // on for now\n  beta: false,\n};\n';
    const target = await file(text);
    expect(await setFeaturesFlagDefault(target, KEY, FLAG, 0)).toBe(true);
    expect(await readFile(target, 'utf8')).toBe(text.replace('useNewWSSync: true', 'useNewWSSync: false'));
    expect(await setFeaturesFlagDefault(target, KEY, FLAG, 0)).toBe(false);
    // A partial rollout needs the WebSocket code path on: the client picks the transport per user.
    expect(await setFeaturesFlagDefault(target, KEY, FLAG, 25)).toBe(true);
    expect(await readFile(target, 'utf8')).toBe(text);
  });

  it('turns an opt-out default into the opt-in form when turning the flag off, and leaves the env forms alone otherwise', () => {
    const optOut = "export const features = { useNewWSSync: process.env.USE_NEW_WS_SYNC !== 'false' };\n";
    expect(withFlagDefault(optOut, 'f.ts', KEY, FLAG, 0)).toBe("export const features = { useNewWSSync: process.env.USE_NEW_WS_SYNC === 'true' };\n");
    expect(withFlagDefault(optOut, 'f.ts', KEY, FLAG, 100)).toBeUndefined();
    expect(withFlagDefault(optOut, 'f.ts', KEY, FLAG, 25)).toBeUndefined();
    for (const percentage of [0, 25, 100]) expect(withFlagDefault(featuresFileText(KEY, FLAG), 'f.ts', KEY, FLAG, percentage)).toBeUndefined();
  });

  it("teaches the seed's opt-in form to read a rollout percentage when a partial rollout needs it, keeping the rest of the file", async () => {
    const seed = "// flags\nexport const features = {\n  useNewWSSync: process.env.USE_NEW_WS_SYNC === 'true',\n  beta: false,\n}\n";
    expect(withFlagDefault(seed, 'f.ts', KEY, FLAG, 100)).toBeUndefined();
    expect(withFlagDefault(seed, 'f.ts', KEY, FLAG, 0)).toBeUndefined();
    const rollout = withFlagDefault(seed, 'f.ts', KEY, FLAG, 5) as string;
    expect(rollout).toBe("// flags\nexport const features = {\n  useNewWSSync: process.env.USE_NEW_WS_SYNC === 'true' || /^\\d+%$/.test(process.env.USE_NEW_WS_SYNC ?? ''),\n  beta: false,\n}\n");
    const target = await file(rollout);
    expect((await inspectFeaturesFile(target, KEY, FLAG))?.form.kind).toBe('env-rollout');
  });

  it('parses JavaScript modules too', async () => {
    const target = await file("export const features = { useNewWSSync: process.env.USE_NEW_WS_SYNC === 'true' };\n", 'features.js');
    expect((await inspectFeaturesFile(target, KEY, FLAG))?.form.kind).toBe('env-opt-in');
  });
});
