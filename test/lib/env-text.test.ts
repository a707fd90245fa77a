/**
 * One reading of `.env` text: the server following `--flag-file` and the migration deciding whether
 * the flag is on read every line the same way — the way dotenv, which apps load these files with, does.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEnvValue, updateEnvFile } from '../../migration/env-file.js';
import { parseFlagValue } from '../../lib/flag-rollout.js';
import { flagValueInEnvFile } from '../../reference/server/feature-flag.js';

const LINES = [
  'USE_NEW_WS_SYNC = "true" x',
  'USE_NEW_WS_SYNC=true # on',
  'export USE_NEW_WS_SYNC="true"',
  "USE_NEW_WS_SYNC='true'",
  'USE_NEW_WS_SYNC=true#x',
  'USE_NEW_WS_SYNC=TRUE',
  'USE_NEW_WS_SYNC=true\nUSE_NEW_WS_SYNC=false',
  'USE_NEW_WS_SYNC=false\nUSE_NEW_WS_SYNC=true',
  '# USE_NEW_WS_SYNC=true',
  'USE_NEW_WS_SYNC=',
];

describe('the env reader shared by the server and the migration', () => {
  it.each(LINES)('the server and the migration agree on %j', (text) => {
    const migration = readEnvValue(text, 'USE_NEW_WS_SYNC');
    const percentage = migration === undefined ? undefined : parseFlagValue(migration);
    expect(flagValueInEnvFile(text, 'USE_NEW_WS_SYNC')).toEqual(migration === undefined ? undefined : percentage === undefined ? { invalid: migration } : { percentage });
  });

  it('reads the line the issue found the two readers disagreeing on as not on for both (the server keeps its value, with a warning)', () => {
    expect(flagValueInEnvFile('USE_NEW_WS_SYNC = "true" x', 'USE_NEW_WS_SYNC')).toHaveProperty('invalid');
    expect(readEnvValue('USE_NEW_WS_SYNC = "true" x', 'USE_NEW_WS_SYNC')).not.toBe('true');
  });

  it('after the migration sets the flag, the server reads what was set, whatever the line looked like', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wsmig-env-'));
    try {
      for (const [index, text] of LINES.entries()) {
        const file = path.join(dir, `${index}.env`);
        await writeFile(file, `PORT=3000\n${text}\n`);
        for (const [value, percentage] of [['true', 100], ['25%', 25], ['false', 0]] as const) {
          await updateEnvFile(file, { USE_NEW_WS_SYNC: value });
          const after = await readFile(file, 'utf8');
          expect(flagValueInEnvFile(after, 'USE_NEW_WS_SYNC'), `${text} → ${value}`).toEqual({ percentage });
          expect(readEnvValue(after, 'USE_NEW_WS_SYNC')).toBe(value);
          expect(after.startsWith('PORT=3000\n')).toBe(true);
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses an edit dotenv would misread, and writes nothing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'wsmig-env-'));
    try {
      const file = path.join(dir, '.env');
      // A multi-line value whose second line looks like an assignment: the line editor would touch it.
      const text = 'NOTE="first line\nUSE_NEW_WS_SYNC=true\nlast line"\n';
      await writeFile(file, text);
      await expect(updateEnvFile(file, { USE_NEW_WS_SYNC: 'false' })).rejects.toMatchObject({ code: 'ENV_FILE_UNEDITABLE' });
      expect(await readFile(file, 'utf8')).toBe(text);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
