import { describe, expect, it, vi } from 'vitest';
import { serversPerTest } from '../../helpers/reference-servers.js';
import { RawClient, serves, type Closed } from './raw-client.js';

const { start } = serversPerTest();

describe('requests and replies', () => {
  it('echoes a payload with the request id and channel', async () => {
    const { wsUrl } = await start();
    const client = await RawClient.connect(wsUrl);
    const payload = { text: 'x'.repeat(100), n: 7, nested: { list: [1, 2, 3] } };
    const reply = await client.request('echo', payload, 'bench');
    expect(reply).toMatchObject({ type: 'reply', channel: 'bench', payload });
    expect(reply.id).toMatch(/^r\d+$/);
    client.close();
  });

  it('answers an application ping with a pong carrying the same id and the server clock', async () => {
    const { wsUrl } = await start({ clock: () => 1_764_000_000_000 });
    const client = await RawClient.connect(wsUrl);
    client.send({ id: 'p1', channel: 'sys', type: 'ping', payload: null });
    expect(await client.next((m) => m.id === 'p1')).toEqual({ id: 'p1', channel: 'sys', type: 'pong', payload: null, ts: 1_764_000_000_000 });
    client.close();
  });

  it('answers many concurrent requests exactly once each', async () => {
    const { wsUrl } = await start();
    const client = await RawClient.connect(wsUrl);
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => client.request('echo', i)));
    expect(replies.map((r) => r.payload)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(client.messages).toHaveLength(100);
    client.close();
  });
});

describe('bad input gets the documented error, and the server keeps serving others', () => {
  it('malformed JSON → BAD_FRAME with id "0" on channel sys; the connection stays open', async () => {
    const { wsUrl } = await start();
    const client = await RawClient.connect(wsUrl);
    client.send('{"id": "1", oops');
    const error = await client.next((m) => m.type === 'error');
    expect(error).toMatchObject({ id: '0', channel: 'sys', error: { code: 'BAD_FRAME', retryable: false } });
    expect((await client.request('echo', 1)).type).toBe('reply');
    expect(await serves(wsUrl)).toBe(true);
    client.close();
  });

  it('JSON that is not an envelope → BAD_FRAME carrying the id when one could be read', async () => {
    const { wsUrl } = await start();
    const client = await RawClient.connect(wsUrl);
    client.send({ id: 'no-type', channel: 'x', payload: null });
    client.send([1, 2, 3]);
    const first = await client.next((m) => m.id === 'no-type');
    expect(first.error).toMatchObject({ code: 'BAD_FRAME' });
    expect(first.error?.message).toContain('"type"');
    const second = await client.next((m) => m.id === '0');
    expect(second.error?.code).toBe('BAD_FRAME');
    expect(await serves(wsUrl)).toBe(true);
    client.close();
  });

  it('a binary frame → BAD_FRAME', async () => {
    const { wsUrl } = await start();
    const client = await RawClient.connect(wsUrl);
    client.ws.send(Buffer.from('{"id":"1","channel":"x","type":"echo","payload":null}'), { binary: true });
    expect((await client.next((m) => m.type === 'error')).error?.code).toBe('BAD_FRAME');
    client.close();
  });

  it('an unknown type → UNKNOWN_TYPE; a server-only type → RESERVED_TYPE', async () => {
    const { wsUrl } = await start();
    const client = await RawClient.connect(wsUrl);
    const unknown = await client.request('sync:stop', { chatId: 1 }, 'sync');
    expect(unknown).toMatchObject({ type: 'error', channel: 'sync', payload: null, error: { code: 'UNKNOWN_TYPE', retryable: false } });
    for (const reserved of ['reply', 'sync:progress', 'drain', 'resync']) {
      expect((await client.request(reserved, null)).error?.code).toBe('RESERVED_TYPE');
    }
    expect(await serves(wsUrl)).toBe(true);
    client.close();
  });

  it('a payload of the wrong shape → INVALID_PAYLOAD', async () => {
    const { wsUrl } = await start();
    const client = await RawClient.connect(wsUrl);
    expect((await client.request('sync:start', { chatId: 'bad id with spaces' })).error?.code).toBe('INVALID_PAYLOAD');
    expect((await client.request('sync:start', { chatId: 1, options: { batchSize: 0 } })).error?.code).toBe('INVALID_PAYLOAD');
    expect((await client.request('sync:status', null)).error?.code).toBe('INVALID_PAYLOAD');
    expect((await client.request('subscribe', { fromSeq: -1 }, 'sync:1')).error?.code).toBe('INVALID_PAYLOAD');
    client.close();
  });

  it('more than maxBadFrames bad frames within 10 s close the connection with 4100', async () => {
    const { wsUrl } = await start({ maxBadFrames: 5 });
    const client = await RawClient.connect(wsUrl);
    for (let i = 0; i < 6; i += 1) client.send('not json');
    expect((await client.closed).code).toBe(4100);
    expect(client.messages.filter((m) => m.error?.code === 'BAD_FRAME')).toHaveLength(6);
    expect(await serves(wsUrl)).toBe(true);
  });

  it('an oversized frame closes the connection with 1009', async () => {
    const { wsUrl } = await start({ maxPayloadBytes: 1024 });
    const client = await RawClient.connect(wsUrl);
    client.send({ id: 'big', channel: 'x', type: 'echo', payload: 'x'.repeat(2048) });
    expect((await client.closed).code).toBe(1009);
    expect(await serves(wsUrl)).toBe(true);
  });

  it('a flood over the rate limit gets RATE_LIMITED, then a 4200 close', async () => {
    const { wsUrl, registry } = await start({ rateLimit: { messagesPerSecond: 10, burst: 20 } });
    // The bucket's clock (performance.now) stands still from the connection on: exactly the burst passes, however slow the machine.
    vi.useFakeTimers({ toFake: ['performance'] });
    let closed: Closed;
    let client: RawClient;
    try {
      client = await RawClient.connect(wsUrl);
      for (let i = 0; i < 400; i += 1) client.send({ id: `f${i}`, channel: 'x', type: 'echo', payload: i });
      closed = await client.closed;
    } finally {
      vi.useRealTimers();
    }
    expect(closed.code).toBe(4200);
    const limited = client.messages.filter((m) => m.error?.code === 'RATE_LIMITED');
    expect(limited.length).toBe(100);
    expect(limited[0]).toMatchObject({ type: 'error', channel: 'x', error: { retryable: true } });
    const replies = client.messages.filter((m) => m.type === 'reply');
    // The burst passes (the refill at its rate is TokenBucket's test); the rest is dropped, each drop answered with the request's id.
    expect(replies.length).toBe(20);
    expect(new Set(client.messages.map((m) => m.id)).size).toBe(client.messages.length);
    expect(await serves(wsUrl)).toBe(true);
    expect(await registry.getSingleMetricAsString('wsmig_rate_limited_total')).toMatch(/wsmig_rate_limited_total 100\b/);
  });
});

