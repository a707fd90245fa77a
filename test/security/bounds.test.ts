/**
 * Attack tests: a subscription flood and a channel flood against real servers on port 0. Each
 * over-limit case is answered with its documented code, and the server stays up and within bounds.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { WSMessage } from '../../reference/protocol/index.js';
import { gatewaysPerTest } from '../helpers/gateways.js';
import { serversPerTest } from '../helpers/reference-servers.js';
import { RawClient, serves } from '../reference/server/raw-client.js';
import { readSse } from '../reference/server/sse-reader.js';

const gateway = gatewaysPerTest();
const { start } = serversPerTest({ sync: { totalMessages: 10, batchSize: 1, batchDelayMs: 5 } });

/**
 * Sends frames as fast as the socket takes them and counts the answers by type and error code, until
 * `expected` answers came. Fails when no answer came for `stallMs`: a stall, not a slow machine.
 */
async function flood(ws: WebSocket, frames: Iterable<unknown>, expected: number, stallMs = 15_000): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let answers = 0;
  const done = new Promise<void>((resolve, reject) => {
    const stalled = (): NodeJS.Timeout => setTimeout(() => reject(new Error(`only ${answers} of ${expected} answers, none for ${stallMs} ms: ${JSON.stringify([...counts])}`)), stallMs);
    let timer = stalled();
    const onMessage = (data: Buffer): void => {
      const message = JSON.parse(String(data)) as WSMessage;
      if (message.type !== 'reply' && message.type !== 'error') return;
      const key = message.type === 'error' ? (message.error?.code ?? 'error') : 'reply';
      counts.set(key, (counts.get(key) ?? 0) + 1);
      answers += 1;
      clearTimeout(timer);
      if (answers >= expected) {
        ws.off('message', onMessage);
        resolve();
        return;
      }
      timer = stalled();
    };
    ws.on('message', onMessage);
  });
  for (const frame of frames) ws.send(JSON.stringify(frame));
  await done;
  return counts;
}

function* subscribes(prefix: string, count: number, from = 0): Generator<unknown> {
  for (let i = from; i < from + count; i += 1) yield { id: `s${i}`, channel: `${prefix}${i}`, type: 'subscribe', payload: null };
}

/** The hub's figures from the server's own metrics (`wsmig_hub_*`). */
async function hubFigures(text: string): Promise<{ channels: number; replayBytes: number; evicted: number; refused: number }> {
  const value = (pattern: RegExp): number => Number(pattern.exec(text)?.[1] ?? Number.NaN);
  return {
    channels: value(/^wsmig_hub_channels (\d+)/m),
    replayBytes: value(/^wsmig_hub_replay_bytes (\d+)/m),
    evicted: value(/^wsmig_hub_evictions_total\{kind="channel"\} (\d+)/m),
    refused: value(/^wsmig_hub_evictions_total\{kind="refused"\} (\d+)/m),
  };
}

