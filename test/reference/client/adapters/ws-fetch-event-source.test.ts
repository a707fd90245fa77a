import { fetchEventSource } from '@microsoft/fetch-event-source';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WSClient } from '../../../../reference/client/node.js';
import { wsFetchEventSource, type WsFetchEventSourceInit } from '../../../../reference/client/adapters/ws-fetch-event-source.js';
import { startGatewayDouble, type GatewayDouble, type SseFetchAnswer } from './gateway-double.js';
import { sseText, startSseUpstream, type SseUpstream, type UpstreamEvent } from './sse-upstream.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// The original reads `window` and `document`; give it a minimal visible page for the comparison.
const page = globalThis as { window?: unknown; document?: unknown };
beforeEach(() => {
  page.window = globalThis;
  page.document = Object.assign(new EventTarget(), { hidden: false });
  cleanups.push(() => {
    delete page.window;
    delete page.document;
  });
});

async function setUp() {
  const gateway = await startGatewayDouble();
  const upstream = await startSseUpstream();
  const client = new WSClient({ url: gateway.url, heartbeatInterval: 0, reconnectDelay: 20 });
  client.on('error', () => undefined);
  cleanups.push(() => gateway.close(), () => upstream.close(), () => client.close());
  return { gateway, upstream, client };
}

/** Serves the same responses upstream (for the original) and through the gateway (for the adapter), one per request in turn. */
function serveBoth(gateway: GatewayDouble, upstream: SseUpstream, path: string, responses: Array<{ status: number; events: UpstreamEvent[] }>): void {
  let upstreamTurn = 0;
  upstream.route(path, (_req, res) => {
    const response = responses[Math.min(upstreamTurn++, responses.length - 1)] as (typeof responses)[number];
    if (response.status !== 200) return res.writeHead(response.status, { 'content-type': 'text/plain' }).end('oops');
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.end(response.events.map(sseText).join(''));
  });
  let gatewayTurn = 0;
  gateway.onSseFetch((): SseFetchAnswer => {
    const response = responses[Math.min(gatewayTurn++, responses.length - 1)] as (typeof responses)[number];
    if (response.status !== 200) return { error: { code: 'UPSTREAM_STATUS', message: 'upstream error', retryable: false, details: { status: response.status, headers: { 'content-type': 'text/plain' }, body: 'oops' } } };
    const events = response.events.map((event) => ({ data: event.data, ...(event.id === undefined ? {} : { id: event.id }), ...(event.event === undefined ? {} : { type: event.event }) }));
    return { status: 200, headers: { 'content-type': 'text/event-stream' }, events, end: true };
  });
}

type Run = (url: string, init: WsFetchEventSourceInit) => Promise<void>;

/** Runs a stream with callbacks that log what an application would see; resolves with the log and how the promise settled. */
async function observe(run: Run, url: string, init: (log: string[]) => WsFetchEventSourceInit): Promise<string[]> {
  const log: string[] = [];
  await run(url, init(log)).then(
    () => log.push('resolved'),
    (error: unknown) => log.push(`rejected ${(error as Error).message}`),
  );
  return log;
}

const logging = (log: string[]): WsFetchEventSourceInit => ({
  openWhenHidden: true,
  onopen: async (response) => {
    log.push(`open ${response.status} ${response.headers.get('content-type')}`);
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
  },
  onmessage: (message) => log.push(`message ${JSON.stringify(message)}`),
  onclose: () => log.push('close'),
  onerror: (error: Error) => {
    log.push(`error ${error.message}`);
    throw error;
  },
});

