import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope, nextTick, ref } from 'vue';
import { WSClient } from '../../../reference/client/node.js';
import { useWsEventSource } from '../../../reference/client/vue.js';
import { startGatewayDouble } from './adapters/gateway-double.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

// vueuse opens nothing outside a browser: give the composable a window.
const page = globalThis as { window?: unknown };
beforeEach(() => {
  page.window = globalThis;
  cleanups.push(() => delete page.window);
});

async function setUp() {
  const gateway = await startGatewayDouble();
  const client = new WSClient({ url: gateway.url, heartbeatInterval: 0 });
  client.on('error', () => undefined);
  cleanups.push(() => gateway.close(), () => client.close());
  return { gateway, client };
}

describe('useWsEventSource (wsmig/vue)', () => {
  it('returns vueuse’s reactive state, follows a changing URL, and closes with its scope', async () => {
    const { gateway, client } = await setUp();
    const url = ref('/rooms/1');
    const scope = effectScope();
    const stream = scope.run(() => useWsEventSource(url, ['update'] as const, { client, transport: 'ws', baseUrl: 'https://app.example/' }));
    if (!stream) throw new Error('the scope did not run');
    expect(Object.keys(stream).sort()).toEqual(['close', 'data', 'error', 'event', 'eventSource', 'lastEventId', 'open', 'status']);
    expect(stream.status.value).toBe('CONNECTING');
    await vi.waitFor(() => expect(stream.status.value).toBe('OPEN'), { timeout: 5_000 });
    gateway.publish('sse:/rooms/1', 'message', 'hello', '1');
    await vi.waitFor(() => expect([stream.event.value, stream.data.value, stream.lastEventId.value]).toEqual([null, 'hello', '1']), { timeout: 5_000 });
    gateway.publish('sse:/rooms/1', 'update', 'changed');
    await vi.waitFor(() => expect([stream.event.value, stream.data.value]).toEqual(['update', 'changed']), { timeout: 5_000 });

    url.value = '/rooms/2';
    await nextTick();
    await vi.waitFor(() => expect(gateway.subscribedChannels()).toEqual(['sse:/rooms/2']), { timeout: 5_000 });
    expect(stream.eventSource.value?.url).toBe('https://app.example/rooms/2');

    scope.stop();
    expect(stream.status.value).toBe('CLOSED');
    await vi.waitFor(() => expect(gateway.subscribedChannels()).toEqual([]), { timeout: 5_000 });
  });

  it('reconnects a stream that failed for good as autoReconnect says, then calls onFailed', async () => {
    const { gateway, client } = await setUp();
    gateway.refuse('sse:/private', { code: 'UPSTREAM_STATUS', message: 'upstream answered 403', retryable: false, details: { status: 403, headers: {}, body: '' } });
    const onFailed = vi.fn();
    const scope = effectScope();
    const stream = scope.run(() => useWsEventSource('https://app.example/private', [], { client, transport: 'ws', autoReconnect: { retries: 3, delay: 0, onFailed } }));
    cleanups.push(() => scope.stop());
    await vi.waitFor(() => expect(onFailed).toHaveBeenCalledTimes(1), { timeout: 5_000 });
    expect(gateway.subscribes.filter((s) => s.channel === 'sse:/private')).toHaveLength(3);
    expect(stream?.status.value).toBe('CLOSED');
    expect(stream?.error.value?.type).toBe('error');
  });
});