/** A legacy SSE server for the bridge: every path is an open stream that says hello once. */
async function sseUpstream(): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createHttpServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(`id: 1\ndata: hello ${req.url}\n\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('subscription flood (maxSubscriptionsPerConnection)', () => {
  it('answers 10,000 subscribes from one connection: the first 100 subscribed, the rest TOO_MANY_SUBSCRIPTIONS, and the connection and server stay healthy', async () => {
    const s = await start({ rateLimit: 0 });
    const client = await RawClient.connect(s.wsUrl);
    const counts = await flood(client.ws, subscribes('sync:flood-', 10_000), 10_000);
    expect(counts.get('reply')).toBe(100);
    expect(counts.get('TOO_MANY_SUBSCRIPTIONS')).toBe(9_900);
    // The same connection still works, and an unsubscribe frees a place.
    expect((await client.request('echo', { ok: 1 })).type).toBe('reply');
    expect((await client.request('unsubscribe', null, 'sync:flood-0')).payload).toEqual({ channel: 'sync:flood-0', unsubscribed: true });
    const again = await client.request('subscribe', null, 'sync:flood-9999');
    expect(again.type).toBe('reply');
    const refused = await client.request('subscribe', null, 'sync:flood-10000');
    expect(refused.error).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS', retryable: false });
    expect(await serves(s.wsUrl)).toBe(true);
    const health = await fetch(`${s.url}/health`);
    expect(health.status).toBe(200);
    // Refused subscribes leave nothing behind in the hub.
    const figures = await hubFigures(await s.registry.metrics());
    expect(figures.channels).toBeLessThanOrEqual(101);
    client.close();
  }, 30_000);

  it('with the default rate limit, a flood is dropped (RATE_LIMITED) and the connection closed with 4200; the server serves the next client', async () => {
    const s = await start();
    const client = await RawClient.connect(s.wsUrl);
    for (const frame of subscribes('sync:burst-', 10_000)) client.send(frame);
    expect((await client.closed).code).toBe(4200);
    expect(client.messages.some((m) => m.error?.code === 'RATE_LIMITED')).toBe(true);
    expect(await serves(s.wsUrl)).toBe(true);
  }, 30_000);

  it('counts bridged sse: channels against the same cap', async () => {
    const upstream = await sseUpstream();
    try {
      const g = await gateway({ upstream: upstream.url, maxSubscriptionsPerConnection: 5, rateLimit: 0 });
      const client = await RawClient.connect(g.url);
      const counts = await flood(client.ws, subscribes('sse:/stream?i=', 12), 12);
      expect(counts.get('reply')).toBe(5);
      expect(counts.get('TOO_MANY_SUBSCRIPTIONS')).toBe(7);
      // Re-subscribing to a channel it has replaces it and does not count twice.
      expect((await client.request('subscribe', null, 'sse:/stream?i=0')).type).toBe('reply');
      expect(g.bridge?.upstreamStreams).toBeLessThanOrEqual(5);
      client.close();
    } finally {
      await upstream.close();
    }
  }, 30_000);
});

describe('channel flood (maxChannels, maxReplayBytes)', () => {
  const maxChannels = 1_000;
  const maxReplayBytes = 200_000;

  it('publishes on 100,000 distinct channels across four connections and keeps the hub within maxChannels and maxReplayBytes', async () => {
    const g = await gateway({ channels: ['c:*'], rateLimit: 0, maxChannels, maxReplayBytes, replayBufferSize: 16, maxSubscriptionsPerConnection: 10 });
    g.handle('app:publish', (payload) => {
      const { n } = payload as { n: number };
      return g.publish(`c:${n}`, 'tick', { n, pad: 'x'.repeat(200) });
    });
    const heapBefore = process.memoryUsage().heapUsed;
    const clients = await Promise.all([0, 1, 2, 3].map(() => RawClient.connect(g.url)));
    // Each connection also holds ten busy channels: they are never evicted.
    await Promise.all(clients.map((client, k) => flood(client.ws, subscribes(`c:busy-${k}-`, 10), 10)));
    const perClient = 25_000;
    const outcomes = await Promise.all(
      clients.map((client, k) => {
        const frames = (function* () {
          for (let i = 0; i < perClient; i += 1) yield { id: `p${i}`, channel: 'app', type: 'app:publish', payload: { n: k * perClient + i } };
        })();
        return flood(client.ws, frames, perClient);
      }),
    );
    for (const counts of outcomes) expect(counts.get('reply')).toBe(perClient);
    const figures = await hubFigures(await g.registry.metrics());
    expect(figures.channels).toBeLessThanOrEqual(maxChannels);
    expect(figures.replayBytes).toBeLessThanOrEqual(maxReplayBytes);
    expect(figures.evicted).toBeGreaterThanOrEqual(100_000 - maxChannels);
    // The busy channels survived the flood: publishing on one reaches its subscriber.
    await g.publish('c:busy-0-3', 'tick', { still: 'here' });
    await clients[0]?.next((m) => m.channel === 'c:busy-0-3' && m.type === 'tick');
    // The process did not keep the flood: what the hub holds is bounded, whatever was published.
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    expect(heapGrowth).toBeLessThan(256 * 1024 * 1024);
    for (const client of clients) client.close();
    // Generous: a loaded machine is slow, and only a stall (see flood) is a failure.
  }, 120_000);

  it('refuses a new channel with TOO_MANY_CHANNELS (retryable) when every channel is busy, and opens it once one is idle', async () => {
    const g = await gateway({ channels: ['c:*'], maxChannels: 10, maxSubscriptionsPerConnection: 20 });
    g.handle('app:publish', (payload) => g.publish(`c:${(payload as { n: number }).n}`, 'tick', null));
    const holder = await RawClient.connect(g.url);
    const counts = await flood(holder.ws, subscribes('c:', 10), 10);
    expect(counts.get('reply')).toBe(10);
    const other = await RawClient.connect(g.url);
    const refused = await other.request('subscribe', null, 'c:new');
    expect(refused.error).toMatchObject({ code: 'TOO_MANY_CHANNELS', retryable: true });
    const publishRefused = await other.request('app:publish', { n: 99 }, 'app');
    expect(publishRefused.error).toMatchObject({ code: 'TOO_MANY_CHANNELS', retryable: true });
    expect((await holder.request('unsubscribe', null, 'c:0')).type).toBe('reply');
    expect((await other.request('subscribe', null, 'c:new')).type).toBe('reply');
    holder.close();
    other.close();
  });

  it('tells a client resuming an evicted channel to resync (WebSocket and SSE), with the chat status as snapshot', async () => {
    const s = await start({ maxChannels: 20, rateLimit: 0, maxSubscriptionsPerConnection: 200 });
    const client = await RawClient.connect(s.wsUrl);
    expect((await client.request('subscribe', null, 'sync:7')).type).toBe('reply');
    await client.request('sync:start', { chatId: 7 }, 'sync');
    await client.next((m) => m.channel === 'sync:7' && m.type === 'sync:complete');
    const seen = client.events('sync:7');
    const early = seen[2] as WSMessage;
    expect((await client.request('unsubscribe', null, 'sync:7')).type).toBe('reply');
    // Other chats' channels, each subscribed and left, push the idle sync:7 out.
    for (let round = 0; round < 10; round += 1) {
      expect((await flood(client.ws, subscribes('sync:other-', 10, round * 10), 10)).get('reply')).toBe(10);
      const leave = [...subscribes('sync:other-', 10, round * 10)].map((frame) => ({ ...(frame as object), type: 'unsubscribe' }));
      expect((await flood(client.ws, leave, 10)).get('reply')).toBe(10);
    }
    expect((await hubFigures(await s.registry.metrics())).channels).toBeLessThanOrEqual(20);

    const resumed = await client.request('subscribe', { fromSeq: early.seq, epoch: early.epoch }, 'sync:7');
    expect(resumed.type).toBe('reply');
    const resync = await client.next((m) => m.id === resumed.id && m.type === 'resync');
    expect(resync.payload).toMatchObject({ reason: 'too-old', seq: seen.at(-1)?.seq, snapshot: { chatId: 7, syncStatus: 'completed' } });

    const overSse = await readSse(`${s.url}/api/sync/7/events`, { headers: { 'last-event-id': `${early.epoch}-${early.seq}` } });
    expect(overSse.events[0]?.event).toBe('resync');
    expect(JSON.parse(overSse.events[0]?.data ?? '{}')).toMatchObject({ reason: 'too-old', snapshot: { syncStatus: 'completed' } });
    client.close();
  }, 30_000);
});

describe('sync flood (maxRunningSyncs)', () => {
  it('refuses a new sync beyond maxRunningSyncs with TOO_MANY_SYNCS (retryable; SSE 503), still joins a running one, and starts again once one ended', async () => {
    const s = await start({ maxRunningSyncs: 3, rateLimit: 0, sync: { totalMessages: 4, batchSize: 1, batchDelayMs: 100 } });
    const client = await RawClient.connect(s.wsUrl);
    const starts = await flood(client.ws, [1, 2, 3, 4, 5].map((chatId) => ({ id: `st${chatId}`, channel: 'sync', type: 'sync:start', payload: { chatId } })), 5);
    expect(starts.get('reply')).toBe(3);
    expect(starts.get('TOO_MANY_SYNCS')).toBe(2);
    expect((await client.request('sync:start', { chatId: 1 }, 'sync')).payload).toMatchObject({ status: 'running' });
    const overSse = await fetch(`${s.url}/commands/sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chatId: 6 }) });
    expect(overSse.status).toBe(503);
    expect(overSse.headers.get('retry-after')).not.toBeNull();
    expect(await overSse.json()).toMatchObject({ error: { code: 'TOO_MANY_SYNCS' } });
    expect((await client.request('subscribe', { fromSeq: 0 }, 'sync:1')).type).toBe('reply');
    await client.next((m) => m.channel === 'sync:1' && m.type === 'sync:complete');
    // The run's place frees once it has ended on the server, which may be a moment after its last event arrived here.
    await vi.waitFor(async () => expect((await client.request('sync:start', { chatId: 7 }, 'sync')).type).toBe('reply'), { timeout: 5_000, interval: 20 });
    client.close();
  });
});