describe('wsFetchEventSource behaves as fetchEventSource of @microsoft/fetch-event-source', () => {
  it('gives the same callbacks, in the same order, and settles the same way: a stream that ends, a refused one', async () => {
    const { gateway, upstream, client } = await setUp();
    serveBoth(gateway, upstream, '/ok', [{ status: 200, events: [{ id: '1', data: 'a' }, { event: 'update', data: 'b\nc' }, { id: '3', data: 'd' }] }]);
    const original: Run = (url, init) => fetchEventSource(`${upstream.url}${url}`, init);
    const adapter: Run = (url, init) => wsFetchEventSource(`http://app.example${url}`, init, { client, transport: 'ws' });
    const expected = await observe(original, '/ok', logging);
    expect(expected).toEqual([
      'open 200 text/event-stream',
      'message {"data":"a","event":"","id":"1"}',
      'message {"data":"b\\nc","event":"update","id":""}',
      'message {"data":"d","event":"","id":"3"}',
      'close',
      'resolved',
    ]);
    expect(await observe(adapter, '/ok', logging)).toEqual(expected);

    serveBoth(gateway, upstream, '/refused', [{ status: 500, events: [] }]);
    const refused = await observe(original, '/refused', logging);
    expect(refused).toEqual(['open 500 text/plain', 'error HTTP 500', 'rejected HTTP 500']);
    expect(await observe(adapter, '/refused', logging)).toEqual(refused);
  });

  it('retries as onerror says, sending last-event-id, until a stream ends without onclose throwing', async () => {
    const { gateway, upstream, client } = await setUp();
    serveBoth(gateway, upstream, '/retry', [
      { status: 200, events: [{ id: '1', data: 'a' }, { id: '2', data: 'b' }] },
      { status: 200, events: [{ id: '3', data: 'c' }] },
    ]);
    const retrying = (log: string[]): WsFetchEventSourceInit => {
      let closes = 0;
      return {
        ...logging(log),
        onclose: () => {
          closes += 1;
          log.push('close');
          if (closes === 1) throw new Error('closed early');
        },
        onerror: (error: Error) => {
          log.push(`error ${error.message}`);
          return 0;
        },
      };
    };
    const expected = await observe((url, init) => fetchEventSource(`${upstream.url}${url}`, init), '/retry', retrying);
    expect(await observe((url, init) => wsFetchEventSource(`http://app.example${url}`, init, { client, transport: 'ws' }), '/retry', retrying)).toEqual(expected);
    expect(expected.filter((line) => !line.startsWith('message'))).toEqual(['open 200 text/event-stream', 'close', 'error closed early', 'open 200 text/event-stream', 'close', 'resolved']);
    expect(upstream.requests.map((request) => request.headers['last-event-id'])).toEqual([undefined, '2']);
    expect(gateway.fetches.map((request) => request.headers?.['last-event-id'])).toEqual([undefined, '2']);
  });

  it('resolves when the signal aborts, and releases the stream', async () => {
    const { gateway, client } = await setUp();
    gateway.onSseFetch(() => ({ status: 200, headers: { 'content-type': 'text/event-stream' }, events: [{ data: 'first' }] }));
    const abort = new AbortController();
    const messages: string[] = [];
    const done = wsFetchEventSource('http://app.example/live', { signal: abort.signal, openWhenHidden: true, onmessage: (message) => messages.push(message.data) }, { client, transport: 'ws' });
    await vi.waitFor(() => expect(messages).toEqual(['first']), { timeout: 5_000 });
    abort.abort();
    await expect(done).resolves.toBeUndefined();
    await vi.waitFor(() => expect(gateway.subscribedChannels()).toEqual([]), { timeout: 5_000 });
  });

  it('falls back to real SSE with the same callbacks when the gateway has no route', async () => {
    const { gateway, upstream, client } = await setUp();
    upstream.route('/chat', (req, res, body) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.end(sseText({ id: '1', data: `echo ${body} ${req.method}` }));
    });
    gateway.onSseFetch(() => ({ error: { code: 'NO_ROUTE', message: 'not relayed', retryable: false } }));
    const log = await observe((url, init) => wsFetchEventSource(`${upstream.url}${url}`, { ...init, method: 'POST', body: 'q=1' }, { client }), '/chat', logging);
    expect(log).toEqual(['open 200 text/event-stream', 'message {"data":"echo q=1 POST","event":"","id":"1"}', 'close', 'resolved']);
  });

  it('moves a GET stream to real SSE when the flag says so, reopening with last-event-id, losing nothing', async () => {
    const { gateway, upstream, client } = await setUp();
    upstream.serve('/live');
    upstream.append('/live', { id: '1', data: 'a' });
    gateway.onSseFetch(() => ({ status: 200, headers: { 'content-type': 'text/event-stream' }, events: [{ id: '1', data: 'a' }] }));
    const opened: string[] = [];
    const messages: string[] = [];
    const abort = new AbortController();
    const done = wsFetchEventSource(
      `${upstream.url}/live`,
      { signal: abort.signal, openWhenHidden: true, onopen: async (response) => void opened.push(response.headers.get('content-type') ?? ''), onmessage: (message) => messages.push(`${message.id}:${message.data}`) },
      { client, selector: { configPollMs: 20 } },
    );
    await vi.waitFor(() => expect(messages).toEqual(['1:a']), { timeout: 5_000 });
    gateway.setFlag('sse');
    await vi.waitFor(() => expect(upstream.openStreams('/live')).toBe(1), { timeout: 5_000 });
    upstream.append('/live', { id: '2', data: 'b' });
    await vi.waitFor(() => expect(messages).toEqual(['1:a', '2:b']), { timeout: 5_000 });
    expect(opened).toHaveLength(2);
    expect(upstream.requests.map((request) => request.headers['last-event-id'])).toEqual(['1']);
    await vi.waitFor(() => expect(gateway.subscribedChannels()).toEqual([]), { timeout: 5_000 });
    abort.abort();
    await done;
  });

  it('closes the stream while the page is hidden and reopens it with last-event-id when it shows again', async () => {
    const { gateway, client } = await setUp();
    gateway.onSseFetch(() => ({ status: 200, headers: { 'content-type': 'text/event-stream' }, events: [{ id: String(gateway.fetches.length), data: 'x' }] }));
    const abort = new AbortController();
    const messages: string[] = [];
    const done = wsFetchEventSource('http://app.example/live', { signal: abort.signal, onmessage: (message) => messages.push(message.id) }, { client, transport: 'ws' });
    await vi.waitFor(() => expect(messages).toEqual(['1']), { timeout: 5_000 });
    const doc = page.document as EventTarget & { hidden: boolean };
    doc.hidden = true;
    doc.dispatchEvent(new Event('visibilitychange'));
    await vi.waitFor(() => expect(gateway.subscribedChannels()).toEqual([]), { timeout: 5_000 });
    doc.hidden = false;
    doc.dispatchEvent(new Event('visibilitychange'));
    await vi.waitFor(() => expect(messages).toEqual(['1', '2']), { timeout: 5_000 });
    expect(gateway.fetches.map((request) => request.headers?.['last-event-id'])).toEqual([undefined, '1']);
    abort.abort();
    await done;
  });
});
