/**
 * The Redis hub against the shared channel hub contract, then what only a shared engine can
 * promise: several instances on one Redis, and Redis going away and coming back. Real
 * redis-server processes (test/helpers/redis.ts); skipped, with the reason printed, when there is
 * none.
 */
import { cp, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient } from '@redis/client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ChannelEvent, ChannelHub } from '../../../../reference/server/hub.js';
import { createRedisHub, EngineErrorCode, type RedisHub, type RedisHubOptions, type ResyncingSubscriber } from '../../../../reference/server/engines/redis/index.js';
import type { ResyncReason } from '../../../../reference/protocol/index.js';
import { redisAvailability, startRedisServer, type RedisServer } from '../../../helpers/redis.js';
import { collector, eventually, hubContract, publishMany, range } from './hub-contract.js';

const redis = await redisAvailability();
if (!redis.available) console.info(`redis-hub contract: skipped, ${redis.reason}`);
const binary = redis.available ? redis.binary : '';

/** A collector that also records the resyncs it is told about. */
function resyncingCollector(): ResyncingSubscriber & { events: ChannelEvent[]; resyncs: Array<{ reason: ResyncReason; epoch: string; seq: number }>; seqs(): number[] } {
  const events: ChannelEvent[] = [];
  const resyncs: Array<{ reason: ResyncReason; epoch: string; seq: number }> = [];
  return { events, resyncs, deliver: (e) => events.push(e), resync: (reason, epoch, seq) => resyncs.push({ reason, epoch, seq }), seqs: () => events.map((e) => e.seq) };
}

/** Publishes until Redis takes it (it is coming back), at most `timeoutMs`. */
async function publishWhenBack(hub: ChannelHub, channel: string, payload: unknown, timeoutMs = 10_000): Promise<ChannelEvent> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await hub.publish(channel, 'sync:progress', payload);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(50);
    }
  }
}

