import { afterEach, describe, expect, it, vi } from 'vitest';
import { WSClient } from '../../../../reference/client/node.js';
import { WsEventSource } from '../../../../reference/client/adapters/ws-event-source.js';
import { FakeClock } from '../../../helpers/fake-clock.js';
import { startGatewayDouble, type GatewayDouble } from './gateway-double.js';
import { startSseUpstream, type SseUpstream } from './sse-upstream.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(clientOptions: Partial<ConstructorParameters<typeof WSClient>[0]> = {}) {
  const gateway = await startGatewayDouble();
  const upstream = await startSseUpstream();
  const client = new WSClient({ url: gateway.url, heartbeatInterval: 0, reconnectDelay: 20, maxReconnectDelay: 100, ...clientOptions });
  client.on('error', () => undefined);
  cleanups.push(() => gateway.close(), () => upstream.close(), () => client.close());
  return { gateway, upstream, client };
}

/** Opens a source that the test closes afterwards. */
function open(...args: ConstructorParameters<typeof WsEventSource>): WsEventSource {
  const source = new WsEventSource(...args);
  cleanups.push(() => source.close());
  return source;
}

/** Collects the messages of `types` as `data@lastEventId`, and every `open`/`error` with the readyState it left. */
function record(source: WsEventSource, types: string[] = ['message']) {
  const seen: string[] = [];
  const states: string[] = [];
  for (const type of types) source.addEventListener(type, (event) => seen.push(`${type}:${(event as MessageEvent).data}@${(event as MessageEvent).lastEventId}`));
  source.onopen = () => states.push(`open/${source.readyState}`);
  source.onerror = () => states.push(`error/${source.readyState}`);
  return { seen, states };
}

/** Publishes the same event upstream (real SSE) and on the bridged channel, as the gateway's bridge would relay it. */
function twin(gateway: GatewayDouble, upstream: SseUpstream, path: string) {
  upstream.serve(path);
  return (id: number) => {
    upstream.append(path, { id: String(id), data: `m${id}` });
    gateway.publish(`sse:${path}`, 'message', `m${id}`, String(id));
  };
}

