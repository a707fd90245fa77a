import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { REDACT_PATHS } from '../../../lib/logger.js';
import type { SyncProgressEvent, SyncStatusReply, WSMessage } from '../../../reference/protocol/index.js';
import { createFileStatusStore, createServer } from '../../../reference/server/index.js';
import { serversPerTest } from '../../helpers/reference-servers.js';
import { RawClient, upgradeStatus } from './raw-client.js';

const servers = serversPerTest();
const start = servers.start;

describe('createServer', () => {
  it('listens on a free port with port 0 and reports its URLs', async () => {
    const s = await start();
    expect(s.port).toBeGreaterThan(0);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
    expect(s.wsUrl).toBe(`ws://127.0.0.1:${s.port}/ws`);
    expect(s.epoch).toMatch(/^[A-Za-z0-9_]+$/);
  });

  it('fails with PORT_IN_USE and a clear message when the port is taken', async () => {
    const first = await start();
    await expect(createServer({ port: first.port })).rejects.toMatchObject({ code: 'PORT_IN_USE', message: expect.stringContaining(`Port ${first.port}`) });
  });

  it('rejects a bad option naming it', async () => {
    await expect(createServer({ port: 0, replayBufferSize: -1 })).rejects.toMatchObject({ code: 'INVALID_SERVER_OPTION', message: expect.stringContaining('replayBufferSize') });
    await expect(createServer({ port: 0, sync: { failureRate: 2 } })).rejects.toMatchObject({ message: expect.stringContaining('sync.failureRate') });
  });

  it('close() stops at once: sockets terminated, port released', async () => {
    const s = await start();
    const client = await RawClient.connect(s.wsUrl);
    await s.close();
    expect((await client.closed).code).toBe(1006);
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
    const again = await start({ port: s.port });
    expect(again.port).toBe(s.port);
  });
});