describe('per-connection state created on first use (issue 14: idle memory)', () => {
  it('a connection idle since it opened gets exactly the burst at its first flood, and the rest is RATE_LIMITED', async () => {
    // One token per 100 s: whatever the machine's speed, nothing refills during the test.
    const { wsUrl } = await start({ rateLimit: { messagesPerSecond: 0.01, burst: 5 } });
    const client = await RawClient.connect(wsUrl);
    await new Promise((resolve) => setTimeout(resolve, 200));
    for (let i = 0; i < 30; i += 1) client.send({ id: `f${i}`, channel: 'x', type: 'echo', payload: i });
    await client.next((m) => m.id === 'f29');
    expect(client.messages.filter((m) => m.type === 'reply').map((m) => m.payload)).toEqual([0, 1, 2, 3, 4]);
    expect(client.messages.filter((m) => m.error?.code === 'RATE_LIMITED')).toHaveLength(25);
    expect(client.ws.readyState).toBe(client.ws.OPEN);
    client.close();
  });

  it('unsubscribe before any subscribe answers unsubscribed: false; closing a connection that never subscribed leaves the others served', async () => {
    const { wsUrl } = await start({ sync: { totalMessages: 100, batchSize: 10, batchDelayMs: 5 } });
    const idle = await RawClient.connect(wsUrl);
    const client = await RawClient.connect(wsUrl);
    expect((await client.request('unsubscribe', null, 'sync:4')).payload).toEqual({ channel: 'sync:4', unsubscribed: false });
    idle.close();
    await idle.closed;
    await client.request('subscribe', null, 'sync:4');
    await client.request('sync:start', { chatId: 4 }, 'sync');
    await client.next((m) => m.type === 'sync:complete');
    expect(client.events('sync:4')).toHaveLength(11);
    client.close();
  });

  it('accepted upgrades, counted in a plain number, add up across scrapes of wsmig_ws_connection_attempts_total', async () => {
    const { wsUrl, registry } = await start();
    const accepted = async (): Promise<string> => (await registry.getSingleMetricAsString('wsmig_ws_connection_attempts_total')).match(/outcome="accepted"\} (\d+)/)?.[1] ?? '';
    const first = await Promise.all([RawClient.connect(wsUrl), RawClient.connect(wsUrl)]);
    expect(await accepted()).toBe('2');
    expect(await accepted()).toBe('2');
    const third = await RawClient.connect(wsUrl);
    expect(await accepted()).toBe('3');
    for (const c of [...first, third]) c.close();
  });

  it('each connection\'s replies reach only that connection (the sockets share their listeners)', async () => {
    const { wsUrl } = await start();
    const clients = await Promise.all(Array.from({ length: 5 }, () => RawClient.connect(wsUrl)));
    const replies = await Promise.all(clients.flatMap((c, i) => Array.from({ length: 20 }, (_, j) => c.request('echo', `${i}:${j}`))));
    expect(replies.map((r) => r.payload)).toEqual(clients.flatMap((_, i) => Array.from({ length: 20 }, (_, j) => `${i}:${j}`)));
    clients.forEach((c) => expect(c.messages).toHaveLength(20));
    for (const c of clients) c.close();
  });
});

