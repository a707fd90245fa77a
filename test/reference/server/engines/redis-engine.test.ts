/**
 * The Redis engine's parts besides the hub, on a real redis-server: its status store against the
 * status store contract, then what only a shared store needs — job leases, fenced status writes,
 * cancels passed between instances, and one flag for every instance. Skipped, with the reason
 * printed, without redis-server.
 */
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { openRedisEngine, type RedisEngine } from '../../../../reference/server/engines/redis/engine.js';
import { LEASE_LOST } from '../../../../reference/server/job-leases.js';
import { redisAvailability, startRedisServer, type RedisServer } from '../../../helpers/redis.js';
import { record, statusStoreContract } from './status-store-contract.js';

const redis = await redisAvailability();
if (!redis.available) console.info(`redis-engine: skipped, ${redis.reason}`);

describe.skipIf(!redis.available)('Redis engine', () => {
  let server: RedisServer;
  const engines: RedisEngine[] = [];
  let prefixes = 0;

  /** An instance's engine; `prefix` shares one deployment's keys between instances. */
  const engine = async (prefix = `e${(prefixes += 1)}:`, jobLeaseMs = 5_000): Promise<RedisEngine> => {
    const made = await openRedisEngine({ url: server.url, prefix, replayBufferSize: 100, channelTtlMs: 60_000, instance: `i${engines.length}`, jobLeaseMs });
    engines.push(made);
    return made;
  };

  beforeAll(async () => {
    server = await startRedisServer(redis.available ? redis.binary : '');
  });
  afterAll(async () => {
    for (const each of engines.splice(0)) await each.close();
    await server?.stop();
  });

  statusStoreContract('redis', async () => (await engine()).store);

  it('a lease has one holder: the others learn its value; only the holder renews, renames or releases it; it expires', async () => {
    const [a, b] = [await engine('lease:', 300), await engine('lease:', 300)];
    expect(await a.leases.acquire('42', 'a.1|')).toEqual({ acquired: true, value: 'a.1|' });
    expect(await b.leases.acquire('42', 'b.1|')).toEqual({ acquired: false, value: 'a.1|' });
    expect(await b.leases.update('42', 'b.1|', 'b.1|r-x')).toBe(false);
    expect(await a.leases.update('42', 'a.1|', 'a.1|r-1')).toBe(true);
    expect(await b.leases.holder('42')).toBe('a.1|r-1');
    expect(await b.leases.renew('42', 'b.1|')).toBe(false);
    await b.leases.release('42', 'b.1|');
    expect(await a.leases.renew('42', 'a.1|r-1')).toBe(true);
    // Not renewed: it expires, and another instance takes it.
    await vi.waitFor(async () => expect(await b.leases.acquire('42', 'b.2|')).toMatchObject({ acquired: true }), { timeout: 5_000, interval: 50 });
    await a.leases.release('42', 'a.1|r-1');
    expect(await a.leases.holder('42')).toBe('b.2|');
  });

  it('refuses a fenced status write (LEASE_LOST) from an instance that no longer holds the run, and keeps the holder\'s progress', async () => {
    const [a, b] = [await engine('fence:'), await engine('fence:')];
    await a.leases.acquire('7', 'a.1|r-7');
    await a.store.set(record(7, 'running', 40), { job: '7', holder: 'a.1|r-7' });
    await expect(b.store.set(record(7, 'running', 10), { job: '7', holder: 'b.1|r-7' })).rejects.toMatchObject({ code: LEASE_LOST });
    expect(await b.store.get(7)).toMatchObject({ processed: 40 });
    expect((await b.store.listRunning?.())?.map((each) => each.chatId)).toEqual([7]);
  });

  it('passes a cancel to every instance listening', async () => {
    const [a, b] = [await engine('cancel:'), await engine('cancel:')];
    const heard: string[] = [];
    b.leases.onCancelRequest((job) => heard.push(job));
    // The subscription is set up in the background: ask until it hears.
    await vi.waitFor(
      async () => {
        await a.leases.requestCancel('9');
        expect(heard).toContain('9');
      },
      { timeout: 5_000, interval: 100 },
    );
  });

  it('shares one flag: the first instance sets it, later ones follow it whatever their own start value, and a change reaches all', async () => {
    const [a, b] = [await engine('flag:'), await engine('flag:')];
    const seenByB: number[] = [];
    expect(await a.flag.follow('USE_NEW_WS_SYNC', 100, () => undefined)).toBe(100);
    expect(await b.flag.follow('USE_NEW_WS_SYNC', 0, (percentage) => seenByB.push(percentage))).toBe(100);
    await a.flag.set('USE_NEW_WS_SYNC', 0);
    await vi.waitFor(() => expect(seenByB).toEqual([0]), { timeout: 5_000 });
  });

  it('shares a percentage, stored as the env files write it (true and false at the ends, as older instances read them), and follows what an older instance writes', async () => {
    const [a, b] = [await engine('pct:'), await engine('pct:')];
    const seenByB: number[] = [];
    const raw = createClient({ url: server.url });
    await raw.connect();
    const key = 'pct:{flag}:USE_NEW_WS_SYNC';
    try {
      expect(await a.flag.follow('USE_NEW_WS_SYNC', 25, () => undefined)).toBe(25);
      expect(await b.flag.follow('USE_NEW_WS_SYNC', 100, (percentage) => seenByB.push(percentage))).toBe(25);
      expect(await raw.get(key)).toBe('25%');
      await a.flag.set('USE_NEW_WS_SYNC', 100);
      await vi.waitFor(() => expect(seenByB).toEqual([100]), { timeout: 5_000 });
      expect(await raw.get(key)).toBe('true');
      // An instance from before percentages writes true/false (and publishes it); the poll reads a bare number too.
      await raw.set(key, 'false');
      await raw.publish('pct:{flag}:changes', 'USE_NEW_WS_SYNC=false');
      await vi.waitFor(() => expect(seenByB).toEqual([100, 0]), { timeout: 5_000 });
      await raw.set(key, '40');
      await vi.waitFor(() => expect(seenByB).toEqual([100, 0, 40]), { timeout: 5_000 });
    } finally {
      await raw.close();
    }
  });
});
