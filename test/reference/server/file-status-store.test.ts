import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SyncStatusReply } from '../../../reference/protocol/index.js';
import { createFileStatusStore } from '../../../reference/server/index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'wsmig-store-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function record(chatId: number | string, processed: number): SyncStatusReply {
  return { chatId, syncStatus: 'running', syncProgress: processed, processed, total: 100, runId: 'r-1', updatedAt: 1_700_000_000_000 + processed };
}

describe('file status store', () => {
  it('keeps records across instances (a restarted server reads what the last one wrote)', async () => {
    const file = path.join(dir, 'nested', 'state.json');
    const first = createFileStatusStore(file, { flushDelayMs: 5 });
    await first.set(record(42, 10));
    await first.set(record('chat-a', 20));
    await first.set(record(42, 30));
    await first.close();
    const second = createFileStatusStore(file);
    expect(await second.get(42)).toEqual(record(42, 30));
    expect(await second.get('42')).toEqual(record(42, 30));
    expect(await second.get('unknown')).toBeUndefined();
    expect((await second.list()).map((r) => r.chatId).sort()).toEqual([42, 'chat-a'].sort());
    await second.close();
  });

  it('coalesces many quick changes into complete files holding the latest record of each chat', async () => {
    const file = path.join(dir, 'state.json');
    const store = createFileStatusStore(file, { flushDelayMs: 20 });
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.set(record(i % 10, i))));
    await store.close();
    const state = JSON.parse(await readFile(file, 'utf8')) as { version: number; chats: Record<string, SyncStatusReply> };
    expect(state.version).toBe(1);
    expect(Object.keys(state.chats)).toHaveLength(10);
    expect(state.chats['9']?.processed).toBe(199);
  });

  it('refuses a file that is not a wsmig state file, saying what to do', async () => {
    const file = path.join(dir, 'state.json');
    await writeFile(file, '{"hello": "world"}');
    await expect(createFileStatusStore(file).get(1)).rejects.toMatchObject({ code: 'STATE_FILE_INVALID', message: expect.stringContaining('--state-file') });
    await writeFile(file, 'not json');
    await expect(createFileStatusStore(file).list()).rejects.toMatchObject({ code: 'STATE_FILE_INVALID' });
  });
});
