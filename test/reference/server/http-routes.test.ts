import { describe, expect, it, vi } from 'vitest';
import { declaredFamilies, findSample, samplesFromText } from '../../../lib/prometheus-text.js';
import { serversPerTest } from '../../helpers/reference-servers.js';
import { RawClient, upgradeStatus } from './raw-client.js';
import { readSse } from './sse-reader.js';

const { start } = serversPerTest();

/** Opens an SSE stream and keeps what arrives on it, without waiting for its end. */
async function openStream(url: string): Promise<{ received(): string; abort(): void }> {
  const controller = new AbortController();
  const response = await fetch(url, { signal: controller.signal });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  void (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      text += decoder.decode(value, { stream: true });
    }
  })().catch(() => undefined);
  return { received: () => text, abort: () => controller.abort() };
}

function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

describe('health and config', () => {
  it('/health reports status, connections, transport, uptime, epoch and version', async () => {
    const s = await start({ flag: { value: true } });
    const client = await RawClient.connect(s.wsUrl);
    const response = await fetch(`${s.url}/health`);
    expect(response.status).toBe(200);
    const health = (await response.json()) as { uptimeSeconds: number };
    expect(health).toMatchObject({ status: 'ok', connections: 1, sseStreams: 0, transport: 'ws', epoch: s.epoch, version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
    expect(health.uptimeSeconds).toBeGreaterThanOrEqual(0);
    client.close();
  });

  it('/api/config follows the flag and advertises the WebSocket endpoint', async () => {
    const s = await start({ flag: { value: false }, wsEndpoint: 'wss://realtime.example.com/ws' });
    expect(await (await fetch(`${s.url}/api/config`)).json()).toEqual({ transport: 'sse', wsEndpoint: 'wss://realtime.example.com/ws', flag: { name: 'USE_NEW_WS_SYNC', value: false, percentage: 0, groupId: 'USE_NEW_WS_SYNC', sticky: true } });
    s.setFlag(true);
    expect(await (await fetch(`${s.url}/api/config`)).json()).toMatchObject({ transport: 'ws', flag: { value: true } });
  });

  it('defaults the advertised endpoint to its own wsUrl and the flag to the USE_NEW_WS_SYNC environment variable', async () => {
    const previous = process.env['USE_NEW_WS_SYNC'];
    process.env['USE_NEW_WS_SYNC'] = 'true';
    try {
      const s = await start();
      expect(await (await fetch(`${s.url}/api/config`)).json()).toMatchObject({ transport: 'ws', wsEndpoint: s.wsUrl });
    } finally {
      if (previous === undefined) delete process.env['USE_NEW_WS_SYNC'];
      else process.env['USE_NEW_WS_SYNC'] = previous;
    }
  });

  it('answers unknown paths with a JSON 404 and wrong methods with 405', async () => {
    const s = await start();
    const missing = await fetch(`${s.url}/nope`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const wrong = await fetch(`${s.url}/health`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });

  it('tries app routes first, so an app can serve its own endpoints beside the WebSocket service', async () => {
    const s = await start({
      routes: (req, res) => {
        if (req.url !== '/legacy/ping') return false;
        res.end('pong');
        return true;
      },
    });
    expect(await (await fetch(`${s.url}/legacy/ping`)).text()).toBe('pong');
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
  });

  it('can leave out the built-in SSE endpoints', async () => {
    const s = await start({ legacySse: false });
    expect((await fetch(`${s.url}/api/sync/1/events`)).status).toBe(404);
  });
});

describe('admin endpoints', () => {
  it('POST /admin/flag flips the flag live, reflected at once by /api/config, /health and the metric', async () => {
    const s = await start({ flag: { value: true }, adminLoopback: true });
    const answer = await post(`${s.url}/admin/flag`, { value: false });
    expect(answer.status).toBe(200);
    expect(await answer.json()).toMatchObject({ transport: 'sse', flag: { value: false } });
    expect(s.flag).toBe(false);
    expect(await (await fetch(`${s.url}/health`)).json()).toMatchObject({ transport: 'sse' });
    expect(await s.registry.getSingleMetricAsString('wsmig_feature_flag')).toContain('wsmig_feature_flag{name="USE_NEW_WS_SYNC"} 0');
    expect((await post(`${s.url}/admin/flag`, { value: 'no' })).status).toBe(400);
  });

  it('POST /admin/kick closes WebSocket clients with 4300', async () => {
    const s = await start({ adminLoopback: true });
    const clients = await Promise.all([1, 2].map(() => RawClient.connect(s.wsUrl)));
    expect(await (await post(`${s.url}/admin/kick`, { count: 1 })).json()).toEqual({ kicked: 1 });
    expect(await (await post(`${s.url}/admin/kick`, {})).json()).toEqual({ kicked: 1 });
    expect(await Promise.all(clients.map(async (c) => (await c.closed).code))).toEqual([4300, 4300]);
  });

  it('POST /admin/faults holds replies and events back by the injected latency, and rejects bad values', async () => {
    const s = await start({ sync: { totalMessages: 2, batchSize: 1, batchDelayMs: 1 }, adminLoopback: true });
    const held = await RawClient.connect(s.wsUrl);
    const prompt = await RawClient.connect(s.wsUrl);
    // Ten minutes, far beyond the test: nothing it holds back can arrive before what was sent without it,
    // however slow the machine (the exact delay is DelayQueue's test, on a fake clock).
    expect(await (await post(`${s.url}/admin/faults`, { latencyMs: 600_000 })).json()).toEqual({ faults: { latencyMs: 600_000, syncFailureRate: 0 } });
    expect(await s.registry.getSingleMetricAsString('wsmig_injected_latency_seconds')).toContain('wsmig_injected_latency_seconds 600');
    held.request('echo', 'held').catch(() => undefined);
    const heldStream = await openStream(`${s.url}/api/sync/1/events?start=1`);
    // The run behind the held stream is over: its events exist, and wait in the stream's delay.
    await vi.waitFor(async () => expect(await s.registry.getSingleMetricAsString('wsmig_sync_jobs_total')).toContain('wsmig_sync_jobs_total{status="completed"} 1'), { timeout: 5_000 });

    const bad = await post(`${s.url}/admin/faults`, { syncFailureRate: 2 });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('syncFailureRate');
    s.setFaults({ latencyMs: 0 });
    expect((await prompt.request('echo', 'prompt')).payload).toBe('prompt');
    const read = await readSse(`${s.url}/api/sync/2/events?start=1`);
    expect(read.events.at(-1)?.event).toBe('complete');
    // Everything without the latency arrived; what was sent under it still has not.
    expect(held.messages.filter((m) => m.type === 'reply')).toEqual([]);
    expect(heldStream.received()).toBe('');
    heldStream.abort();
    held.close();
    prompt.close();
  });

  it('requires the admin token when configured, and refuses browser (Origin) requests', async () => {
    const s = await start({ adminToken: 'adm' });
    expect((await post(`${s.url}/admin/flag`, { value: true })).status).toBe(401);
    expect((await post(`${s.url}/admin/flag`, { value: true }, { authorization: 'Bearer nope' })).status).toBe(401);
    expect((await post(`${s.url}/admin/flag`, { value: true }, { authorization: 'Bearer adm' })).status).toBe(200);
    expect((await post(`${s.url}/admin/flag`, { value: true }, { authorization: 'Bearer adm', origin: 'https://evil.example.com' })).status).toBe(403);
  });
});

describe('metrics', () => {
  it('exposes every documented metric with values that follow what happened', async () => {
    const s = await start({ sync: { totalMessages: 20, batchSize: 10, batchDelayMs: 1 }, token: 't' });
    const client = await RawClient.connect(s.wsUrl, { headers: { authorization: 'Bearer t' } });
    await client.request('echo', 'x');
    await client.request('made:up', null);
    client.send('garbage');
    await client.next((m) => m.error?.code === 'BAD_FRAME');
    await client.request('subscribe', null, 'sync:1');
    await client.request('sync:start', { chatId: 1 });
    await client.next((m) => m.type === 'sync:complete');
    await client.request('subscribe', { fromSeq: 1, epoch: 'old' }, 'sync:1');
    await client.next((m) => m.type === 'resync');
    const resumed = await RawClient.connect(s.wsUrl, { headers: { authorization: 'Bearer t' } });
    await resumed.request('subscribe', { fromSeq: 1, epoch: s.epoch }, 'sync:1');
    expect(await upgradeStatus(s.wsUrl)).toBe(401);
    const sse = await fetch(`${s.url}/api/sync/1/events`, { headers: { authorization: 'Bearer t' } });
    client.close();
    await client.closed;

    const response = await fetch(`${s.url}/metrics`);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    await sse.body?.cancel();
    resumed.close();
    const samples = samplesFromText(text);
    const value = (name: string, labels: Record<string, string> = {}): number => {
      const sample = findSample(samples, name, labels);
      expect(sample, `${name}${JSON.stringify(labels)}`).toBeDefined();
      return Number(sample?.value);
    };
    expect(value('wsmig_ws_connections')).toBe(1);
    expect(value('wsmig_ws_connection_attempts_total', { outcome: 'accepted' })).toBe(2);
    expect(value('wsmig_ws_connection_attempts_total', { outcome: 'unauthorized' })).toBe(1);
    expect(value('wsmig_ws_connection_attempts_total', { outcome: 'overloaded' })).toBe(0);
    // The client closed without a code: 1005 (no status).
    expect(value('wsmig_ws_disconnects_total', { code: '1005' })).toBe(1);
    expect(value('wsmig_ws_messages_total', { direction: 'in', type: 'echo' })).toBe(1);
    expect(value('wsmig_ws_messages_total', { direction: 'in', type: 'other' })).toBe(2);
    expect(value('wsmig_ws_messages_total', { direction: 'out', type: 'sync:progress' })).toBe(2 + 1);
    expect(value('wsmig_ws_request_duration_seconds_count', { type: 'echo' })).toBe(1);
    expect(text).toContain('wsmig_ws_request_duration_seconds_bucket{le="0.0001",type="echo"}');
    expect(value('wsmig_sync_jobs_total', { status: 'started' })).toBe(1);
    expect(value('wsmig_sync_jobs_total', { status: 'completed' })).toBe(1);
    expect(value('wsmig_sync_jobs_running')).toBe(0);
    expect(value('wsmig_sse_streams', { endpoint: '/api/sync/:chatId/events' })).toBe(1);
    expect(value('wsmig_replayed_events_total')).toBe(2);
    expect(value('wsmig_resyncs_total', { reason: 'epoch-changed' })).toBe(1);
    expect(value('wsmig_bad_frames_total')).toBe(1);
    expect(value('wsmig_rate_limited_total')).toBe(0);
    expect(value('wsmig_slow_consumer_closes_total')).toBe(0);
    expect(value('wsmig_feature_flag', { name: 'USE_NEW_WS_SYNC' })).toBeGreaterThanOrEqual(0);
    expect(value('wsmig_injected_latency_seconds')).toBe(0);
    expect(value('wsmig_process_resident_memory_bytes')).toBeGreaterThan(10_000_000);
    expect(value('wsmig_process_cpu_seconds_total')).toBeGreaterThan(0);
    const families = declaredFamilies(text);
    expect(families.has('wsmig_nodejs_eventloop_lag_seconds')).toBe(true);
    expect(families.has('wsmig_nodejs_eventloop_lag_p99_seconds')).toBe(true);
  });

  it('keeps a registry per server, so two servers in one process do not mix their counts', async () => {
    const a = await start();
    const b = await start();
    const client = await RawClient.connect(a.wsUrl);
    await client.request('echo', 1);
    client.close();
    expect(a.registry).not.toBe(b.registry);
    expect(await b.registry.getSingleMetricAsString('wsmig_ws_connection_attempts_total')).toContain('{outcome="accepted"} 0');
    expect(await a.registry.getSingleMetricAsString('wsmig_ws_connection_attempts_total')).toContain('{outcome="accepted"} 1');
  });
});