describe('subscriptions, replay and resync over WebSocket', () => {
  const fast = { sync: { totalMessages: 100, batchSize: 10, batchDelayMs: 5 } };

  function seqs(client: RawClient, channel: string): number[] {
    return client.events(channel).map((m) => m.seq as number);
  }

  /** A client subscribed to the chat's channel that has seen the chat's sync run to its end. */
  async function finishedSync(wsUrl: string, chatId: number): Promise<RawClient> {
    const client = await RawClient.connect(wsUrl);
    await client.request('subscribe', null, `sync:${chatId}`);
    await client.request('sync:start', { chatId }, 'sync');
    await client.next((m) => m.type === 'sync:complete');
    return client;
  }

  it('delivers a whole sync in order: seq 1..11, ten progress events and a complete', async () => {
    const { wsUrl, epoch } = await start(fast);
    const client = await RawClient.connect(wsUrl);
    const reply = await client.request('subscribe', null, 'sync:42');
    expect(reply.payload).toEqual({ channel: 'sync:42', epoch, seq: 0, replayed: 0 });
    const started = await client.request('sync:start', { chatId: 42 }, 'sync');
    const complete = await client.next((m) => m.type === 'sync:complete');
    expect(seqs(client, 'sync:42')).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const progress = client.events('sync:42', ['sync:progress']).map((m) => (m.payload as { processed: number }).processed);
    expect(progress).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(complete).toMatchObject({ id: reply.id, epoch, payload: { chatId: 42, runId: (started.payload as { runId: string }).runId, processed: 100, total: 100 } });
    client.close();
  });

  it('resumes after a disconnect with fromSeq and epoch: nothing lost, nothing repeated', async () => {
    const s = await start({ sync: { totalMessages: 100, batchSize: 5, batchDelayMs: 10 } });
    const first = await RawClient.connect(s.wsUrl);
    await first.request('subscribe', null, 'sync:7');
    await first.request('sync:start', { chatId: 7 }, 'sync');
    await first.next((m) => m.type === 'sync:progress' && (m.seq as number) >= 5);
    s.kick();
    await first.closed;
    const seen = first.events('sync:7');
    const last = seen[seen.length - 1] as { seq: number; epoch: string };
    const second = await RawClient.connect(s.wsUrl);
    const reply = await second.request('subscribe', { fromSeq: last.seq, epoch: last.epoch }, 'sync:7');
    expect((reply.payload as { replayed: number }).replayed).toBe((reply.payload as { seq: number }).seq - last.seq);
    await second.next((m) => m.type === 'sync:complete');
    const all = [...seen, ...second.events('sync:7')].map((m) => m.seq);
    expect(all).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    second.close();
  });

  it('answers resync with the status snapshot when the epoch changed, then continues live', async () => {
    const { wsUrl, epoch } = await start(fast);
    const client = await RawClient.connect(wsUrl);
    await client.request('sync:start', { chatId: 'chat-a' }, 'sync');
    const reply = await client.request('subscribe', { fromSeq: 3, epoch: 'some-old-epoch' }, 'sync:chat-a');
    const resync = await client.next((m) => m.type === 'resync');
    const replySeq = (reply.payload as { seq: number }).seq;
    expect(resync).toMatchObject({ id: reply.id, channel: 'sync:chat-a', epoch, seq: replySeq, payload: { reason: 'epoch-changed', epoch, seq: replySeq } });
    expect((resync.payload as { snapshot: unknown }).snapshot).toMatchObject({ chatId: 'chat-a', syncStatus: 'running', total: 100 });
    await client.next((m) => m.type === 'sync:complete');
    const after = seqs(client, 'sync:chat-a');
    expect(after[0]).toBe(replySeq + 1);
    expect(after).toEqual(Array.from({ length: 11 - replySeq }, (_, i) => replySeq + 1 + i));
    client.close();
  });

  it('answers resync too-old when the events left the buffer, and future-seq when the client is ahead', async () => {
    const { wsUrl, epoch } = await start({ ...fast, replayBufferSize: 3 });
    const client = await finishedSync(wsUrl, 5);
    const tooOld = await RawClient.connect(wsUrl);
    await tooOld.request('subscribe', { fromSeq: 2, epoch }, 'sync:5');
    const resync = await tooOld.next((m) => m.type === 'resync');
    expect(resync.payload).toMatchObject({ reason: 'too-old', seq: 11, snapshot: { chatId: 5, syncStatus: 'completed', syncProgress: 100, processed: 100 } });
    await tooOld.request('subscribe', { fromSeq: 99, epoch }, 'sync:5');
    expect((await tooOld.next((m) => m.type === 'resync' && (m.payload as { reason: string }).reason === 'future-seq')).seq).toBe(11);
    const inBuffer = await RawClient.connect(wsUrl);
    const reply = await inBuffer.request('subscribe', { fromSeq: 8, epoch }, 'sync:5');
    expect((reply.payload as { replayed: number }).replayed).toBe(3);
    expect(seqs(inBuffer, 'sync:5')).toEqual([9, 10, 11]);
    for (const c of [client, tooOld, inBuffer]) c.close();
  });

  it('with replayBufferSize 0 a resume is a resync, never a silent gap', async () => {
    const { wsUrl, epoch } = await start({ ...fast, replayBufferSize: 0 });
    const client = await finishedSync(wsUrl, 9);
    const resumed = await RawClient.connect(wsUrl);
    await resumed.request('subscribe', { fromSeq: 4, epoch }, 'sync:9');
    expect((await resumed.next((m) => m.type === 'resync')).payload).toMatchObject({ reason: 'too-old' });
    for (const c of [client, resumed]) c.close();
  });

  it('a second subscribe on the same channel replaces the first (no duplicate delivery); unsubscribe stops delivery', async () => {
    const { wsUrl } = await start(fast);
    const client = await RawClient.connect(wsUrl);
    await client.request('subscribe', null, 'sync:3');
    const second = await client.request('subscribe', null, 'sync:3');
    await client.request('sync:start', { chatId: 3 }, 'sync');
    await client.next((m) => m.type === 'sync:complete');
    const events = client.events('sync:3');
    expect(events).toHaveLength(11);
    expect(new Set(events.map((e) => e.id))).toEqual(new Set([second.id]));
    const unsubscribed = await client.request('unsubscribe', null, 'sync:3');
    expect(unsubscribed.payload).toEqual({ channel: 'sync:3', unsubscribed: true });
    await client.request('sync:start', { chatId: 3 }, 'sync');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(client.events('sync:3')).toHaveLength(11);
    client.close();
  });
});

describe('slow consumers', () => {
  it('closes a client that does not read with 4201 once its send buffer passes the watermark', async () => {
    const s = await start({ slowConsumerBytes: 64 * 1024 });
    const client = await RawClient.connect(s.wsUrl);
    // Stop reading: replies pile up in the kernel buffers, then in the server's send buffer.
    client.ws.pause();
    const payload = 'x'.repeat(100_000);
    for (let i = 0; i < 300; i += 1) client.send({ id: `big${i}`, channel: 'x', type: 'echo', payload });
    const deadline = Date.now() + 20_000;
    while (!(await s.registry.getSingleMetricAsString('wsmig_slow_consumer_closes_total')).endsWith(' 1') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    client.ws.resume();
    expect((await client.closed).code).toBe(4201);
    expect(await serves(s.wsUrl)).toBe(true);
  });
});
