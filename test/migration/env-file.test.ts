import { readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readEnvValue, setEnvValues, updateEnvFile } from '../../migration/env-file.js';
import { tempDirPerTest } from '../helpers/temp-dir.js';

describe('setEnvValues', () => {
  it('changes only the value, keeping comments, order, export prefixes, quotes and inline comments', () => {
    const before = [
      '# app settings',
      'PORT=3000',
      '',
      'export USE_NEW_WS_SYNC="false" # flipped by wsmig',
      "NAME='app'",
      '# trailing comment',
      '',
    ].join('\n');
    const after = setEnvValues(before, { USE_NEW_WS_SYNC: 'true' });
    expect(after).toBe(before.replace('"false"', '"true"'));
  });

  it('appends a name that is not there, after a final newline', () => {
    expect(setEnvValues('PORT=3000\n', { WS_ENDPOINT: 'ws://localhost:3000/ws' })).toBe('PORT=3000\nWS_ENDPOINT=ws://localhost:3000/ws\n');
    expect(setEnvValues('PORT=3000', { A: '1' })).toBe('PORT=3000\nA=1\n');
    expect(setEnvValues('', { A: '1' })).toBe('A=1\n');
  });

  it('keeps CRLF line endings', () => {
    expect(setEnvValues('A=1\r\nB=2\r\n', { B: '3', C: '4' })).toBe('A=1\r\nB=3\r\nC=4\r\n');
  });

  it('rewrites every assignment of a name, so whichever a loader picks holds the value', () => {
    const after = setEnvValues('FLAG=true\nOTHER=x\nFLAG=true\n', { FLAG: 'false' });
    expect(after).toBe('FLAG=false\nOTHER=x\nFLAG=false\n');
  });

  it('quotes values that need it', () => {
    expect(setEnvValues('', { MSG: 'a b#c' })).toBe('MSG="a b#c"\n');
  });

  it('is idempotent and reads back what it wrote, for any existing file', () => {
    const line = fc.oneof(
      fc.constantFrom('# comment', '', 'PORT=3000', 'export X=1', 'FLAG=maybe # note', "FLAG='x'", 'URL=http://h/#frag'),
      fc.string().map((s) => `# ${s.replace(/[\r\n]/g, '')}`),
    );
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.constantFrom('true', 'false'), (lines, value) => {
        const text = lines.length === 0 ? '' : `${lines.join('\n')}\n`;
        const once = setEnvValues(text, { FLAG: value });
        expect(readEnvValue(once, 'FLAG')).toBe(value);
        expect(setEnvValues(once, { FLAG: value })).toBe(once);
        // Lines that do not assign FLAG are untouched.
        const others = (t: string) => t.split('\n').filter((l) => !/^\s*(export\s+)?FLAG\s*=/.test(l));
        expect(others(once).filter((l) => l !== '')).toEqual(expect.arrayContaining(others(text).filter((l) => l !== '')));
      }),
    );
  });
});

describe('updateEnvFile', () => {
  const dir = tempDirPerTest('wsmig-env-');

  it('creates a missing file, and does not rewrite a file that already says so', async () => {
    const file = path.join(dir(), '.env');
    const first = await updateEnvFile(file, { USE_NEW_WS_SYNC: 'false' });
    expect(first).toMatchObject({ created: true, changed: true });
    expect(await readFile(file, 'utf8')).toBe('USE_NEW_WS_SYNC=false\n');
    const second = await updateEnvFile(file, { USE_NEW_WS_SYNC: 'false' });
    expect(second).toMatchObject({ created: false, changed: false, before: { USE_NEW_WS_SYNC: 'false' } });
  });

  it('leaves no temporary file behind', async () => {
    const file = path.join(dir(), '.env');
    await writeFile(file, 'PORT=1\n');
    await updateEnvFile(file, { PORT: '2' });
    expect(await readdir(dir())).toEqual(['.env']);
  });
});
