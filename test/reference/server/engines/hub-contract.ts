/**
 * The channel hub contract, run against every engine (memory, Redis): what a subscriber is promised
 * whatever holds the history. Each engine's test file calls {@link hubContract} with a factory.
 *
 * Delivery may be asynchronous (the Redis hub delivers through pub/sub), so live events are awaited
 * with {@link eventually}; "nothing more arrives" is checked after a pause.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelEvent, ChannelHub, HubSubscriber } from '../../../../reference/server/hub.js';

export interface HubFactory {
  /** A new hub; hubs made in one test share one history when the engine can (Redis). */
  create(options: { replayBufferSize: number }): Promise<ChannelHub>;
  /** Closes a hub made by `create` and waits until it is closed. */
  dispose(hub: ChannelHub): Promise<void>;
  /** How many events to publish so that, with a buffer of 4, the first ones are surely gone (Redis trims `MAXLEN ~`, by whole stream nodes). */
  trimmingCount: number;
}

/** A subscriber that keeps what it is given. */
export function collector(): HubSubscriber & { events: ChannelEvent[]; seqs(): number[] } {
  const events: ChannelEvent[] = [];
  return { events, deliver: (event) => events.push(event), seqs: () => events.map((e) => e.seq) };
}

/** Waits until `check` passes (it throws until then), at most `timeoutMs`. */
export async function eventually(check: () => void, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(10);
    }
  }
}

export function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
}

/** Publishes `count` events `{ i }` on `channel`, one after another, and returns their seqs. */
export async function publishMany(hub: ChannelHub, channel: string, count: number): Promise<number[]> {
  const seqs: number[] = [];
  for (let i = 0; i < count; i += 1) seqs.push((await hub.publish(channel, 'sync:progress', { i })).seq);
  return seqs;
}

