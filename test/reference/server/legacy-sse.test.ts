import { describe, expect, it, vi } from 'vitest';
import { serversPerTest } from '../../helpers/reference-servers.js';
import { RawClient } from './raw-client.js';
import { readSse, seqOf } from './sse-reader.js';

const { start } = serversPerTest({ sync: { totalMessages: 100, batchSize: 10, batchDelayMs: 10 } });

const json = { 'content-type': 'application/json' };

describe('POST /commands/sync (fetch + stream reader)', () => {
  it('streams a whole sync: ten progress events with ids, then complete, then the stream ends', async () => {
    const s = await start();
    const read = await readSse(`${s.url}/commands/sync`, { method: 'POST', headers: json, body: JSON.stringify({ chatId: 42, options: { batchSize: 10 } }) });
    expect(read.status).toBe(200);
    expect(read.contentType).toContain('text/event-stream');
    expect(read.ended).toBe(true);
    expect(read.events.map((e) => e.event)).toEqual([...Array.from({ length: 10 }, () => 'progress'), 'complete']);
    expect(read.events.map((e) => e.id)).toEqual(Array.from({ length: 11 }, (_, i) => `${s.epoch}-${i + 1}`));
    const progress = read.events.slice(0, 10).map((e) => JSON.parse(e.data) as { processed: number; progress: number });
    expect(progress.map((p) => p.processed)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(JSON.parse(read.events[10]?.data ?? '')).toMatchObject({ chatId: 42, processed: 100, total: 100 });
  });

  it('joins a run already going for the chat instead of starting a second one', async () => {
    const s = await start({ sync: { totalMessages: 100, batchSize: 10, batchDelayMs: 20 } });
    const body = JSON.stringify({ chatId: 'shared' });
    const [a, b] = await Promise.all([readSse(`${s.url}/commands/sync`, { method: 'POST', headers: json, body }), readSse(`${s.url}/commands/sync`, { method: 'POST', headers: json, body })]);
    const runIds = new Set([...a.events, ...b.events].map((e) => (JSON.parse(e.data) as { runId: string }).runId));
    expect(runIds.size).toBe(1);
    expect(a.events.at(-1)?.event).toBe('complete');
    expect(b.events.at(-1)?.event).toBe('complete');
  });

  it('answers a bad body with 400 and a JSON error saying what to send', async () => {
    const s = await start();
    for (const body of ['{not json', JSON.stringify({ chat: 1 }), JSON.stringify({ chatId: 1, options: { batchSize: -1 } })]) {
      const response = await fetch(`${s.url}/commands/sync`, { method: 'POST', headers: json, body });
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ error: { code: 'INVALID_PAYLOAD' } });
    }
  });

  it('ends with an error event when the run fails', async () => {
    const s = await start({ sync: { batchDelayMs: 1, failureRate: 1 } });
    const read = await readSse(`${s.url}/commands/sync`, { method: 'POST', headers: json, body: JSON.stringify({ chatId: 9 }) });
    expect(read.ended).toBe(true);
    expect(read.events.at(-1)?.event).toBe('error');
    expect(JSON.parse(read.events.at(-1)?.data ?? '')).toMatchObject({ error: { code: 'INTERNAL' } });
  });

  it('requires the token when one is configured', async () => {
    const s = await start({ token: 'tok' });
    const refused = await fetch(`${s.url}/commands/sync`, { method: 'POST', headers: json, body: JSON.stringify({ chatId: 1 }) });
    expect(refused.status).toBe(401);
    const read = await readSse(`${s.url}/commands/sync`, { method: 'POST', headers: { ...json, authorization: 'Bearer tok' }, body: JSON.stringify({ chatId: 1 }) });
    expect(read.events.at(-1)?.event).toBe('complete');
  });
});

