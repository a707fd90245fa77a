import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flagValueInEnvFile } from '../../../reference/server/feature-flag.js';
import type { ReferenceServer } from '../../../reference/server/index.js';
import { serversPerTest } from '../../helpers/reference-servers.js';

describe('flagValueInEnvFile', () => {
  it('reads USE_NEW_WS_SYNC the way the seed does (=== "true")', () => {
    expect(flagValueInEnvFile('USE_NEW_WS_SYNC=true\n', 'USE_NEW_WS_SYNC')).toBe(true);
    expect(flagValueInEnvFile('USE_NEW_WS_SYNC=false', 'USE_NEW_WS_SYNC')).toBe(false);
    expect(flagValueInEnvFile('USE_NEW_WS_SYNC=TRUE', 'USE_NEW_WS_SYNC')).toBe(false);
    expect(flagValueInEnvFile('# comment\nexport USE_NEW_WS_SYNC="true" # on\r\nOTHER=1', 'USE_NEW_WS_SYNC')).toBe(true);
    expect(flagValueInEnvFile("USE_NEW_WS_SYNC='true'", 'USE_NEW_WS_SYNC')).toBe(true);
    expect(flagValueInEnvFile('USE_NEW_WS_SYNC=true # rolled out', 'USE_NEW_WS_SYNC')).toBe(true);
    expect(flagValueInEnvFile('USE_NEW_WS_SYNC=true\nUSE_NEW_WS_SYNC=false', 'USE_NEW_WS_SYNC')).toBe(false);
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
});