describe('WsEventSource over the WebSocket', () => {
  it('reads the bridged channel of its URL: named and unnamed events as MessageEvents with data, type, lastEventId and origin', async () => {
    const { gateway, client } = await setUp();
    const source = open('/events?room=1', {}, { client, transport: 'ws', baseUrl: 'https://app.example/page' });
    const { seen, states } = record(source, ['message', 'update', 'error']);
    const origins: string[] = [];
    source.onmessage = (event) => origins.push(`${event.type} ${event.origin}`);
    expect(source.url).toBe('https://app.example/events?room=1');
    expect(source.readyState).toBe(WsEventSource.CONNECTING);
    await vi.waitFor(() => expect(source.readyState).toBe(source.OPEN), { timeout: 5_000 });
    expect(gateway.subscribes.map((s) => s.channel)).toEqual(['sse:/events?room=1']);

    gateway.publish('sse:/events?room=1', 'message', 'first\nsecond', '1');
    gateway.publish('sse:/events?room=1', 'update', { app: 'published' });
    gateway.publish('sse:/events?room=1', 'event:error', 'a named error event', '3');
    await vi.waitFor(() => expect(seen).toHaveLength(3), { timeout: 5_000 });
    expect(seen).toEqual(['message:first\nsecond@1', 'update:{"app":"published"}@1', 'error:a named error event@3']);
    expect(origins).toEqual(['message https://app.example']);
    expect(states).toEqual(['open/1', 'error/1']);
  });

  it('after a socket drop fires error, goes CONNECTING, and resumes without loss, sending lastEventId and headers again', async () => {
    const { gateway, client } = await setUp();
    const source = open('http://app.example/feed', { headers: { authorization: 'Bearer u1' } }, { client, transport: 'ws' });
    const { seen, states } = record(source);
    await vi.waitFor(() => expect(states).toEqual(['open/1']), { timeout: 5_000 });
    gateway.publish('sse:/feed', 'message', 'a', '1');
    await vi.waitFor(() => expect(seen).toEqual(['message:a@1']), { timeout: 5_000 });

    gateway.dropConnections();
    await vi.waitFor(() => expect(states).toContain('error/0'), { timeout: 5_000 });
    gateway.publish('sse:/feed', 'message', 'b', '2');
    await vi.waitFor(() => expect(seen).toEqual(['message:a@1', 'message:b@2']), { timeout: 5_000 });
    expect(states).toEqual(['open/1', 'error/0', 'open/1']);
    expect(gateway.subscribes.map((s) => s.payload)).toEqual([
      { headers: { authorization: 'Bearer u1' } },
      { fromSeq: 1, epoch: 'e1', lastEventId: '1', headers: { authorization: 'Bearer u1' } },
    ]);
  });

  it('closes as on a 204 when the stream ends, and as on a non-200 when the upstream refuses or fails; the subscription is released', async () => {
    const { gateway, client } = await setUp();
    gateway.refuse('sse:/private', { code: 'UPSTREAM_STATUS', message: 'upstream answered 401', retryable: false, details: { status: 401, headers: {}, body: '' } });
    const refused = open('http://app.example/private', {}, { client, transport: 'ws' });
    const ended = open('http://app.example/ends', {}, { client, transport: 'ws' });
    const failed = open('http://app.example/fails', {}, { client, transport: 'ws' });
    const refusedLog = record(refused);
    const endedLog = record(ended);
    const failedLog = record(failed);
    await vi.waitFor(() => expect(refusedLog.states).toEqual(['error/2']), { timeout: 5_000 });
    await vi.waitFor(() => expect(endedLog.states).toEqual(['open/1']), { timeout: 5_000 });
    await vi.waitFor(() => expect(failedLog.states).toEqual(['open/1']), { timeout: 5_000 });
    gateway.publish('sse:/ends', 'sse:end', { reason: 'upstream-closed' });
    gateway.publish('sse:/fails', 'sse:error', { code: 'UPSTREAM_UNREACHABLE', message: 'gave up after 10 attempts', retryable: true });
    await vi.waitFor(() => expect(endedLog.states).toEqual(['open/1', 'error/2']), { timeout: 5_000 });
    await vi.waitFor(() => expect(failedLog.states).toEqual(['open/1', 'error/2']), { timeout: 5_000 });
    expect([refused.readyState, ended.readyState, failed.readyState]).toEqual([2, 2, 2]);
    await vi.waitFor(() => expect(gateway.subscribedChannels()).toEqual([]), { timeout: 5_000 });
  });

  it('treats an unreachable upstream as a network error: error, CONNECTING, and a new subscription after the reconnection time', async () => {
    const { gateway, client } = await setUp();
    gateway.refuse('sse:/flaky', { code: 'UPSTREAM_UNREACHABLE', message: 'connect ECONNREFUSED', retryable: true });
    const source = open('http://app.example/flaky', {}, { client, transport: 'ws', retryMs: 20 });
    const { states } = record(source);
    await vi.waitFor(() => expect(gateway.subscribes.length).toBeGreaterThan(1), { timeout: 5_000 });
    expect(new Set(states)).toEqual(new Set(['error/0']));
    gateway.refuse('sse:/flaky', undefined);
    await vi.waitFor(() => expect(states.at(-1)).toBe('open/1'), { timeout: 5_000 });
    expect(states.filter((state) => state !== 'error/0')).toEqual(['open/1']);
  });

  it('close() stops delivery at once and unsubscribes', async () => {
    const { gateway, client } = await setUp();
    const source = open('http://app.example/feed', {}, { client, transport: 'ws' });
    const { seen, states } = record(source);
    await vi.waitFor(() => expect(states).toEqual(['open/1']), { timeout: 5_000 });
    source.close();
    gateway.publish('sse:/feed', 'message', 'late', '9');
    await vi.waitFor(() => expect(gateway.subscribedChannels()).toEqual([]), { timeout: 5_000 });
    expect(seen).toEqual([]);
    expect(source.readyState).toBe(WsEventSource.CLOSED);
  });

  it('throws a SyntaxError for a relative URL with nothing to resolve it against, as EventSource does', async () => {
    const { client } = await setUp();
    expect(() => new WsEventSource('/events', {}, { client })).toThrow(expect.objectContaining({ name: 'SyntaxError' }));
  });
});

