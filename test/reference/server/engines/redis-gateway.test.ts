/**
 * `createGateway({ redis })`: an app's own gateways, one per instance, on one Redis — an event
 * published on one reaches a subscriber of the other, and a subscriber that moves resumes there.
 * Skipped, with the reason printed, without redis-server.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WSClient, waitForOpen } from '../../../../reference/client/node.js';
import { createGateway, type Gateway } from '../../../../reference/server/index.js';
import { freePort } from '../../../helpers/free-port.js';
import { redisAvailability, startRedisServer, type RedisServer } from '../../../helpers/redis.js';

const redis = await redisAvailability();
if (!redis.available) console.info(`redis-gateway: skipped, ${redis.reason}`);

describe.skipIf(!redis.available)('createGateway on the Redis engine', () => {
  let server: RedisServer;
  const gateways: Gateway[] = [];
  const clients: WSClient[] = [];

  const gateway = async (): Promise<Gateway> => {
    const made = await createGateway({ port: 0, channels: ['orders:*'], redis: { url: server.url, prefix: 'gw:' } });
    gateways.push(made);
    return made;
  };
  const client = async (url: string): Promise<WSClient> => {
    const made = new WSClient({ url });
    made.on('error', () => undefined);
    clients.push(made);
    await waitForOpen(made, { timeoutMs: 5_000 });
    return made;
  };

  beforeAll(async () => {
    server = await startRedisServer(redis.available ? redis.binary : '');
  });
  afterAll(async () => {
    for (const each of clients) each.close();
    for (const each of gateways) await each.close();
    await server?.stop();
  });

  it('delivers what one gateway publishes to the other\'s subscribers, under one seq space, and a subscriber that moves resumes with what it missed', async () => {
    const [a, b] = [await gateway(), await gateway()];
    const onB = await client(b.url as string);
    const seenOnB: Array<[number, unknown]> = [];
    onB.subscribe('orders:7', (message) => seenOnB.push([message.seq as number, message.payload]));
    let base = 0;
    await vi.waitFor(async () => {
      base = (await a.publish('orders:7', 'order:paid', { n: 0 })).seq;
      expect(seenOnB.length).toBeGreaterThan(0);
    }, { timeout: 5_000, interval: 100 });
    await vi.waitFor(() => expect(seenOnB.at(-1)?.[0]).toBe(base), { timeout: 5_000 });
    // Live from its subscribe on: the first publishes may have come before it.
    const published = [];
    for (let n = 1; n <= 5; n += 1) published.push(await a.publish('orders:7', 'order:paid', { n }));
    expect(published.map((p) => p.seq)).toEqual(Array.from({ length: 5 }, (_, i) => base + i + 1));
    await vi.waitFor(() => expect(seenOnB.at(-1)?.[0]).toBe(base + 5), { timeout: 5_000 });
    const from = seenOnB[0]?.[0] as number;
    expect(seenOnB.map(([seq]) => seq)).toEqual(Array.from({ length: base + 5 - from + 1 }, (_, i) => from + i));

    // The subscriber leaves B; events go on (published on B now); it comes back on A with where it was.
    const lastSeen = base + 5;
    onB.close();
    for (let n = 6; n <= 8; n += 1) await b.publish('orders:7', 'order:paid', { n });
    const onA = await client(a.url as string);
    const resumed: number[] = [];
    onA.subscribe('orders:7', (message) => resumed.push(message.seq as number), { fromSeq: lastSeen, epoch: published[0]?.epoch });
    await vi.waitFor(() => expect(resumed).toEqual([lastSeen + 1, lastSeen + 2, lastSeen + 3]), { timeout: 5_000 });
  });

  it('refuses to start when Redis cannot be reached, saying which URL and what to check', async () => {
    const port = await freePort();
    await expect(createGateway({ port: 0, redis: { url: `redis://127.0.0.1:${port}`, connectTimeoutMs: 300 } })).rejects.toThrow(`cannot reach Redis at redis://127.0.0.1:${port}`);
  });
});
