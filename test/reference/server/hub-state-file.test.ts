import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../lib/logger.js';
import { HubStateWriter, historyToRestore, hubStateFileBeside, readHubStateFile, serializeHubState } from '../../../reference/server/hub-state-file.js';
import type { MemoryHub } from '../../../reference/server/index.js';
import { hubsPerTest, publishMany as publishEvents } from './memory-hubs.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'wsmig-hub-state-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});
const hub = hubsPerTest();

/** Payloads with a quote and a line break, which the file must keep exactly. */
const publishMany = (target: MemoryHub, channel: string, count: number): Promise<void> => publishEvents(target, channel, count, { text: 'a"b\n' });

describe('hubStateFileBeside', () => {
  it('puts the hub state beside the status store file', () => {
    expect(hubStateFileBeside(path.join('run', 'state.json'))).toBe(path.join('run', 'state.hub.json'));
    expect(hubStateFileBeside(path.join('run', 'state'))).toBe(path.join('run', 'state.hub.json'));
    expect(hubStateFileBeside(path.join('run', 'state.db'))).toBe(path.join('run', 'state.db.hub.json'));
  });
});

describe('hub state file', () => {
  it("keeps each event's eventId, also when a crash renames the history to a new epoch", async () => {
    const before = hub();
    await before.publish('feed', 'message', 'one', { eventId: 'id-1' });
    await before.publish('feed', 'message', 'two');
    const file = path.join(dir, 'state.hub.json');
    await writeFile(file, serializeHubState(before.snapshot(), false, 1_700_000_000_000));
    const stored = await readHubStateFile(file);
    if (stored === undefined) throw new Error('nothing stored');
    const restored = hub({ restore: historyToRestore(stored, 'e2') });
    expect(restored.snapshot().channels.get('feed')?.events.map((event) => [event.epoch, event.eventId])).toEqual([
      ['e2', 'id-1'],
      ['e2', undefined],
    ]);
  });

  it('reads back what was written: same epoch, seqs, buffered events (any channel name)', async () => {
    const before = hub();
    await publishMany(before, 'sync:1', 6);
    await publishMany(before, '__proto__', 2);
    const file = path.join(dir, 'state.hub.json');
    await writeFile(file, serializeHubState(before.snapshot(), true, 1_700_000_000_000));
    const stored = await readHubStateFile(file);
    expect(stored?.clean).toBe(true);
    expect(stored?.writtenAtMs).toBe(1_700_000_000_000);
    const after = hub({ epoch: 'new', restore: historyToRestore(stored as NonNullable<typeof stored>, 'crash') });
    expect(after.epoch).toBe('e1');
    const resumed = await after.subscribe('sync:1', { deliver: () => undefined }, { fromSeq: 4, epoch: 'e1' });
    expect(resumed.replay.map((e) => [e.seq, e.payload])).toEqual([
      [5, { i: 4, text: 'a"b\n' }],
      [6, { i: 5, text: 'a"b\n' }],
    ]);
    expect(resumed.replay[0]?.frameFor('s')).toBe((await before.subscribe('sync:1', { deliver: () => undefined }, { fromSeq: 4, epoch: 'e1' })).replay[0]?.frameFor('s'));
    expect((await after.publish('__proto__', 'sync:progress', {})).seq).toBe(3);
  });

  it('after a crash (file not marked clean) restores the saved history under a new epoch: old resume points resync, the new epoch reads from its start', async () => {
    const before = hub({ replayBufferSize: 8 });
    await publishMany(before, 'c', 3);
    const file = path.join(dir, 'state.hub.json');
    await writeFile(file, serializeHubState(before.snapshot(), false, 1));
    // The dead process went on after its last save: seq 4 of epoch e1 was seen by clients, and is lost.
    await publishMany(before, 'c', 1);
    const stored = await readHubStateFile(file);
    const after = hub({ replayBufferSize: 8, restore: historyToRestore(stored as NonNullable<typeof stored>, 'e2') });
    expect(after.epoch).toBe('e2');
    expect(await after.subscribe('c', { deliver: () => undefined }, { fromSeq: 4, epoch: 'e1' })).toMatchObject({ resync: 'epoch-changed', epoch: 'e2', seq: 3 });
    expect((await after.subscribe('c', { deliver: () => undefined }, { fromSeq: 2, epoch: 'e1' })).resync).toBe('epoch-changed');
    const next = await after.publish('c', 'sync:progress', { i: 'new' });
    expect(next).toMatchObject({ seq: 4, epoch: 'e2' });
    const fromStart = await after.subscribe('c', { deliver: () => undefined }, { fromSeq: 0, epoch: 'e2' });
    expect(fromStart.replay.map((e) => [e.seq, e.epoch, (e.payload as { i: unknown }).i])).toEqual([
      [1, 'e2', 0],
      [2, 'e2', 1],
      [3, 'e2', 2],
      [4, 'e2', 'new'],
    ]);
    expect(JSON.parse(fromStart.replay[0]?.frameFor('s') ?? '')).toMatchObject({ seq: 1, epoch: 'e2' });
  });

  it('is absent before the first write, and a damaged file is refused with what to do', async () => {
    const file = path.join(dir, 'state.hub.json');
    expect(await readHubStateFile(file)).toBeUndefined();
    await writeFile(file, '{"version":1,');
    await expect(readHubStateFile(file)).rejects.toMatchObject({ code: 'HUB_STATE_FILE_INVALID', message: expect.stringContaining('move it away') });
    await writeFile(file, '{"version":2}');
    await expect(readHubStateFile(file)).rejects.toMatchObject({ code: 'HUB_STATE_FILE_INVALID' });
    const before = hub();
    await publishMany(before, 'c', 3);
    const text = serializeHubState(before.snapshot(), true, 1).replace('"seq":3,"lastActiveMs"', '"seq":5,"lastActiveMs"');
    await writeFile(file, text);
    await expect(readHubStateFile(file)).rejects.toThrow(/does not end at its seq 5 without a gap/);
  });
});