describe.skipIf(!redis.available)('Redis hub', () => {
  let server: RedisServer;
  let prefix = '';
  let tests = 0;

  beforeAll(async () => {
    server = await startRedisServer(binary);
  });
  afterAll(async () => {
    await server?.stop();
  });
  beforeEach(() => {
    tests += 1;
    prefix = `t${tests}:`;
  });

  hubContract('redis', {
    create: ({ replayBufferSize }) => createRedisHub({ url: server.url, prefix, replayBufferSize, channelTtlMs: 60_000 }),
    dispose: (hub) => hub.close(),
    trimmingCount: 250,
  });

  describe('several instances on one Redis', () => {
    const hubs: RedisHub[] = [];
    const instance = async (options: Partial<RedisHubOptions> = {}): Promise<RedisHub> => {
      const hub = await createRedisHub({ url: server.url, prefix, replayBufferSize: 100, channelTtlMs: 60_000, ...options });
      hubs.push(hub);
      return hub;
    };
    afterEach(async () => {
      await Promise.all(hubs.splice(0).map((hub) => hub.close()));
    });

    it('delivers an event published on A to a subscriber on B, under the seq and epoch A got', async () => {
      const [a, b] = [await instance(), await instance()];
      const onB = collector();
      const outcome = await b.subscribe('orders:7', onB);
      const published = await a.publish('orders:7', 'order:paid', { total: 3 }, { eventId: 'x1' });
      expect(published).toMatchObject({ seq: 1, epoch: outcome.epoch });
      await eventually(() => expect(onB.events).toHaveLength(1));
      expect(onB.events[0]).toMatchObject({ channel: 'orders:7', type: 'order:paid', seq: 1, epoch: outcome.epoch, payload: { total: 3 }, eventId: 'x1' });
      expect(await b.newestEvent('orders:7')).toMatchObject({ seq: 1, payload: { total: 3 } });
      expect(await b.newestEvent('nothing-here')).toBeUndefined();
    });

    it('resumes on B from a seq seen on A with exactly the missing events, then live', async () => {
      const [a, b] = [await instance(), await instance()];
      const onA = collector();
      await a.subscribe('c', onA);
      await publishMany(a, 'c', 5);
      await eventually(() => expect(onA.seqs()).toEqual([1, 2, 3, 4, 5]));
      const lastSeen = onA.events[4] as ChannelEvent;
      await publishMany(a, 'c', 3); // while the client is away (its instance died, say)
      const onB = collector();
      const resumed = await b.subscribe('c', onB, { fromSeq: lastSeen.seq, epoch: lastSeen.epoch });
      expect(resumed).toMatchObject({ epoch: lastSeen.epoch, seq: 8, resync: undefined });
      expect(resumed.replay.map((e) => e.seq)).toEqual([6, 7, 8]);
      expect(resumed.replay.map((e) => e.payload)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
      await publishMany(a, 'c', 2);
      await eventually(() => expect(onB.seqs()).toEqual([9, 10]));
    });

    it('numbers concurrent publishes from two instances in one seq space, and both deliver the same order', async () => {
      const [a, b] = [await instance(), await instance()];
      const onA = collector();
      const onB = collector();
      await a.subscribe('shared', onA);
      await b.subscribe('shared', onB);
      const seqs = (await Promise.all([publishMany(a, 'shared', 60), publishMany(b, 'shared', 60)])).flat();
      expect([...seqs].sort((x, y) => x - y)).toEqual(range(1, 120));
      await eventually(() => expect(onA.seqs()).toEqual(range(1, 120)));
      await eventually(() => expect(onB.seqs()).toEqual(range(1, 120)));
      expect(onA.events.map((e) => JSON.stringify(e.payload))).toEqual(onB.events.map((e) => JSON.stringify(e.payload)));
    });

    it('catches a subscriber up, in order and once, after its pub/sub connection was cut while events were published', async () => {
      const [a, b] = [await instance(), await instance()];
      const onB = collector();
      await b.subscribe('c', onB);
      await publishMany(a, 'c', 3);
      await eventually(() => expect(onB.seqs()).toEqual([1, 2, 3]));
      const admin = createClient({ url: server.url });
      await admin.connect();
      try {
        // Cut every pub/sub connection, and publish while B's is down (all at once: B reconnects within milliseconds).
        await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
        const seqs = await Promise.all(range(1, 5).map((i) => a.publish('c', 'sync:progress', { i }).then((e) => e.seq)));
        expect(seqs).toEqual(range(4, 8));
      } finally {
        await admin.close();
      }
      await eventually(() => expect(onB.seqs()).toEqual(range(1, 8)));
      await publishMany(a, 'c', 2);
      await eventually(() => expect(onB.seqs()).toEqual(range(1, 10)));
    });

    it('keeps a channel someone is subscribed to beyond its TTL, and forgets an idle one (a resume is then a resync)', async () => {
      const a = await instance({ channelTtlMs: 200 });
      const held = collector();
      await a.subscribe('held', held);
      const first = await a.publish('held', 'sync:progress', {});
      const idle = await a.publish('idle', 'sync:progress', {});
      await sleep(600);
      expect(await a.publish('held', 'sync:progress', {})).toMatchObject({ seq: 2, epoch: first.epoch });
      await eventually(() => expect(held.seqs()).toEqual([1, 2]));
      const late = await a.subscribe('idle', collector(), { fromSeq: 1, epoch: idle.epoch });
      expect(late).toMatchObject({ seq: 0, resync: 'epoch-changed' });
      expect(late.epoch).not.toBe(idle.epoch);
    });
  });

  describe('Redis going away', () => {
    const hubs: RedisHub[] = [];
    let own: RedisServer | undefined;
    const instance = async (url: string): Promise<RedisHub> => {
      const hub = await createRedisHub({ url, prefix, replayBufferSize: 100, channelTtlMs: 60_000 });
      hubs.push(hub);
      return hub;
    };
    afterEach(async () => {
      await Promise.all(hubs.splice(0).map((hub) => hub.close()));
      await own?.stop();
      own = undefined;
    });

    it('fails to start with ENGINE_UNAVAILABLE when Redis cannot be reached', async () => {
      const down = await startRedisServer(binary);
      await down.stop();
      await expect(createRedisHub({ url: down.url, replayBufferSize: 4, channelTtlMs: 1_000, connectTimeoutMs: 500 })).rejects.toMatchObject({ code: EngineErrorCode.unavailable, retryable: true });
    });

    it('with persistence: publishes fail with a retryable ENGINE_UNAVAILABLE while it is down, then both instances go on in the same epoch with nothing lost or repeated', async () => {
      own = await startRedisServer(binary, { appendonly: true });
      const [a, b] = [await instance(own.url), await instance(own.url)];
      const onB = collector();
      await b.subscribe('c', onB);
      const { epoch } = await a.publish('c', 'sync:progress', { i: 0 });
      await publishMany(a, 'c', 4);
      await eventually(() => expect(onB.seqs()).toEqual(range(1, 5)));

      await own.kill();
      await expect(a.publish('c', 'sync:progress', {})).rejects.toMatchObject({ code: EngineErrorCode.unavailable, retryable: true });
      await expect(b.subscribe('c', collector())).rejects.toMatchObject({ code: EngineErrorCode.unavailable });
      await own.start();

      const back = await publishWhenBack(a, 'c', { i: 5 });
      expect(back).toMatchObject({ seq: 6, epoch });
      // Each instance reconnects on its own schedule: b may still be offline when a is back.
      await publishWhenBack(b, 'c', { i: 6 });
      await publishMany(b, 'c', 1);
      await eventually(() => expect(onB.seqs()).toEqual(range(1, 8)));
      expect(onB.events.every((e) => e.epoch === epoch)).toBe(true);
      const resumed = await b.subscribe('c', collector(), { fromSeq: 2, epoch });
      expect(resumed.replay.map((e) => e.seq)).toEqual(range(3, 8));
    });

    it('with persistence that lost its last writes: the same epoch would name other events, so the channel moves to a new one and live subscribers are told', async () => {
      own = await startRedisServer(binary, { appendonly: true });
      const [a, b] = [await instance(own.url), await instance(own.url)];
      const onB = resyncingCollector();
      await b.subscribe('c', onB);
      const { epoch } = await a.publish('c', 'sync:progress', {});
      await publishMany(a, 'c', 2);
      const saved = path.join(own.dir, 'saved-aof');
      await cp(path.join(own.dir, 'appendonlydir'), saved, { recursive: true });
      await publishMany(a, 'c', 2);
      await eventually(() => expect(onB.seqs()).toEqual(range(1, 5)));

      // Redis comes back with its state of seq 3: seqs 4 and 5 are gone under the same epoch.
      await own.kill();
      await rm(path.join(own.dir, 'appendonlydir'), { recursive: true });
      await cp(saved, path.join(own.dir, 'appendonlydir'), { recursive: true });
      await own.start();
      await eventually(() => expect(onB.resyncs).toHaveLength(1), 10_000);
      const resync = onB.resyncs[0] as { reason: ResyncReason; epoch: string; seq: number };
      expect(resync).toMatchObject({ reason: 'epoch-changed', seq: 3 });
      expect(resync.epoch).not.toBe(epoch);
      const next = await publishWhenBack(a, 'c', { after: 'rollback' });
      expect(next).toMatchObject({ epoch: resync.epoch, seq: 4 });
      await eventually(() => expect(onB.events.at(-1)).toMatchObject({ epoch: resync.epoch, seq: 4, payload: { after: 'rollback' } }));
      expect(await a.subscribe('c', collector(), { fromSeq: 5, epoch })).toMatchObject({ epoch: resync.epoch, resync: 'epoch-changed' });
    });

    it('without persistence: the history is gone, so resumes and live subscribers get an honest resync and the channel goes on in a new epoch', async () => {
      own = await startRedisServer(binary, { appendonly: false });
      const [a, b] = [await instance(own.url), await instance(own.url)];
      const onB = resyncingCollector();
      await b.subscribe('c', onB);
      const { epoch: oldEpoch } = await a.publish('c', 'sync:progress', {});
      await publishMany(a, 'c', 2);
      await eventually(() => expect(onB.seqs()).toEqual([1, 2, 3]));

      await own.kill();
      await own.start();
      const first = await publishWhenBack(a, 'c', { after: 'restart' });
      expect(first.epoch).not.toBe(oldEpoch);
      await eventually(() => expect(onB.resyncs).toHaveLength(1));
      expect(onB.resyncs[0]).toMatchObject({ reason: 'epoch-changed', epoch: first.epoch });
      await publishMany(a, 'c', 2);
      await eventually(() => expect(onB.events.filter((e) => e.epoch === first.epoch).map((e) => e.seq)).toEqual(range((onB.resyncs[0]?.seq ?? 0) + 1, first.seq + 2)));
      expect(await a.subscribe('c', collector(), { fromSeq: 3, epoch: oldEpoch })).toMatchObject({ epoch: first.epoch, resync: 'epoch-changed' });
    });
  });
});
