import { appendFile, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal } from '../../migration/journal.js';
import { StateStore } from '../../migration/state.js';
import { tempDirPerTest } from '../helpers/temp-dir.js';

describe('state and journal', () => {
  const dir = tempDirPerTest('wsmig-state-');

  it('starts fresh, and writes every update whole', async () => {
    const store = new StateStore(path.join(dir(), '.wsmig', 'state.json'), () => new Date('2030-01-01T00:00:00Z'));
    const state = await store.load();
    expect(state).toMatchObject({ schema: 'wsmig.state/v1', phases: {}, inProgress: null, rollbacks: [] });
    await store.update((draft) => {
      draft.flagOnAt = '2030-01-01T00:00:00.000Z';
    });
    const again = await new StateStore(store.file).load();
    expect(again.flagOnAt).toBe('2030-01-01T00:00:00.000Z');
  });

  it('refuses a state file someone broke, saying what to do', async () => {
    const file = path.join(dir(), 'state.json');
    await writeFile(file, '{"schema": "wsmig.state/v1"');
    await expect(new StateStore(file).load()).rejects.toMatchObject({ code: 'STATE_INVALID', message: expect.stringMatching(/move it away/i) });
    await writeFile(file, '{"schema": "other"}');
    await expect(new StateStore(file).load()).rejects.toMatchObject({ code: 'STATE_INVALID' });
  });

  it('appends journal entries and skips a line cut short by a crash', async () => {
    const journal = new Journal(path.join(dir(), '.wsmig', 'journal.ndjson'));
    await journal.append({ runId: 'r1', command: 'prepare', event: 'step-start', step: 'prepare.features-file' });
    await appendFile(journal.file, '{"ts":"2030-01-01","runId":"r1","comm');
    const text = await readFile(journal.file, 'utf8');
    expect(text.split('\n')[0]).toContain('"event":"step-start"');
    expect(await journal.read()).toHaveLength(1);
  });
});