describe('restart with a file store', () => {
  let dir = '';
  afterEach(async () => {
    // The servers write into dir: stop them before removing it.
    await servers.closeAll();
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = '';
  });

  const sync = { totalMessages: 100, batchSize: 10, batchDelayMs: 40 };
  const processedOf = (messages: readonly WSMessage[]): number[] => messages.filter((m) => m.type === 'sync:progress').map((m) => (m.payload as SyncProgressEvent).processed);

  it('keeps the replay history across a stop: same epoch, exactly the missed events replayed, the resumed run going on with the next seq', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wsmig-restart-'));
    const file = path.join(dir, 'state.json');
    const first = await start({ sync, store: createFileStatusStore(file, { flushDelayMs: 1 }) });
    const client = await RawClient.connect(first.wsUrl);
    await client.request('subscribe', null, 'sync:1');
    const { runId } = (await client.request('sync:start', { chatId: 1 })).payload as { runId: string };
    await client.next((m) => m.type === 'sync:progress' && (m.payload as SyncProgressEvent).processed >= 30);
    await first.close();
    const before = client.events('sync:1');
    const lastSeq = before.at(-1)?.seq as number;

    const second = await start({ sync, store: createFileStatusStore(file) });
    expect(second.epoch).toBe(first.epoch);
    const again = await RawClient.connect(second.wsUrl);
    const resumed = await again.request('subscribe', { fromSeq: lastSeq, epoch: first.epoch }, 'sync:1');
    expect(resumed.payload).toMatchObject({ epoch: first.epoch });
    await again.next((m) => m.id === resumed.id && m.type === 'sync:complete');
    const after = again.events('sync:1');
    expect(again.messages.some((m) => m.type === 'resync')).toBe(false);
    // One stream across the restart: seqs 1..11 once each, progress 10..100 once each, one complete.
    const stream = [...before, ...after];
    expect(stream.map((m) => m.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(processedOf(stream)).toEqual(Array.from({ length: 10 }, (_, i) => 10 * (i + 1)));
    expect(stream.every((m) => m.epoch === first.epoch && (m.payload as { runId: string }).runId === runId)).toBe(true);
    expect(stream.at(-1)?.type).toBe('sync:complete');
    expect(await second.registry.getSingleMetricAsString('wsmig_sync_jobs_total')).toContain('wsmig_sync_jobs_total{status="resumed"} 1');
    again.close();
  });

  it('without a hub state file, knows each chat status, resyncs resuming clients and resumes an orphaned run with the same runId from the stored progress', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wsmig-restart-'));
    const file = path.join(dir, 'state.json');
    const first = await start({ sync, hubStateFile: false, store: createFileStatusStore(file, { flushDelayMs: 1 }) });
    const client = await RawClient.connect(first.wsUrl);
    await client.request('subscribe', null, 'sync:1');
    await client.request('sync:start', { chatId: 2, options: { batchSize: 100 } });
    const { runId } = (await client.request('sync:start', { chatId: 1 })).payload as { runId: string };
    await client.next((m) => m.type === 'sync:progress' && (m.payload as SyncProgressEvent).processed >= 30);
    await first.close();
    const seenBefore = processedOf(client.events('sync:1'));

    // Slower batches after the restart leave ample time to look at the resumed run while it is going.
    const second = await start({ sync: { ...sync, batchDelayMs: 200 }, hubStateFile: false, store: createFileStatusStore(file) });
    const again = await RawClient.connect(second.wsUrl);
    const completed = (await again.request('sync:status', { chatId: 2 })).payload as SyncStatusReply;
    expect(completed).toMatchObject({ syncStatus: 'completed', processed: 100 });
    await again.request('subscribe', { fromSeq: 3, epoch: first.epoch }, 'sync:1');
    const resync = await again.next((m) => m.type === 'resync');
    expect(resync.payload).toMatchObject({ reason: 'epoch-changed', snapshot: { chatId: 1, syncStatus: 'running', runId } });
    const join = (await again.request('sync:start', { chatId: 1 })).payload as { status: string; runId: string };
    expect(join).toEqual({ chatId: 1, status: 'running', runId });
    // Everything published since the restart, replayed from the start of the new epoch.
    const fromStart = await again.request('subscribe', { fromSeq: 0, epoch: second.epoch }, 'sync:1');
    await again.next((m) => m.id === fromStart.id && m.type === 'sync:complete');
    const after = again.messages.filter((m) => m.id === fromStart.id && m.type === 'sync:progress').map((m) => m.payload as SyncProgressEvent);
    expect(after.every((e) => e.runId === runId)).toBe(true);
    // Resumed from the stored progress: it did not start over at 10.
    expect(after[0]?.processed).toBeGreaterThan(10);
    expect(after[0]?.processed).toBeLessThanOrEqual(Math.max(...seenBefore) + 10);
    expect(after.map((e) => e.processed)).toEqual(Array.from({ length: after.length }, (_, i) => (after[0]?.processed ?? 0) + 10 * i));
    expect(after.at(-1)?.processed).toBe(100);
    again.close();
  });

  it('saves the replay history at most once per interval while events flow, and not while only subscriptions change', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wsmig-restart-'));
    const s = await start({ sync: { totalMessages: 200, batchSize: 1, batchDelayMs: 5 }, hubStateIntervalMs: 100, hubStateFile: path.join(dir, 'history.json') });
    const writes = async (): Promise<number> => (await s.registry.getSingleMetric('wsmig_hub_state_writes_total')?.get())?.values[0]?.value ?? 0;
    // The write at start, which marks the history as in use.
    expect(await writes()).toBe(1);
    const client = await RawClient.connect(s.wsUrl);
    for (let i = 0; i < 20; i += 1) await client.request('subscribe', null, `sync:${i}`);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await writes()).toBe(1);

    await client.request('sync:start', { chatId: 1 });
    await client.next((m) => m.type === 'sync:complete', 20_000);
    const during = (await writes()) - 1;
    // 201 events, coalesced into a few writes (at most one per interval: HubStateWriter's test, on a fake clock).
    expect(during).toBeGreaterThanOrEqual(1);
    expect(during).toBeLessThan(201);
    client.close();
  });
});

describe('logs', () => {
  it('never contain a token, whichever way it was presented', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const logger = pino({ level: 'trace', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
    const s = await start({ logger, token: 'client-secret-1', adminToken: 'admin-secret-2', sync: { batchDelayMs: 1 } });
    // Tokens in URLs are refused (TOKEN_IN_URL), and the refusal is logged with the URL scrubbed.
    expect(await upgradeStatus(`${s.wsUrl}?token=client-secret-1`)).toBe(400);
    expect(await upgradeStatus(`${s.wsUrl}?token=wrong-secret-3`)).toBe(400);
    const client = await RawClient.connect(s.wsUrl, { headers: { authorization: 'Bearer client-secret-1' } });
    await client.request('sync:start', { chatId: 1 });
    client.send('garbage');
    client.close();
    await fetch(`${s.url}/admin/flag`, { method: 'POST', headers: { authorization: 'Bearer admin-secret-2', 'content-type': 'application/json' }, body: '{"value":true}' });
    await fetch(`${s.url}/admin/faults?token=admin-secret-2`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"latencyMs":1}' });
    await fetch(`${s.url}/api/sync/1/events?token=client-secret-1&start=1`);
    await s.close();
    const text = lines.join('');
    expect(text).toContain('reference server listening');
    expect(text).toContain('feature flag USE_NEW_WS_SYNC changed to true');
    expect(text).toContain('token=[redacted]');
    for (const secret of ['client-secret-1', 'admin-secret-2', 'wrong-secret-3']) expect(text).not.toContain(secret);
  });
});
