import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { WSClient as NodeWSClient } from '../../../reference/client/node.js';
import { WSClient, type WSOptions } from '../../../reference/client/ws-client.js';
import { WSRequestError } from '../../../reference/client/request-error.js';
import type { WSClientEvents } from '../../../reference/client/ws-client.js';
import { FakeClock, settle } from '../../helpers/fake-clock.js';
import { serversPerTest } from '../../helpers/reference-servers.js';
import { scriptedWebSocket } from '../../helpers/scripted-websocket.js';

/** A client over scripted sockets and a fake clock; `randoms` are consumed in order, then 0.5. */
function setUp(options: Partial<WSOptions> = {}, randoms: number[] = []) {
  const clock = new FakeClock();
  const sockets = scriptedWebSocket();
  const queue = [...randoms];
  const client = new WSClient({
    url: 'ws://test.invalid/ws',
    WebSocket: sockets.WebSocket,
    clock,
    random: () => queue.shift() ?? 0.5,
    heartbeatInterval: 0,
    ...options,
  });
  const events: Array<{ name: keyof WSClientEvents; payload: unknown }> = [];
  for (const name of ['open', 'close', 'reconnecting', 'state', 'resync', 'drain', 'queue-overflow', 'give-up'] as const) {
    client.on(name, (payload) => events.push({ name, payload }));
  }
  client.on('error', () => undefined);
  const reconnectDelays = () => events.filter((e) => e.name === 'reconnecting').map((e) => (e.payload as { delayMs: number }).delayMs);
  return { client, clock, sockets, events, reconnectDelays };
}

/** A ticket endpoint as `fetch` sees it: answers `{ ticket: "k-<token>" }` for the bearer token it is sent, and records the calls. */
function ticketDesk() {
  const calls: Array<{ url: string; authorization: string | undefined; contentType: string | undefined }> = [];
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    calls.push({ url: String(input), authorization: headers['Authorization'], contentType: headers['Content-Type'] });
    const token = headers['Authorization']?.replace(/^Bearer /, '') ?? 'cookie';
    return new Response(JSON.stringify({ ticket: `k-${token}`, expiresInMs: 10_000 }), { status: 200, headers: { 'content-type': 'application/json' } });
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

function rejection(promise: Promise<unknown>): Promise<WSRequestError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(WSRequestError);
      return error as WSRequestError;
    },
  );
}

describe('WSClient reconnect backoff', () => {
  it('jitters the very first retry and grows the ceiling per failed attempt, clamped then jittered', async () => {
    // The constructor draws one random number for its id prefix.
    const { clock, sockets, reconnectDelays } = setUp({ reconnectDelay: 500, maxReconnectDelay: 4_000 }, [0.1, 0.2, 0.9, 0.9, 0.9, 0.9]);
    for (let i = 0; i < 6; i += 1) {
      sockets.last().refuse();
      await clock.advance(10_000);
    }
    expect(reconnectDelays()).toEqual([
      Math.floor(0.2 * 500),
      Math.floor(0.9 * 1_000),
      Math.floor(0.9 * 2_000),
      Math.floor(0.9 * 4_000),
      Math.floor(0.9 * 4_000),
      Math.floor(0.5 * 4_000),
    ]);
  });

  it('resets the attempt counter only after the connection stayed up minStableMs', async () => {
    const { client, clock, sockets, events } = setUp({ minStableMs: 5_000, reconnectDelay: 100 });
    const attempts = () => events.filter((e) => e.name === 'reconnecting').map((e) => (e.payload as { attempt: number }).attempt);
    sockets.last().refuse();
    await clock.advance(1_000);
    sockets.last().accept();
    await clock.advance(1_000); // up, but not stable yet
    sockets.last().drop();
    expect(client.reconnectAttempts).toBe(2);
    await clock.advance(1_000);
    sockets.last().accept();
    await clock.advance(5_000); // stable
    expect(client.reconnectAttempts).toBe(0);
    sockets.last().drop();
    expect(attempts()).toEqual([1, 2, 1]);
  });

  it('gives up after maxReconnectAttempts: state closed and a give-up event', async () => {
    const { client, clock, sockets, events } = setUp({ maxReconnectAttempts: 3, reconnectDelay: 100 });
    for (let i = 0; i < 4; i += 1) {
      sockets.last().refuse();
      await clock.advance(10_000);
    }
    expect(sockets.sockets).toHaveLength(4);
    expect(client.state).toBe('closed');
    expect(events.find((e) => e.name === 'give-up')?.payload).toMatchObject({ cause: 'max-attempts', attempts: 3, code: 1006 });
    expect((await rejection(client.request('echo'))).code).toBe('DISCONNECTED');
  });

  it('abandons a connection attempt that does not open within connectTimeout', async () => {
    const { clock, sockets, events } = setUp({ connectTimeout: 2_000 });
    await clock.advance(2_000);
    expect(sockets.sockets[0]?.terminated).toBe(true);
    expect(events.some((e) => e.name === 'reconnecting')).toBe(true);
  });
});