describe('HubStateWriter', () => {
  it('writes once per interval however many changes, not at all while nothing changes, and clean on close', async () => {
    // The writer's timer and its own write timing on a fake clock; the file writes are real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const file = path.join(dir, 'state.hub.json');
      let writes = 0;
      let h: MemoryHub | undefined;
      const writer = new HubStateWriter(file, () => (h as MemoryHub).snapshot(), { intervalMs: 100, logger: silentLogger(), clock: Date.now, onWrite: () => (writes += 1) });
      h = hub({ onChange: () => writer.markChanged() });
      await writer.write(false);
      expect(writes).toBe(1);
      const { mtimeMs } = await stat(file);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(writes).toBe(1);
      expect((await stat(file)).mtimeMs).toBe(mtimeMs);

      // Fifty changes at once: one write, an interval after the first.
      await publishMany(h, 'c', 50);
      await vi.advanceTimersByTimeAsync(99);
      expect(writes).toBe(1);
      await vi.advanceTimersByTimeAsync(1);
      await vi.waitUntil(() => writes === 2, { timeout: 5_000, interval: 10 });
      await vi.advanceTimersByTimeAsync(1_000);
      expect(writes).toBe(2);
      expect((await readHubStateFile(file))?.clean).toBe(false);

      // Changes spread over an interval: still one write for all of them.
      await publishMany(h, 'c', 1);
      await vi.advanceTimersByTimeAsync(60);
      await publishMany(h, 'c', 1);
      await vi.advanceTimersByTimeAsync(39);
      expect(writes).toBe(2);
      await vi.advanceTimersByTimeAsync(1);
      await vi.waitUntil(() => writes === 3, { timeout: 5_000, interval: 10 });
      await vi.advanceTimersByTimeAsync(1_000);
      expect(writes).toBe(3);

      await writer.close();
      expect(writes).toBe(4);
      const stored = await readHubStateFile(file);
      expect(stored?.clean).toBe(true);
      expect(stored?.snapshot.channels.get('c')?.seq).toBe(52);
      await publishMany(h, 'c', 1);
      await vi.advanceTimersByTimeAsync(1_000);
      expect(writes).toBe(4);
      expect(JSON.parse(await readFile(file, 'utf8'))).toMatchObject({ clean: true });
    } finally {
      vi.useRealTimers();
    }
  });

  it('reports a write it cannot make with a clear error', async () => {
    const blocker = path.join(dir, 'not-a-folder');
    await writeFile(blocker, '');
    const writer = new HubStateWriter(path.join(blocker, 'state.hub.json'), () => hub().snapshot(), { intervalMs: 100, logger: silentLogger(), clock: Date.now });
    await expect(writer.write(false)).rejects.toMatchObject({ code: 'HUB_STATE_FILE_WRITE_FAILED' });
  });
});
