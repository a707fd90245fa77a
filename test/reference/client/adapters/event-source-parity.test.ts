import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WSClient } from '../../../../reference/client/node.js';
import { WsEventSource } from '../../../../reference/client/adapters/ws-event-source.js';
import { startGatewayDouble } from './gateway-double.js';
import { sseText, startSseUpstream, type UpstreamEvent } from './sse-upstream.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const STREAM: UpstreamEvent[] = [
  { id: '1', data: 'first' },
  { event: 'update', data: 'two\nlines' },
  { id: '3', event: 'update', data: '{"n":3}' },
  { data: '' },
  { id: '', data: 'id reset' },
];

/** What an application sees: every event as `type:data@lastEventId`, then the readyState once closed. */
function watch(source: { addEventListener(type: string, listener: (event: MessageEvent) => void): void; readyState: number }, log: string[]): void {
  for (const type of ['message', 'update']) source.addEventListener(type, (event) => log.push(`${event.type}:${event.data}@${event.lastEventId}`));
  source.addEventListener('error', () => {
    if (source.readyState === 2) log.push('closed');
  });
}

describe('WsEventSource against the eventsource package on the same stream', () => {
  it('delivers the same events, data and order over the socket and over its SSE fallback, and closes the same way on a 204', async () => {
    const gateway = await startGatewayDouble();
    const upstream = await startSseUpstream();
    const client = new WSClient({ url: gateway.url, heartbeatInterval: 0 });
    cleanups.push(() => gateway.close(), () => upstream.close(), () => client.close());
    for (const path of ['/stream?by=eventsource', '/stream?by=fallback']) {
      let served = 0;
      upstream.route(path, (_req, res) => {
        served += 1;
        if (served > 1) return res.writeHead(204).end();
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.end(`retry: 10\n\n${STREAM.map(sseText).join('')}`);
      });
    }

    const direct: string[] = [];
    const native = new EventSource(`${upstream.url}/stream?by=eventsource`);
    cleanups.push(() => native.close());
    watch(native as unknown as Parameters<typeof watch>[0], direct);
    await vi.waitFor(() => expect(direct.at(-1)).toBe('closed'), { timeout: 5_000 });

    const relayed: string[] = [];
    const source = new WsEventSource('http://app.example/stream', {}, { client, transport: 'ws' });
    cleanups.push(() => source.close());
    watch(source, relayed);
    await vi.waitFor(() => expect(gateway.subscribedChannels()).toEqual(['sse:/stream']), { timeout: 5_000 });
    for (const event of STREAM) gateway.publish('sse:/stream', event.event ?? 'message', event.data, event.id);
    gateway.publish('sse:/stream', 'sse:end', { reason: 'upstream-closed' });
    await vi.waitFor(() => expect(relayed.at(-1)).toBe('closed'), { timeout: 5_000 });

    const fallback: string[] = [];
    const overSse = new WsEventSource(`${upstream.url}/stream?by=fallback`, {}, { transport: 'sse', retryMs: 10 });
    cleanups.push(() => overSse.close());
    watch(overSse, fallback);
    await vi.waitFor(() => expect(fallback.at(-1)).toBe('closed'), { timeout: 5_000 });

    const withoutIds = (log: string[]) => log.map((line) => line.replace(/@[^@]*$/, ''));
    expect(withoutIds(direct)).toEqual(['message:first', 'update:two\nlines', 'update:{"n":3}', 'message:', 'message:id reset', 'closed']);
    expect(withoutIds(relayed)).toEqual(withoutIds(direct));
    // lastEventId as the HTML spec and browsers keep it: an event without `id:` carries the previous one
    // (the eventsource package gives '' there instead).
    expect(relayed).toEqual(['message:first@1', 'update:two\nlines@1', 'update:{"n":3}@3', 'message:@3', 'message:id reset@', 'closed']);
    expect(fallback).toEqual(relayed);
  });
});
