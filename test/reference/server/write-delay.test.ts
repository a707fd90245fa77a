import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { WSMessage } from '../../../reference/protocol/index.js';
import { gatewaysPerTest } from '../../helpers/gateways.js';
import { RawClient } from './raw-client.js';

const start = gatewaysPerTest();

/** A subscribed client that notes when each frame arrived: frames of one write arrive in one read, at the same moment. */
async function subscribedClient(url: string, channel: string): Promise<{ client: RawClient; arrivals: Map<WSMessage, number> }> {
  const client = await RawClient.connect(url);
  const arrivals = new Map<WSMessage, number>();
  client.ws.on('message', () => arrivals.set(client.messages[client.messages.length - 1] as WSMessage, performance.now()));
  expect((await client.request('subscribe', null, channel)).type).toBe('reply');
  return { client, arrivals };
}

const at = (arrivals: Map<WSMessage, number>, message: WSMessage): number => arrivals.get(message) as number;

describe('writeDelayMs: events written together', () => {
  it('holds events published in different turns and writes them together once the delay has passed', async () => {
    const gateway = await start({ channels: ['feed'], writeDelayMs: 200 });
    const { client, arrivals } = await subscribedClient(gateway.url, 'feed');
    const publishedAt = performance.now();
    await gateway.publish('feed', 'tick', 1);
    await nextTurn();
    await gateway.publish('feed', 'tick', 2);
    const first = await client.next((m) => m.type === 'tick' && m.payload === 1);
    const second = await client.next((m) => m.type === 'tick' && m.payload === 2);
    // A timer may fire a millisecond early, never later than it must be asked.
    expect(at(arrivals, first) - publishedAt).toBeGreaterThanOrEqual(195);
    // One write: both frames in the same read.
    expect(Math.abs(at(arrivals, second) - at(arrivals, first))).toBeLessThan(20);
    expect(client.events('feed', ['tick']).map((m) => m.seq)).toEqual([1, 2]);
    client.close();
  });

  it('never holds a reply: it goes out at once, after the events held before it', async () => {
    const gateway = await start({ channels: ['feed'], writeDelayMs: 1_000 });
    const { client, arrivals } = await subscribedClient(gateway.url, 'feed');
    await gateway.publish('feed', 'tick', 1);
    const sentAt = performance.now();
    const reply = await client.request('echo', 'now', 'feed');
    expect(at(arrivals, reply) - sentAt).toBeLessThan(900);
    const order = client.messages.map((m) => m.type);
    expect(order.indexOf('tick')).toBeGreaterThan(-1);
    expect(order.indexOf('tick')).toBeLessThan(order.lastIndexOf('reply'));
    client.close();
  });

  it('holds at most 16 events of a connection before writing them out', async () => {
    const gateway = await start({ channels: ['feed'], writeDelayMs: 1_000 });
    const { client } = await subscribedClient(gateway.url, 'feed');
    const publishedAt = performance.now();
    for (let i = 1; i <= 16; i += 1) {
      await gateway.publish('feed', 'tick', i);
      await nextTurn();
    }
    await client.next((m) => m.type === 'tick' && m.payload === 16);
    expect(performance.now() - publishedAt).toBeLessThan(900);
    expect(client.events('feed', ['tick']).map((m) => m.payload)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    client.close();
  });

  it('writes the held events before the drain notice when the gateway drains', async () => {
    const gateway = await start({ channels: ['feed'], writeDelayMs: 1_000 });
    const { client } = await subscribedClient(gateway.url, 'feed');
    await gateway.publish('feed', 'tick', 1);
    await gateway.drain({ windowMs: 0, timeoutMs: 5_000 });
    await client.closed;
    expect(client.messages.filter((m) => m.type === 'tick' || m.type === 'drain').map((m) => m.type)).toEqual(['tick', 'drain']);
  });

  it('refuses a delay outside 0 to 1000 ms, naming the option', async () => {
    for (const writeDelayMs of [-1, 1_001, 2.5]) {
      await expect(start({ writeDelayMs })).rejects.toThrow(/writeDelayMs.*0 to 1000/);
    }
  });
});