describe('GET /api/sync/:chatId/events (EventSource)', () => {
  it('with ?start=1 starts the sync and streams it whole, then ends', async () => {
    const s = await start();
    const read = await readSse(`${s.url}/api/sync/7/events?start=1`);
    expect(read.status).toBe(200);
    expect(read.ended).toBe(true);
    expect(read.events.map(seqOf)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(read.events.at(-1)?.event).toBe('complete');
    expect(JSON.parse(read.events[0]?.data ?? '')).toMatchObject({ chatId: 7, processed: 10 });
  });

  it('resumes with Last-Event-ID without loss or repeat, and answers 204 once the client has the end', async () => {
    const s = await start({ sync: { totalMessages: 100, batchSize: 5, batchDelayMs: 10 } });
    const first = await readSse(`${s.url}/api/sync/8/events?start=1`, {}, (events) => events.length >= 4);
    expect(first.ended).toBe(false);
    const lastId = first.events.at(-1)?.id as string;
    const second = await readSse(`${s.url}/api/sync/8/events?start=1`, { headers: { 'last-event-id': lastId } });
    expect(second.ended).toBe(true);
    const all = [...first.events, ...second.events].map(seqOf);
    expect(all).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    const runIds = new Set([...first.events, ...second.events].map((e) => (JSON.parse(e.data) as { runId: string }).runId));
    expect(runIds.size).toBe(1);
    const done = await fetch(`${s.url}/api/sync/8/events?start=1`, { headers: { 'last-event-id': second.events.at(-1)?.id as string } });
    expect(done.status).toBe(204);
  });

  it('sends a resync event with the status snapshot when the Last-Event-ID is from another epoch', async () => {
    const s = await start();
    await readSse(`${s.url}/api/sync/5/events?start=1`);
    const read = await readSse(`${s.url}/api/sync/5/events?start=1`, { headers: { 'last-event-id': 'gone-3' } });
    expect(read.events).toHaveLength(1);
    expect(read.events[0]).toMatchObject({ event: 'resync', id: `${s.epoch}-11` });
    expect(JSON.parse(read.events[0]?.data ?? '')).toMatchObject({ reason: 'epoch-changed', epoch: s.epoch, seq: 11, snapshot: { chatId: 5, syncStatus: 'completed' } });
    expect(read.ended).toBe(true);
    const after = await fetch(`${s.url}/api/sync/5/events?start=1`, { headers: { 'last-event-id': read.events[0]?.id as string } });
    expect(after.status).toBe(204);
  });

  it('shares the WebSocket seq space: a client can switch from WebSocket to SSE mid-sync without loss', async () => {
    const s = await start({ sync: { totalMessages: 100, batchSize: 5, batchDelayMs: 10 } });
    const ws = await RawClient.connect(s.wsUrl);
    await ws.request('subscribe', null, 'sync:11');
    await ws.request('sync:start', { chatId: 11 });
    await ws.next((m) => m.type === 'sync:progress' && (m.seq as number) >= 6);
    ws.close();
    await ws.closed;
    const seen = ws.events('sync:11');
    const last = seen.at(-1) as { seq: number; epoch: string };
    const read = await readSse(`${s.url}/api/sync/11/events`, { headers: { 'last-event-id': `${last.epoch}-${last.seq}` } });
    expect([...seen.map((m) => m.seq), ...read.events.map(seqOf)]).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
  });

  it('sends keep-alive comments every sseKeepAliveMs', async () => {
    const s = await start({ sseKeepAliveMs: 50, sync: { totalMessages: 10, batchSize: 1, batchDelayMs: 40 } });
    const read = await readSse(`${s.url}/api/sync/12/events?start=1`);
    expect(read.comments.filter((c) => c.trim() === 'keep-alive').length).toBeGreaterThan(0);
    expect(read.events.at(-1)?.event).toBe('complete');
  });

  it('answers a bad chat id with 400, and CORS preflights from an allowed origin', async () => {
    const s = await start({ allowedOrigins: ['https://app.example.com'] });
    expect((await fetch(`${s.url}/api/sync/bad%20id/events`)).status).toBe(400);
    const preflight = await fetch(`${s.url}/api/sync/1/events`, { method: 'OPTIONS', headers: { origin: 'https://app.example.com', 'access-control-request-headers': 'last-event-id' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Last-Event-ID');
    expect((await fetch(`${s.url}/api/sync/1/events`, { headers: { origin: 'https://evil.example.com' } })).status).toBe(403);
  });

  it('is ended by a drain, and refused with 503 while draining', async () => {
    const s = await start({ sync: { totalMessages: 1000, batchSize: 1, batchDelayMs: 20 } });
    const streaming = readSse(`${s.url}/api/sync/13/events?start=1`);
    const ws = await RawClient.connect(s.wsUrl);
    // The stream's run is two batches in (so the stream carries events) before the drain ends it.
    await vi.waitFor(async () => expect(((await ws.request('sync:status', { chatId: 13 }, 'sync')).payload as { processed?: number }).processed).toBeGreaterThanOrEqual(2), { timeout: 5_000 });
    ws.ws.on('close', () => undefined);
    // Hold the drain open: this client answers nothing until we read the 503.
    ws.ws.pause();
    const drained = s.drain({ windowMs: 100, timeoutMs: 2_000 });
    const refused = await fetch(`${s.url}/commands/sync`, { method: 'POST', headers: json, body: JSON.stringify({ chatId: 14 }) });
    expect(refused.status).toBe(503);
    expect(await refused.json()).toMatchObject({ error: { code: 'DRAINING' } });
    ws.ws.resume();
    const read = await streaming;
    expect(read.ended).toBe(true);
    expect(read.events.length).toBeGreaterThan(0);
    expect(read.events.every((e) => e.event === 'progress')).toBe(true);
    await drained;
  });
});
