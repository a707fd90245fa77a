import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inRollout } from '../../../lib/flag-rollout.js';
import { flagValueInEnvFile } from '../../../reference/server/feature-flag.js';
import type { ReferenceServer } from '../../../reference/server/index.js';
import { serversPerTest } from '../../helpers/reference-servers.js';

describe('flagValueInEnvFile', () => {
  it('reads USE_NEW_WS_SYNC as true (100 %), false (0 %) or NN%, and anything else as invalid', () => {
    expect(flagValueInEnvFile('USE_NEW_WS_SYNC=true\n', 'USE_NEW_WS_SYNC')).toEqual({ percentage: 100 });
    expect(flagValueInEnvFile('USE_NEW_WS_SYNC=false', 'USE_NEW_WS_SYNC')).toEqual({ percentage: 0 });
    expect(flagValueInEnvFile('USE_NEW_WS_SYNC=25%', 'USE_NEW_WS_SYNC')).toEqual({ percentage: 25 });
    expect(flagValueInEnvFile('USE_NEW_WS_SYNC="5%" # canary', 'USE_NEW_WS_SYNC')).toEqual({ percentage: 5 });
    expect(flagValueInEnvFile('USE_NEW_WS_SYNC=TRUE', 'USE_NEW_WS_SYNC')).toEqual({ invalid: 'TRUE' });
    expect(flagValueInEnvFile('USE_NEW_WS_SYNC=25', 'USE_NEW_WS_SYNC')).toEqual({ invalid: '25' });
    expect(flagValueInEnvFile('USE_NEW_WS_SYNC=150%', 'USE_NEW_WS_SYNC')).toEqual({ invalid: '150%' });
    expect(flagValueInEnvFile('# comment\nexport USE_NEW_WS_SYNC="true" # on\r\nOTHER=1', 'USE_NEW_WS_SYNC')).toEqual({ percentage: 100 });
    expect(flagValueInEnvFile("USE_NEW_WS_SYNC='true'", 'USE_NEW_WS_SYNC')).toEqual({ percentage: 100 });
    expect(flagValueInEnvFile('USE_NEW_WS_SYNC=true # rolled out', 'USE_NEW_WS_SYNC')).toEqual({ percentage: 100 });
    expect(flagValueInEnvFile('USE_NEW_WS_SYNC=true\nUSE_NEW_WS_SYNC=false', 'USE_NEW_WS_SYNC')).toEqual({ percentage: 0 });
    expect(flagValueInEnvFile('USE_NEW_WS_SYNC_OLD=true\n#USE_NEW_WS_SYNC=true', 'USE_NEW_WS_SYNC')).toBeUndefined();
  });
});

describe('following a flag file', () => {
  let dir: string;
  const servers = serversPerTest();
  afterEach(async () => {
    // The servers watch dir: stop them before removing it.
    await servers.closeAll();
    await rm(dir, { recursive: true, force: true });
  });

  async function transport(s: ReferenceServer): Promise<string> {
    return ((await (await fetch(`${s.url}/api/config`)).json()) as { transport: string }).transport;
  }

  const eventually = (check: () => boolean | Promise<boolean>): Promise<unknown> => vi.waitUntil(check, { timeout: 10_000, interval: 20 });

  it('applies the file at start, then every change: rewritten in place or replaced by an atomic rename', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wsmig-flag-'));
    const file = path.join(dir, '.env');
    await writeFile(file, 'APP=1\nUSE_NEW_WS_SYNC=true\n');
    const s = await servers.start({ flag: { value: false, file, pollIntervalMs: 5_000 } });
    expect(s.flag).toBe(true);
    expect(await transport(s)).toBe('ws');

    await writeFile(file, 'APP=1\nUSE_NEW_WS_SYNC=false\n');
    await eventually(async () => (await transport(s)) === 'sse');

    const replacement = path.join(dir, '.env.tmp');
    await writeFile(replacement, 'USE_NEW_WS_SYNC=true\n');
    await rename(replacement, file);
    await eventually(async () => (await transport(s)) === 'ws');
    expect(await (await fetch(`${s.url}/health`)).json()).toMatchObject({ transport: 'ws' });
  });

  it('also polls, and keeps an admin change until the file itself changes again', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wsmig-flag-'));
    const file = path.join(dir, 'flags.env');
    await writeFile(file, 'USE_NEW_WS_SYNC=false\n');
    const s = await servers.start({ flag: { file, pollIntervalMs: 20 } });
    expect(s.flag).toBe(false);
    s.setFlag(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(s.flag).toBe(true);
    await writeFile(file, 'USE_NEW_WS_SYNC=false\nNOTE=rollback\n');
    await eventually(async () => !s.flag);
  });

  it('starts with the configured value when the file does not exist yet, and picks it up once created', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wsmig-flag-'));
    const file = path.join(dir, '.env');
    const s = await servers.start({ flag: { value: true, file, pollIntervalMs: 50 } });
    expect(s.flag).toBe(true);
    await writeFile(file, 'USE_NEW_WS_SYNC=false\n');
    await eventually(async () => !s.flag);
  });

  it('follows a percentage: USE_NEW_WS_SYNC=25% sends that share of identities to WebSocket, each the same way on every read', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wsmig-flag-'));
    const file = path.join(dir, '.env');
    await writeFile(file, 'USE_NEW_WS_SYNC=false\n');
    const s = await servers.start({ flag: { file, pollIntervalMs: 50 } });
    const ids = Array.from({ length: 200 }, (_, i) => `session-${i}`);
    const inCohort = async (): Promise<string[]> => {
      const answers = await Promise.all(ids.map(async (id) => ((await (await fetch(`${s.url}/api/config?stickiness=${id}`)).json()) as { flag: { value: boolean } }).flag.value));
      return ids.filter((_, i) => answers[i]);
    };
    expect(await inCohort()).toEqual([]);
    await writeFile(file, 'USE_NEW_WS_SYNC=25%\n');
    await eventually(() => s.flagPercentage === 25);
    const quarter = await inCohort();
    expect(quarter).toEqual(ids.filter((id) => inRollout(id, 'USE_NEW_WS_SYNC', 25)));
    expect(quarter.length).toBeGreaterThan(30);
    expect(quarter.length).toBeLessThan(70);
    expect(await inCohort()).toEqual(quarter);
    await writeFile(file, 'USE_NEW_WS_SYNC=60%\n');
    await eventually(() => s.flagPercentage === 60);
    const more = await inCohort();
    expect(more.length).toBeGreaterThan(quarter.length);
    for (const id of quarter) expect(more).toContain(id);
  });

  it('keeps the current value, with a warning that says what is accepted, when the file says something else', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wsmig-flag-'));
    const file = path.join(dir, '.env');
    await writeFile(file, 'USE_NEW_WS_SYNC=30%\n');
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const s = await servers.start({ flag: { file, pollIntervalMs: 20 }, logger: pino({ level: 'info' }, sink) });
    expect(s.flagPercentage).toBe(30);
    await writeFile(file, 'USE_NEW_WS_SYNC=yes\n');
    await eventually(() => lines.some((line) => line.includes('USE_NEW_WS_SYNC=yes')));
    expect(s.flagPercentage).toBe(30);
    const warning = JSON.parse(lines.find((line) => line.includes('USE_NEW_WS_SYNC=yes')) as string) as { level: number; msg: string };
    expect(warning.level).toBe(40);
    expect(warning.msg).toContain('true, false or a percentage such as 25%');
    expect(warning.msg).toContain('keeping the current value (30%)');
  });
});

