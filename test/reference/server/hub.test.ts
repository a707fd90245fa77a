import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ChannelEvent, MemoryHub, MemoryHubOptions } from '../../../reference/server/index.js';
import { hubsPerTest, publishMany } from './memory-hubs.js';

const hub = hubsPerTest();

function collector(): { events: ChannelEvent[]; deliver(event: ChannelEvent): void } {
  const events: ChannelEvent[] = [];
  return { events, deliver: (event) => events.push(event) };
}

afterEach(() => {
  vi.useRealTimers();
});

/**
 * A hub with a 20 ms channel TTL on a clock the test moves, its sweep timer on vitest's fake timers;
 * `idle()` lets that TTL pass and runs the sweep (never a sleep racing the sweep's interval).
 */
function idlingHub(options: Partial<MemoryHubOptions> = {}): { hub: MemoryHub; idle(): Promise<void> } {
  let now = 1_000_000;
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
  return {
    hub: hub({ channelTtlMs: 20, clock: () => now, ...options }),
    idle: async () => {
      now += 1_000;
      await vi.advanceTimersByTimeAsync(20);
    },
  };
}

describe('memory hub', () => {
  it('numbers events per channel from 1, strictly increasing, and delivers them live', async () => {
    const h = hub();
    const a = collector();
    const outcome = await h.subscribe('sync:1', a);
    expect(outcome).toEqual({ epoch: 'e1', seq: 0, replay: [], resync: undefined });
    await publishMany(h, 'sync:1', 3);
    await publishMany(h, 'sync:2', 2);
    expect(a.events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(a.events.every((e) => e.epoch === 'e1' && e.channel === 'sync:1')).toBe(true);
  });

  it('replays exactly the events after fromSeq, then continues live without a gap or a repeat', async () => {
    const h = hub();
    await publishMany(h, 'c', 3);
    const a = collector();
    const outcome = await h.subscribe('c', a, { fromSeq: 1, epoch: 'e1' });
    expect(outcome.resync).toBeUndefined();
    expect(outcome.seq).toBe(3);
    expect(outcome.replay.map((e) => e.seq)).toEqual([2, 3]);
    await publishMany(h, 'c', 2);
    expect([...outcome.replay, ...a.events].map((e) => e.seq)).toEqual([2, 3, 4, 5]);
  });

  it('replays from the ring buffer after it wrapped around', async () => {
    const h = hub({ replayBufferSize: 4 });
    await publishMany(h, 'c', 10);
    const outcome = await h.subscribe('c', collector(), { fromSeq: 6, epoch: 'e1' });
    expect(outcome.replay.map((e) => e.seq)).toEqual([7, 8, 9, 10]);
    expect(outcome.replay.map((e) => (e.payload as { i: number }).i)).toEqual([6, 7, 8, 9]);
  });

  it('answers resync for each reason: epoch-changed, too-old, future-seq', async () => {
    const h = hub({ replayBufferSize: 4 });
    await publishMany(h, 'c', 10);
    expect((await h.subscribe('c', collector(), { fromSeq: 9, epoch: 'old' })).resync).toBe('epoch-changed');
    expect((await h.subscribe('c', collector(), { fromSeq: 5, epoch: 'e1' })).resync).toBe('too-old');
    expect((await h.subscribe('c', collector(), { fromSeq: 11, epoch: 'e1' })).resync).toBe('future-seq');
    const upToDate = await h.subscribe('c', collector(), { fromSeq: 10, epoch: 'e1' });
    expect(upToDate.resync).toBeUndefined();
    expect(upToDate.replay).toEqual([]);
  });

  it('with replayBufferSize 0 every resume behind the channel is a resync', async () => {
    const h = hub({ replayBufferSize: 0 });
    await publishMany(h, 'c', 2);
    expect((await h.subscribe('c', collector(), { fromSeq: 1, epoch: 'e1' })).resync).toBe('too-old');
    expect((await h.subscribe('c', collector(), { fromSeq: 2, epoch: 'e1' })).resync).toBeUndefined();
  });

  it('takes a resume point without an epoch to be in the current epoch', async () => {
    const h = hub();
    await publishMany(h, 'c', 2);
    expect((await h.subscribe('c', collector(), { fromSeq: 1 })).replay.map((e) => e.seq)).toEqual([2]);
  });

  it('stops delivering after unsubscribe', async () => {
    const h = hub();
    const a = collector();
    await h.subscribe('c', a);
    await publishMany(h, 'c', 1);
    h.unsubscribe('c', a);
    await publishMany(h, 'c', 1);
    expect(a.events.map((e) => e.seq)).toEqual([1]);
  });

  it('forgets idle channels after channelTtlMs but keeps their seq increasing, so old resume points resync', async () => {
    const { hub: h, idle } = idlingHub();
    await publishMany(h, 'c', 3);
    await idle();
    const outcome = await h.subscribe('c', collector(), { fromSeq: 2, epoch: 'e1' });
    expect(outcome.resync).toBe('too-old');
    expect(outcome.seq).toBe(3);
    const event = await h.publish('c', 'sync:progress', {});
    expect(event.seq).toBe(4);
  });

  it('moves to a new epoch when too many forgotten channels would have to be remembered', async () => {
    const { hub: h, idle } = idlingHub({ maxForgottenChannels: 1 });
    await publishMany(h, 'a', 2);
    await publishMany(h, 'b', 2);
    await idle();
    expect(h.epoch).not.toBe('e1');
    expect((await h.subscribe('a', collector(), { fromSeq: 1, epoch: 'e1' })).resync).toBe('epoch-changed');
    expect((await h.publish('a', 'sync:progress', {})).epoch).toBe(h.epoch);
  });

  it('builds each event frame for a subscription id without re-serializing per subscriber', async () => {
    const h = hub();
    const event = await h.publish('sync:7', 'sync:progress', { line: 'a\nb' });
    expect(JSON.parse(event.frameFor('sub-"1"'))).toEqual({ id: 'sub-"1"', channel: 'sync:7', type: 'sync:progress', seq: 1, ts: event.ts, epoch: 'e1', payload: { line: 'a\nb' } });
    expect(event.payloadJson).toBe('{"line":"a\\nb"}');
  });
});

describe('memory hub snapshot and restore', () => {
  it('goes on from a snapshot with the same epoch and seqs, replaying exactly what a client missed', async () => {
    const before = hub({ replayBufferSize: 4 });
    await publishMany(before, 'c', 6);
    await publishMany(before, 'd', 1);
    const after = hub({ epoch: 'other', replayBufferSize: 4, restore: before.snapshot() });
    expect(after.epoch).toBe('e1');
    const resumed = await after.subscribe('c', collector(), { fromSeq: 3, epoch: 'e1' });
    expect(resumed.resync).toBeUndefined();
    expect(resumed.replay.map((e) => (e.payload as { i: number }).i)).toEqual([3, 4, 5]);
    expect((await after.publish('c', 'sync:progress', {})).seq).toBe(7);
    expect((await after.publish('d', 'sync:progress', {})).seq).toBe(2);
    expect((await after.subscribe('c', collector(), { fromSeq: 1, epoch: 'e1' })).resync).toBe('too-old');
  });

  it('keeps the newest events when restored with a smaller buffer', async () => {
    const before = hub({ replayBufferSize: 8 });
    await publishMany(before, 'c', 8);
    const after = hub({ replayBufferSize: 2, restore: before.snapshot() });
    expect((await after.subscribe('c', collector(), { fromSeq: 6, epoch: 'e1' })).replay.map((e) => e.seq)).toEqual([7, 8]);
    expect((await after.subscribe('c', collector(), { fromSeq: 5, epoch: 'e1' })).resync).toBe('too-old');
  });

  it('remembers forgotten channels across a restore, so their seq keeps increasing', async () => {
    const { hub: before, idle } = idlingHub();
    await publishMany(before, 'c', 3);
    await idle();
    const snapshot = before.snapshot();
    expect([...snapshot.channels.keys()]).toEqual([]);
    const after = hub({ restore: snapshot });
    expect((await after.publish('c', 'sync:progress', {})).seq).toBe(4);
  });

  it('signals a change on each publish and forgotten channel, not on subscribe', async () => {
    let changes = 0;
    const { hub: h, idle } = idlingHub({ onChange: () => (changes += 1) });
    const a = collector();
    await h.subscribe('c', a);
    h.unsubscribe('c', a);
    expect(changes).toBe(0);
    await publishMany(h, 'c', 2);
    expect(changes).toBe(2);
    await idle();
    expect(changes).toBe(3);
  });
});

describe('memory hub bounds (maxChannels, maxReplayBytes)', () => {
  it('forgets the channel idle longest when a new one would pass maxChannels, and a resume of it resyncs', async () => {
    let now = 1_000;
    const h = hub({ maxChannels: 3, clock: () => now });
    for (const name of ['a', 'b', 'c']) {
      now += 10;
      await publishMany(h, name, 2);
    }
    now += 10;
    await publishMany(h, 'a', 1); // 'a' is now the most recently active: 'b' is idle longest
    await publishMany(h, 'd', 1);
    expect(h.stats()).toMatchObject({ channels: 3, evictedChannels: 1 });
    expect([...h.snapshot().channels.keys()].sort()).toEqual(['a', 'c', 'd']);
    const resumed = await h.subscribe('b', collector(), { fromSeq: 1, epoch: 'e1' });
    expect(resumed).toMatchObject({ resync: 'too-old', seq: 2 });
    expect((await h.publish('b', 'sync:progress', {})).seq).toBe(3);
  });

  it('never evicts a channel with subscribers: with every channel busy a new one is refused with TOO_MANY_CHANNELS', async () => {
    const h = hub({ maxChannels: 2 });
    const a = collector();
    await h.subscribe('a', a);
    await h.subscribe('b', collector());
    await expect(h.subscribe('c', collector())).rejects.toMatchObject({ code: 'TOO_MANY_CHANNELS' });
    await expect(h.publish('c', 'sync:progress', {})).rejects.toMatchObject({ code: 'TOO_MANY_CHANNELS' });
    expect(h.stats()).toMatchObject({ channels: 2, refusedChannels: 1 + 1 });
    h.unsubscribe('a', a);
    await h.subscribe('c', collector());
    expect([...h.snapshot().channels.keys()].sort()).toEqual(['b', 'c']);
  });

  it('keeps the kept events within maxReplayBytes: idle channels go first, then busy channels drop their oldest events', async () => {
    const pad = 'x'.repeat(100);
    const size = (await hub().publish('probe', 'sync:progress', { i: 0, pad })).size;
    const h = hub({ replayBufferSize: 100, maxReplayBytes: size * 10 });
    await publishMany(h, 'idle', 4, { pad });
    await h.subscribe('busy', collector());
    await publishMany(h, 'busy', 8, { pad });
    expect(h.stats()).toMatchObject({ channels: 1, evictedChannels: 1 });
    expect(h.stats().replayBytes).toBeLessThanOrEqual(size * 10);
    await publishMany(h, 'busy', 8, { pad });
    const stats = h.stats();
    expect(stats.replayBytes).toBeLessThanOrEqual(size * 10);
    expect(stats.trimmedEvents).toBeGreaterThan(0);
    // Replay from what was kept works; from before it, a resync.
    expect((await h.subscribe('busy', collector(), { fromSeq: 14, epoch: 'e1' })).replay.map((e) => e.seq)).toEqual([15, 16]);
    expect((await h.subscribe('busy', collector(), { fromSeq: 1, epoch: 'e1' })).resync).toBe('too-old');
  });

  it('restores at most maxChannels channels (the most recently active) and within maxReplayBytes', async () => {
    let now = 1_000;
    const before = hub({ clock: () => now });
    for (const name of ['a', 'b', 'c', 'd']) {
      now += 10;
      await publishMany(before, name, 2);
    }
    const after = hub({ maxChannels: 2, restore: before.snapshot() });
    expect([...after.snapshot().channels.keys()].sort()).toEqual(['c', 'd']);
    expect((await after.publish('a', 'sync:progress', {})).seq).toBe(3);
  });
});