describe('WSClient close-code policy', () => {
  it('never reconnects after a stop code (1008 policy violation)', async () => {
    const { client, clock, sockets, events } = setUp();
    sockets.last().accept();
    sockets.last().drop(1008, 'policy');
    await clock.advance(60_000);
    expect(sockets.sockets).toHaveLength(1);
    expect(client.state).toBe('closed');
    expect(events.find((e) => e.name === 'close')?.payload).toEqual({ code: 1008, reason: 'policy', willReconnect: false });
    expect(events.find((e) => e.name === 'give-up')?.payload).toMatchObject({ cause: 'close-code', code: 1008 });
  });

  it('backs off from 10x the base delay after a reconnect-slow code (4200 rate limited)', async () => {
    const { clock, sockets, reconnectDelays } = setUp({ reconnectDelay: 500 }, [0.5, 0.5]);
    sockets.last().accept();
    sockets.last().drop(4200);
    await clock.advance(1);
    expect(reconnectDelays()).toEqual([2_500]);
  });

  it('reconnects (normal backoff) after 4300 kicked and 1001 going away', async () => {
    const { clock, sockets } = setUp({ reconnectDelay: 100 });
    sockets.last().accept();
    sockets.last().drop(4300);
    await clock.advance(1_000);
    sockets.last().accept();
    sockets.last().drop(1001);
    await clock.advance(1_000);
    expect(sockets.sockets).toHaveLength(3);
  });

  it('after 4001 reconnects only when the token provider gives a new token (browser: a ticket per attempt, no token in the URL)', async () => {
    const tokens = ['t1', 't2', 't2'];
    const desk = ticketDesk();
    const { client, clock, sockets } = setUp({ token: () => tokens.shift() ?? 't2', reconnectDelay: 100, fetch: desk.fetch });
    await settle();
    sockets.last().accept();
    expect(new URL(sockets.last().url).searchParams.get('ticket')).toBe('k-t1');
    expect(new URL(sockets.last().url).searchParams.has('token')).toBe(false);
    expect(desk.calls[0]).toEqual({ url: 'http://test.invalid/api/ws-ticket', authorization: 'Bearer t1', contentType: 'application/json' });
    sockets.last().drop(4001, 'token expired');
    await clock.advance(1_000);
    expect(sockets.sockets).toHaveLength(2);
    expect(new URL(sockets.last().url).searchParams.get('ticket')).toBe('k-t2');
    sockets.last().accept();
    sockets.last().drop(4001, 'token expired');
    await clock.advance(10_000);
    expect(sockets.sockets).toHaveLength(2);
    expect(client.state).toBe('closed');
  });

  it('after 4001 with a fixed token stops at once', async () => {
    const { client, clock, sockets } = setUp({ token: 'fixed', fetch: ticketDesk().fetch });
    await settle();
    sockets.last().accept();
    sockets.last().drop(4001);
    await clock.advance(60_000);
    expect(sockets.sockets).toHaveLength(1);
    expect(client.state).toBe('closed');
  });

  it('waits the drain retryAfterMs (plus a small jitter) instead of the backoff', async () => {
    const { clock, sockets, reconnectDelays } = setUp({ reconnectDelay: 500 }, [0.5, 0.5]);
    sockets.last().accept();
    sockets.last().push({ id: 'drain', channel: 'sys', type: 'drain', payload: { retryAfterMs: 3_712, reason: 'restart' } });
    sockets.last().drop(1012);
    await clock.advance(1);
    expect(reconnectDelays()).toEqual([3_712 + 250]);
    await clock.advance(3_000);
    expect(sockets.sockets).toHaveLength(1);
    await clock.advance(1_000);
    expect(sockets.sockets).toHaveLength(2);
  });
});