export function hubContract(engine: string, factory: HubFactory): void {
  describe(`${engine} hub: the channel hub contract`, () => {
    const made: ChannelHub[] = [];
    const hub = async (replayBufferSize = 4): Promise<ChannelHub> => {
      const created = await factory.create({ replayBufferSize });
      made.push(created);
      return created;
    };
    afterEach(async () => {
      await Promise.all(made.splice(0).map((h) => factory.dispose(h)));
    });

    it('numbers each channel from 1, strictly increasing, and delivers live events in order', async () => {
      const h = await hub();
      const a = collector();
      const outcome = await h.subscribe('sync:1', a);
      expect(outcome).toMatchObject({ seq: 0, replay: [], resync: undefined });
      expect(await publishMany(h, 'sync:1', 3)).toEqual([1, 2, 3]);
      expect(await publishMany(h, 'sync:2', 2)).toEqual([1, 2]);
      await eventually(() => expect(a.seqs()).toEqual([1, 2, 3]));
      expect(a.events.every((e) => e.channel === 'sync:1' && e.epoch === outcome.epoch)).toBe(true);
      expect(a.events.map((e) => e.payload)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    });

    it('keeps type, payload and eventId through publish, replay and live delivery', async () => {
      const h = await hub();
      const published = await h.publish('orders:7', 'order:paid', { total: 12.5, items: ['a', 'é'] }, { eventId: 'ev-41' });
      const live = collector();
      const outcome = await h.subscribe('orders:7', live, { fromSeq: 0 });
      expect(outcome.replay).toHaveLength(1);
      for (const event of [published, outcome.replay[0] as ChannelEvent]) {
        expect(event).toMatchObject({ channel: 'orders:7', type: 'order:paid', seq: 1, epoch: outcome.epoch, payload: { total: 12.5, items: ['a', 'é'] }, eventId: 'ev-41' });
      }
      await h.publish('orders:7', 'order:shipped', null);
      await eventually(() => expect(live.events).toHaveLength(1));
      expect(live.events[0]).toMatchObject({ type: 'order:shipped', seq: 2, payload: null, eventId: undefined });
    });

    it('replays exactly the events after fromSeq, then continues live without a gap or a repeat', async () => {
      const h = await hub();
      const first = await h.publish('c', 'sync:progress', { i: 0 });
      await publishMany(h, 'c', 2);
      const a = collector();
      const outcome = await h.subscribe('c', a, { fromSeq: 1, epoch: first.epoch });
      expect(outcome).toMatchObject({ epoch: first.epoch, seq: 3, resync: undefined });
      expect(outcome.replay.map((e) => e.seq)).toEqual([2, 3]);
      await publishMany(h, 'c', 2);
      await eventually(() => expect([...outcome.replay.map((e) => e.seq), ...a.seqs()]).toEqual([2, 3, 4, 5]));
    });

    it('takes a resume point without an epoch to be in the current epoch', async () => {
      const h = await hub();
      await publishMany(h, 'c', 2);
      expect((await h.subscribe('c', collector(), { fromSeq: 1 })).replay.map((e) => e.seq)).toEqual([2]);
    });

    it('answers resync for an unknown epoch and for a seq ahead of the channel', async () => {
      const h = await hub();
      const { epoch } = await h.publish('c', 'sync:progress', {});
      await publishMany(h, 'c', 2);
      expect(await h.subscribe('c', collector(), { fromSeq: 2, epoch: 'not_this_one' })).toMatchObject({ epoch, seq: 3, replay: [], resync: 'epoch-changed' });
      expect(await h.subscribe('c', collector(), { fromSeq: 9, epoch })).toMatchObject({ seq: 3, replay: [], resync: 'future-seq' });
      expect(await h.subscribe('c', collector(), { fromSeq: 3, epoch })).toMatchObject({ seq: 3, replay: [], resync: undefined });
    });

    it('answers resync too-old once the events after fromSeq left the buffer, and replays the newest ones', async () => {
      const h = await hub(4);
      const count = factory.trimmingCount;
      const { epoch } = await h.publish('c', 'sync:progress', {});
      await publishMany(h, 'c', count - 1);
      expect(await h.subscribe('c', collector(), { fromSeq: 1, epoch })).toMatchObject({ seq: count, replay: [], resync: 'too-old' });
      const recent = await h.subscribe('c', collector(), { fromSeq: count - 4, epoch });
      expect(recent.resync).toBeUndefined();
      expect(recent.replay.map((e) => e.seq)).toEqual(range(count - 3, count));
    });

    it('with replayBufferSize 0 every resume behind the channel is a resync', async () => {
      const h = await hub(0);
      const { epoch } = await h.publish('c', 'sync:progress', {});
      await h.publish('c', 'sync:progress', {});
      expect((await h.subscribe('c', collector(), { fromSeq: 1, epoch })).resync).toBe('too-old');
      expect((await h.subscribe('c', collector(), { fromSeq: 2, epoch })).resync).toBeUndefined();
      expect((await h.newestEvent('c'))?.seq ?? 2).toBe(2);
    });

    it('gives subscribers that join while events are being published every event after their resume point, once, in order', async () => {
      const h = await hub(1_000);
      const total = 150;
      const { epoch } = await h.publish('busy', 'sync:progress', { i: 0 });
      const publishing = publishMany(h, 'busy', total - 1);
      const joined: Array<{ from: number; sub: ReturnType<typeof collector>; replay: number[]; seq: number }> = [];
      for (let k = 0; k < 8; k += 1) {
        await sleep(k % 3);
        const sub = collector();
        const from = k % 2 === 0 ? 0 : Math.max(0, ((await h.newestEvent('busy'))?.seq ?? 1) - 2);
        const outcome = await h.subscribe('busy', sub, k === 7 ? undefined : { fromSeq: from, epoch });
        expect(outcome.resync).toBeUndefined();
        joined.push({ from: k === 7 ? outcome.seq : from, sub, replay: outcome.replay.map((e) => e.seq), seq: outcome.seq });
      }
      await publishing;
      for (const { from, sub, replay, seq } of joined) {
        expect(replay).toEqual(range(from + 1, seq));
        await eventually(() => expect([...replay, ...sub.seqs()]).toEqual(range(from + 1, total)));
      }
    });

    it('stops delivering to a subscriber once it unsubscribes, and keeps delivering to the others', async () => {
      const h = await hub();
      const leaving = collector();
      const staying = collector();
      await h.subscribe('c', leaving);
      await h.subscribe('c', staying);
      await h.publish('c', 'sync:progress', {});
      await eventually(() => expect(leaving.seqs()).toEqual([1]));
      h.unsubscribe('c', leaving);
      await publishMany(h, 'c', 2);
      await eventually(() => expect(staying.seqs()).toEqual([1, 2, 3]));
      await sleep(100);
      expect(leaving.seqs()).toEqual([1]);
      h.unsubscribe('c', staying);
      h.unsubscribe('c', staying);
      h.unsubscribe('never-subscribed', staying);
    });

    it('delivers nothing more after close', async () => {
      const h = await hub();
      const a = collector();
      await h.subscribe('c', a);
      await h.publish('c', 'sync:progress', {});
      await eventually(() => expect(a.seqs()).toEqual([1]));
      await factory.dispose(h);
      await h.publish('c', 'sync:progress', {}).catch(() => undefined);
      await sleep(100);
      expect(a.seqs()).toEqual([1]);
    });
  });
}
