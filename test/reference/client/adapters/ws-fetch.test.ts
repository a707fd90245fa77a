import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WSClient } from '../../../../reference/client/node.js';
import { wsFetch } from '../../../../reference/client/adapters/ws-fetch.js';
import { startGatewayDouble } from './gateway-double.js';
import { sseText, startSseUpstream } from './sse-upstream.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp() {
  const gateway = await startGatewayDouble();
  const upstream = await startSseUpstream();
  const client = new WSClient({ url: gateway.url, heartbeatInterval: 0, reconnectDelay: 20 });
  client.on('error', () => undefined);
  cleanups.push(() => gateway.close(), () => upstream.close(), () => client.close());
  return { gateway, upstream, client };
}

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'x-upstream': 'chat' };

/** The way much app code reads an SSE response: a reader loop feeding eventsource-parser. */
async function parseBody(response: Response): Promise<EventSourceMessage[]> {
  const events: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event) });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return events;
    parser.feed(decoder.decode(value, { stream: true }));
  }
}

describe('wsFetch over the WebSocket', () => {
  it('performs the request through the bridge and resolves with a Response whose body streams the SSE text', async () => {
    const { gateway, client } = await setUp();
    gateway.onSseFetch(() => ({
      status: 200,
      headers: SSE_HEADERS,
      events: [
        { id: '1', data: 'first line\nsecond line' },
        { type: 'usage', data: { tokens: 12 } },
        { type: 'event:reply', data: 'named like a control frame', id: '3' },
      ],
      end: true,
    }));
    const response = await wsFetch('/api/chat?stream=1', { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: JSON.stringify({ q: 'hi' }) }, { client, transport: 'ws' });
    expect([response.status, response.ok, response.headers.get('x-upstream')]).toEqual([200, true, 'chat']);
    expect(await response.text()).toBe('id: 1\ndata: first line\ndata: second line\n\nevent: usage\ndata: {"tokens":12}\n\nid: 3\nevent: reply\ndata: named like a control frame\n\n');
    expect(gateway.fetches).toEqual([{ url: '/api/chat?stream=1', method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer t' }, body: '{"q":"hi"}' }]);
  });

  it('keeps a reader loop with eventsource-parser working while events still arrive, and ends after sse:end', async () => {
    const { gateway, client } = await setUp();
    let channel = '';
    gateway.onSseFetch((_payload, created) => {
      channel = created;
      return { status: 200, headers: SSE_HEADERS, events: [{ data: 'token 1' }] };
    });
    const response = await wsFetch('http://app.example/api/stream', undefined, { client, transport: 'ws' });
    const parsed = parseBody(response);
    gateway.publish(channel, 'message', 'token 2');
    gateway.publish(channel, 'done', '[DONE]', '9');
    gateway.publish(channel, 'sse:end', { reason: 'upstream-ended' });
    expect((await parsed).map((event) => [event.event, event.data, event.id])).toEqual([
      [undefined, 'token 1', undefined],
      [undefined, 'token 2', undefined],
      ['done', '[DONE]', '9'],
    ]);
    await vi.waitFor(() => expect(gateway.subscribedChannels()).toEqual([]), { timeout: 5_000 });
  });

  it('gives the upstream’s own non-2xx answer as the Response, as a direct fetch would', async () => {
    const { gateway, client } = await setUp();
    gateway.onSseFetch(() => ({ error: { code: 'UPSTREAM_STATUS', message: 'upstream answered 401', retryable: false, details: { status: 401, headers: { 'content-type': 'application/json' }, body: '{"error":"login first"}' } } }));
    const response = await wsFetch('http://app.example/api/stream', {}, { client, transport: 'ws' });
    expect([response.status, response.ok, response.headers.get('content-type')]).toEqual([401, false, 'application/json']);
    expect(await response.json()).toEqual({ error: 'login first' });
  });

  it('rejects with a TypeError carrying the gateway’s error when the upstream cannot be reached, as fetch does on a network error', async () => {
    const { gateway, client } = await setUp();
    gateway.onSseFetch(() => ({ error: { code: 'UPSTREAM_UNREACHABLE', message: 'connect ECONNREFUSED', retryable: true } }));
    const failure = await wsFetch('http://app.example/api/stream', { method: 'POST', body: '{}' }, { client }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TypeError);
    expect((failure as Error & { cause: { code: string } }).cause.code).toBe('UPSTREAM_UNREACHABLE');
  });

  it('aborts through init.signal: the reader rejects with an AbortError and the subscription is released', async () => {
    const { gateway, client } = await setUp();
    gateway.onSseFetch(() => ({ status: 200, headers: SSE_HEADERS, events: [{ data: 'partial' }] }));
    const abort = new AbortController();
    const response = await wsFetch('http://app.example/api/stream', { signal: abort.signal }, { client, transport: 'ws' });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('data: partial\n\n');
    await vi.waitFor(() => expect(gateway.subscribedChannels()).toEqual(['sse-fetch:1']), { timeout: 5_000 });
    abort.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
    await vi.waitFor(() => expect(gateway.subscribedChannels()).toEqual([]), { timeout: 5_000 });
    await expect(wsFetch('http://app.example/api/stream', { signal: abort.signal }, { client, transport: 'ws' })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('wsFetch falling back to the platform fetch', () => {
  it('fetches the URL itself when the gateway has no route for it, and when the flag says sse', async () => {
    const { gateway, upstream, client } = await setUp();
    upstream.route('/api/stream', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sseText({ id: '1', data: 'direct' }));
    });
    gateway.onSseFetch(() => ({ error: { code: 'NO_ROUTE', message: 'not relayed', retryable: false } }));
    const noRoute = await wsFetch(`${upstream.url}/api/stream`, { method: 'POST', body: 'x' }, { client });
    expect(await noRoute.text()).toBe('id: 1\ndata: direct\n\n');
    expect(gateway.fetches).toHaveLength(1);

    gateway.setFlag('sse');
    const otherClient = new WSClient({ url: gateway.url, heartbeatInterval: 0 });
    cleanups.push(() => otherClient.close());
    const flagged = await wsFetch(`${upstream.url}/api/stream`, { method: 'POST', body: 'y' }, { client: otherClient });
    expect(await flagged.text()).toBe('id: 1\ndata: direct\n\n');
    expect(gateway.fetches).toHaveLength(1);
    expect(upstream.requests.map((request) => `${request.method} ${request.body}`)).toEqual(['POST x', 'POST y']);
  });
});