describe('WSClient requests', () => {
  it('resolves with the reply payload and rejects an error reply with its code', async () => {
    const { client, sockets } = setUp();
    sockets.last().accept();
    const echoed = client.request('echo', { a: 1 });
    sockets.last().reply('echo', { a: 1 });
    await expect(echoed).resolves.toEqual({ a: 1 });
    const unknown = rejection(client.request('nope'));
    const frame = sockets.last().lastSent('nope');
    sockets.last().push({ id: frame.id, channel: frame.channel, type: 'error', error: { code: 'UNKNOWN_TYPE', message: 'unknown request type "nope"', retryable: false } });
    expect(await unknown).toMatchObject({ code: 'UNKNOWN_TYPE', retryable: false, requestType: 'nope' });
  });

  it('times out a request with no reply, and leaves no timer behind', async () => {
    const { client, clock, sockets } = setUp({ timeout: 1_000, minStableMs: 100 });
    sockets.last().accept();
    await clock.advance(200);
    const timersBefore = clock.pendingTimers;
    const outcome = rejection(client.request('echo', null, { timeout: 300 }));
    await clock.advance(299);
    expect(clock.pendingTimers).toBe(timersBefore + 1);
    await clock.advance(1);
    expect((await outcome).code).toBe('TIMEOUT');
    expect(clock.pendingTimers).toBe(timersBefore);
    const answered = client.request('echo', 1);
    sockets.last().reply('echo', 1);
    await answered;
    expect(clock.pendingTimers).toBe(timersBefore);
  });

  it('rejects requests in flight with DISCONNECTED when the connection drops', async () => {
    const { client, sockets } = setUp();
    sockets.last().accept();
    const inFlight = rejection(client.request('slow'));
    sockets.last().drop();
    expect(await inFlight).toMatchObject({ code: 'DISCONNECTED', retryable: true });
  });

  it('queues requests while not connected and sends them in order on open', async () => {
    const { client, sockets } = setUp();
    const first = client.request('echo', 1);
    const second = client.request('echo', 2);
    expect(sockets.last().sent).toHaveLength(0);
    sockets.last().accept();
    expect(sockets.last().sent.map((frame) => frame.payload)).toEqual([1, 2]);
    for (const frame of sockets.last().sent) sockets.last().push({ id: frame.id, channel: frame.channel, type: 'reply', payload: frame.payload });
    await expect(Promise.all([first, second])).resolves.toEqual([1, 2]);
  });

  it('reject-new: a full queue rejects the new request with QUEUE_OVERFLOW and reports it', async () => {
    const { client, sockets, events } = setUp({ queueSize: 2, queueOverflow: 'reject-new' });
    const kept = [client.request('echo', 1), client.request('echo', 2)];
    const refused = await rejection(client.request('echo', 3));
    expect(refused.code).toBe('QUEUE_OVERFLOW');
    expect(events.find((e) => e.name === 'queue-overflow')?.payload).toMatchObject({ policy: 'reject-new', queueSize: 2, dropped: { type: 'echo' } });
    sockets.last().accept();
    expect(sockets.last().sent.map((frame) => frame.payload)).toEqual([1, 2]);
    for (const frame of sockets.last().sent) sockets.last().push({ id: frame.id, channel: frame.channel, type: 'reply', payload: frame.payload });
    await expect(Promise.all(kept)).resolves.toEqual([1, 2]);
  });

  it('drop-oldest: a full queue evicts the oldest request with QUEUE_OVERFLOW and reports it', async () => {
    const { client, sockets, events } = setUp({ queueSize: 2, queueOverflow: 'drop-oldest' });
    const oldest = rejection(client.request('echo', 1));
    const kept = [client.request('echo', 2), client.request('echo', 3)];
    expect((await oldest).code).toBe('QUEUE_OVERFLOW');
    expect(events.filter((e) => e.name === 'queue-overflow')).toHaveLength(1);
    sockets.last().accept();
    expect(sockets.last().sent.map((frame) => frame.payload)).toEqual([2, 3]);
    for (const frame of sockets.last().sent) sockets.last().push({ id: frame.id, channel: frame.channel, type: 'reply', payload: frame.payload });
    await expect(Promise.all(kept)).resolves.toEqual([2, 3]);
  });

  it('times out a queued request that never got a connection', async () => {
    const { client, clock } = setUp({ timeout: 1_000, connectTimeout: 60_000 });
    const queued = rejection(client.request('echo'));
    await clock.advance(1_000);
    expect((await queued).code).toBe('TIMEOUT');
  });

  it('close() rejects everything with CLIENT_CLOSED, stops reconnecting and leaves no timer', async () => {
    const { client, clock, sockets } = setUp({ heartbeatInterval: 1_000 });
    sockets.last().accept();
    const inFlight = rejection(client.request('slow'));
    sockets.last().drop();
    const queued = rejection(client.request('queued'));
    client.close();
    expect((await inFlight).code).toBe('DISCONNECTED');
    expect((await queued).code).toBe('CLIENT_CLOSED');
    expect((await rejection(client.request('after'))).code).toBe('CLIENT_CLOSED');
    expect(client.state).toBe('closed');
    expect(clock.pendingTimers).toBe(0);
    await clock.advance(120_000);
    expect(sockets.sockets).toHaveLength(1);
  });
});