describe('WsEventSource falling back to real SSE and coming back', () => {
  it('reads the URL over SSE when the gateway has no route for it', async () => {
    const { gateway, upstream, client } = await setUp();
    gateway.refuse('sse:/legacy', { code: 'NO_ROUTE', message: 'not relayed', retryable: false });
    upstream.serve('/legacy');
    const source = open(`${upstream.url}/legacy`, {}, { client });
    const { seen, states } = record(source);
    await vi.waitFor(() => expect(upstream.openStreams('/legacy')).toBe(1), { timeout: 5_000 });
    upstream.append('/legacy', { id: '7', data: 'over sse' });
    await vi.waitFor(() => expect(seen).toEqual(['message:over sse@7']), { timeout: 5_000 });
    expect(states).toEqual(['open/1']);
    expect(source.transport).toBe('sse');
  });

  it('follows the flag: SSE while it says sse, then WebSocket, then SSE again, each event once and in order', async () => {
    const { gateway, upstream, client } = await setUp();
    gateway.setFlag('sse');
    const emit = twin(gateway, upstream, '/feed');
    const source = open(`${upstream.url}/feed`, {}, { client, selector: { configPollMs: 20 } });
    const { seen, states } = record(source);
    await vi.waitFor(() => expect(upstream.openStreams('/feed')).toBe(1), { timeout: 5_000 });
    expect(source.transport).toBe('sse');
    emit(1);
    emit(2);
    await vi.waitFor(() => expect(seen).toHaveLength(2), { timeout: 5_000 });

    gateway.setFlag('ws');
    await vi.waitFor(() => expect(gateway.subscribedChannels()).toEqual(['sse:/feed']), { timeout: 5_000 });
    emit(3);
    await vi.waitFor(() => expect(upstream.openStreams('/feed')).toBe(0), { timeout: 5_000 });
    emit(4);
    await vi.waitFor(() => expect(seen).toHaveLength(4), { timeout: 5_000 });
    expect(source.transport).toBe('ws');
    expect(gateway.subscribes[0]?.payload).toEqual({ lastEventId: '2' });

    gateway.setFlag('sse');
    await vi.waitFor(() => expect(upstream.openStreams('/feed')).toBe(1), { timeout: 5_000 });
    emit(5);
    await vi.waitFor(() => expect(gateway.subscribedChannels()).toEqual([]), { timeout: 5_000 });
    emit(6);
    await vi.waitFor(() => expect(seen).toHaveLength(6), { timeout: 5_000 });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6].map((n) => `message:m${n}@${n}`));
    expect(states).toEqual(['open/1']);
    expect(upstream.requests.filter((r) => r.path === '/feed').map((r) => r.headers['last-event-id'])).toEqual([undefined, '4']);
  });

  it('moves to SSE when the socket keeps failing, resuming by Last-Event-ID, and back to the socket when it opens', async () => {
    const { gateway, upstream, client } = await setUp({ maxReconnectAttempts: 1_000 });
    const emit = twin(gateway, upstream, '/feed');
    const source = open(`${upstream.url}/feed`, {}, { client, selector: { fallbackAfterFailures: 2 }, retryMs: 20 });
    const { seen, states } = record(source);
    await vi.waitFor(() => expect(states).toEqual(['open/1']), { timeout: 5_000 });
    emit(1);
    await vi.waitFor(() => expect(seen).toHaveLength(1), { timeout: 5_000 });

    gateway.refuseConnections(true);
    gateway.dropConnections();
    emit(2);
    await vi.waitFor(() => expect(source.transport).toBe('sse'), { timeout: 5_000 });
    await vi.waitFor(() => expect(seen).toHaveLength(2), { timeout: 5_000 });
    emit(3);
    await vi.waitFor(() => expect(seen).toHaveLength(3), { timeout: 5_000 });

    gateway.refuseConnections(false);
    await vi.waitFor(() => expect(source.transport).toBe('ws'), { timeout: 10_000 });
    await vi.waitFor(() => expect(gateway.subscribedChannels()).toEqual(['sse:/feed']), { timeout: 5_000 });
    emit(4);
    await vi.waitFor(() => expect(upstream.openStreams('/feed')).toBe(0), { timeout: 5_000 });
    emit(5);
    await vi.waitFor(() => expect(seen).toHaveLength(5), { timeout: 5_000 });
    expect(seen).toEqual([1, 2, 3, 4, 5].map((n) => `message:m${n}@${n}`));
    expect(states).toEqual(['open/1', 'error/0', 'open/1']);
    expect(upstream.requests.filter((r) => r.path === '/feed')[0]?.headers['last-event-id']).toBe('1');
  });

  it('keeps the old transport only handoverMs when the two never deliver a common event, then reads the new one alone', async () => {
    const { gateway, upstream, client } = await setUp();
    const clock = new FakeClock();
    gateway.setFlag('sse');
    const emit = twin(gateway, upstream, '/quiet');
    const source = open(`${upstream.url}/quiet`, {}, { client, clock, handoverMs: 5_000, selector: { clock, configPollMs: 1_000 } });
    const { seen } = record(source);
    await vi.waitFor(() => expect(upstream.openStreams('/quiet')).toBe(1), { timeout: 5_000 });
    emit(1);
    await vi.waitFor(() => expect(seen).toHaveLength(1), { timeout: 5_000 });

    gateway.setFlag('ws');
    await clock.advance(1_000);
    await vi.waitFor(() => expect(gateway.subscribedChannels()).toEqual(['sse:/quiet']), { timeout: 5_000 });
    await clock.advance(4_000);
    expect(upstream.openStreams('/quiet')).toBe(1);
    await clock.advance(1_000);
    await vi.waitFor(() => expect(upstream.openStreams('/quiet')).toBe(0), { timeout: 5_000 });
    emit(2);
    await vi.waitFor(() => expect(seen).toEqual(['message:m1@1', 'message:m2@2']), { timeout: 5_000 });
  });
});