describe('WSClient heartbeat', () => {
  it('pings every interval and keeps a connection that answers', async () => {
    const { client, clock, sockets } = setUp({ heartbeatInterval: 1_000, timeout: 500 });
    sockets.last().accept();
    for (let i = 0; i < 5; i += 1) {
      await clock.advance(1_000);
      const ping = sockets.last().lastSent('ping');
      sockets.last().push({ id: ping.id, channel: 'sys', type: 'pong' });
    }
    expect(sockets.last().sent.filter((frame) => frame.type === 'ping')).toHaveLength(5);
    expect(client.state).toBe('open');
  });

  it('detects a dead server: no frame within interval + timeout closes the socket and reconnects', async () => {
    const { client, clock, sockets, events } = setUp({ heartbeatInterval: 1_000, timeout: 500 });
    sockets.last().accept();
    await clock.advance(1_499);
    expect(client.state).toBe('open');
    await clock.advance(1);
    expect(sockets.sockets[0]?.terminated).toBe(true);
    expect(client.state).toBe('reconnecting');
    expect(events.find((e) => e.name === 'close')?.payload).toMatchObject({ code: 1006, willReconnect: true });
  });
});

describe('WSClient subscriptions', () => {
  it('resubscribes after a reconnect from the last seq and epoch, dropping a repeated event', async () => {
    const { client, clock, sockets } = setUp({ reconnectDelay: 100 });
    const seen: number[] = [];
    client.subscribe('sync:42', (message) => seen.push(message.seq ?? -1));
    sockets.last().accept();
    const subscribe = sockets.last().lastSent('subscribe');
    expect(subscribe).toMatchObject({ channel: 'sync:42', payload: {} });
    sockets.last().push({ id: subscribe.id, channel: 'sync:42', type: 'reply', payload: { channel: 'sync:42', epoch: 'e1', seq: 0, replayed: 0 } });
    for (const seq of [1, 2, 3]) sockets.last().push({ id: subscribe.id, channel: 'sync:42', type: 'sync:progress', seq, epoch: 'e1', payload: {} });
    sockets.last().drop();
    await clock.advance(1_000);
    sockets.last().accept();
    const resubscribe = sockets.last().lastSent('subscribe');
    expect(resubscribe.payload).toEqual({ fromSeq: 3, epoch: 'e1' });
    sockets.last().push({ id: resubscribe.id, channel: 'sync:42', type: 'reply', payload: { channel: 'sync:42', epoch: 'e1', seq: 4, replayed: 1 } });
    for (const seq of [3, 4]) sockets.last().push({ id: resubscribe.id, channel: 'sync:42', type: 'sync:progress', seq, epoch: 'e1', payload: {} });
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('surfaces a resync through onResync and the resync event, and continues after its seq', async () => {
    const { client, clock, sockets, events } = setUp({ reconnectDelay: 100 });
    const resyncs: unknown[] = [];
    const seen: number[] = [];
    client.subscribe('sync:7', (message) => seen.push(message.seq ?? -1), { fromSeq: 10, epoch: 'old', onResync: (payload) => resyncs.push(payload) });
    sockets.last().accept();
    const subscribe = sockets.last().lastSent('subscribe');
    expect(subscribe.payload).toEqual({ fromSeq: 10, epoch: 'old' });
    const payload = { reason: 'epoch-changed', epoch: 'new', seq: 2, snapshot: { chatId: 7, syncStatus: 'idle' } };
    sockets.last().push({ id: subscribe.id, channel: 'sync:7', type: 'reply', payload: { channel: 'sync:7', epoch: 'new', seq: 2, replayed: 0 } });
    sockets.last().push({ id: subscribe.id, channel: 'sync:7', type: 'resync', epoch: 'new', seq: 2, payload });
    sockets.last().push({ id: subscribe.id, channel: 'sync:7', type: 'sync:progress', seq: 3, epoch: 'new', payload: {} });
    expect(resyncs).toEqual([payload]);
    expect(events.find((e) => e.name === 'resync')?.payload).toEqual({ ...payload, channel: 'sync:7' });
    expect(seen).toEqual([3]);
    sockets.last().drop();
    await clock.advance(1_000);
    sockets.last().accept();
    expect(sockets.last().lastSent('subscribe').payload).toEqual({ fromSeq: 3, epoch: 'new' });
  });

  it('unsubscribing the last handler stops delivery and tells the server', () => {
    const { client, sockets } = setUp();
    const seen: number[] = [];
    sockets.last().accept();
    const unsubscribe = client.subscribe('sync:1', (message) => seen.push(message.seq ?? -1));
    sockets.last().reply('subscribe', { channel: 'sync:1', epoch: 'e', seq: 0, replayed: 0 });
    sockets.last().push({ channel: 'sync:1', type: 'sync:progress', seq: 1, epoch: 'e', payload: {} });
    unsubscribe();
    sockets.last().push({ channel: 'sync:1', type: 'sync:progress', seq: 2, epoch: 'e', payload: {} });
    expect(seen).toEqual([1]);
    expect(sockets.last().lastSent('unsubscribe').channel).toBe('sync:1');
  });
});

describe('WSClient construction', () => {
  it('refuses a URL that is not ws:// or wss://, saying what to use', () => {
    expect(() => new WSClient({ url: 'http://localhost:3000/ws' })).toThrow(/ws:\/\/ or wss:\/\//);
    expect(() => new WSClient({ url: 'not a url' })).toThrow(/not a URL/);
  });

  it('does not connect before connect() when autoConnect is false', async () => {
    const { client, sockets } = setUp({ autoConnect: false });
    expect(client.state).toBe('idle');
    expect(sockets.sockets).toHaveLength(0);
    client.connect();
    expect(client.state).toBe('connecting');
    sockets.last().accept();
    expect(client.state).toBe('open');
  });
});

describe('WSClient against the reference server', () => {
  const servers = serversPerTest();
  let client: NodeWSClient | undefined;

  afterEach(() => {
    client?.close();
    client = undefined;
  });

  it('round-trips a request over ws (the Node entry default) and types an error reply', async () => {
    const server = await servers.start();
    client = new NodeWSClient({ url: server.wsUrl });
    await expect(client.request('echo', { hello: 'world' })).resolves.toEqual({ hello: 'world' });
    const error = await rejection(client.request('sync:stop', { chatId: 1 }));
    expect(error).toMatchObject({ code: 'UNKNOWN_TYPE', retryable: false, requestType: 'sync:stop' });
    const invalid = await rejection(client.request('sync:start', { chatId: 'not ok!' }));
    expect(invalid.code).toBe('INVALID_PAYLOAD');
  });

  it('resumes a subscription after kick() with every seq once, in order', async () => {
    const live = await servers.start({ sync: { totalMessages: 80, batchSize: 10, batchDelayMs: 40 } });
    client = new NodeWSClient({ url: live.wsUrl, reconnectDelay: 100 });
    const seqs: number[] = [];
    let kicked = 0;
    const done = new Promise<void>((resolve) => {
      client?.subscribe('sync:77', (message) => {
        seqs.push(message.seq ?? -1);
        if (seqs.length === 3) kicked = live.kick();
        if (message.type === 'sync:complete') resolve();
      });
    });
    const opened = new Promise((resolve) => client?.on('open', resolve));
    await opened;
    await client.request('sync:start', { chatId: 77 });
    await done;
    expect(kicked).toBe(1);
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('sends the token in an Authorization header (Node) and is refused without it', async () => {
    const server = await servers.start({ token: 'sesame' });
    client = new NodeWSClient({ url: server.wsUrl, token: async () => 'sesame' });
    await expect(client.request('echo', 1)).resolves.toBe(1);
    const refused = new NodeWSClient({ url: server.wsUrl, reconnectDelay: 10, maxReconnectAttempts: 3 });
    refused.on('error', () => undefined);
    const gaveUp = new Promise((resolve) => refused.on('give-up', resolve));
    expect(await gaveUp).toMatchObject({ cause: 'reauthenticate' });
    refused.close();
  });
});

describe('WSClient heartbeat, for real', () => {
  it('detects a server that accepted the connection and then went silent, and reconnects', async () => {
    const silent = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => silent.once('listening', resolve));
    const connections: number[] = [];
    silent.on('connection', () => connections.push(Date.now()));
    const { port } = silent.address() as AddressInfo;
    const client = new NodeWSClient({ url: `ws://127.0.0.1:${port}/ws`, heartbeatInterval: 200, timeout: 200, reconnectDelay: 50 });
    const closes: Array<{ code: number; reason: string }> = [];
    client.on('close', (event) => closes.push(event));
    try {
      await expect.poll(() => connections.length, { timeout: 10_000, interval: 50 }).toBeGreaterThanOrEqual(2);
      expect(closes[0]).toMatchObject({ code: 1006, reason: expect.stringMatching(/connection presumed dead/) });
    } finally {
      client.close();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
