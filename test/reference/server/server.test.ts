import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { SyncProgressEvent, SyncStatusReply } from '../../../reference/protocol/index.js';
import { createFileStatusStore, createServer, type ReferenceServer } from '../../../reference/server/index.js';
import { RawClient } from './raw-client.js';

const servers: ReferenceServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function track(server: Promise<ReferenceServer>): Promise<ReferenceServer> {
  const started = await server;
  servers.push(started);
  return started;
}

describe('createServer', () => {
  it('listens on a free port with port 0 and reports its URLs', async () => {
    const s = await track(createServer({ port: 0 }));
    expect(s.port).toBeGreaterThan(0);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
    expect(s.wsUrl).toBe(`ws://127.0.0.1:${s.port}/ws`);
    expect(s.epoch).toMatch(/^[A-Za-z0-9_]+$/);
  });

  it('fails with PORT_IN_USE and a clear message when the port is taken', async () => {
    const first = await track(createServer({ port: 0 }));
    await expect(createServer({ port: first.port })).rejects.toMatchObject({ code: 'PORT_IN_USE', message: expect.stringContaining(`Port ${first.port}`) });
  });

  it('rejects a bad option naming it', async () => {
    await expect(createServer({ port: 0, replayBufferSize: -1 })).rejects.toMatchObject({ code: 'INVALID_SERVER_OPTION', message: expect.stringContaining('replayBufferSize') });
    await expect(createServer({ port: 0, sync: { failureRate: 2 } })).rejects.toMatchObject({ message: expect.stringContaining('sync.failureRate') });
  });

  it('close() stops at once: sockets terminated, port released', async () => {
    const s = await createServer({ port: 0 });
    const client = await RawClient.connect(s.wsUrl);
    await s.close();
    expect((await client.closed).code).toBe(1006);
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
    const again = await track(createServer({ port: s.port }));
    expect(again.port).toBe(s.port);
  });
});

describe('restart with a file store', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('knows each chat status after a restart and resumes an orphaned run with the same runId from the stored progress', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'wsmig-restart-'));
    const file = path.join(dir, 'state.json');
    const sync = { totalMessages: 100, batchSize: 10, batchDelayMs: 40 };
    const first = await createServer({ port: 0, sync, store: createFileStatusStore(file, { flushDelayMs: 1 }) });
    const client = await RawClient.connect(first.wsUrl);
    await client.request('subscribe', null, 'sync:1');
    await client.request('sync:start', { chatId: 2, options: { batchSize: 100 } });
    const { runId } = (await client.request('sync:start', { chatId: 1 })).payload as { runId: string };
    await client.next((m) => m.type === 'sync:progress' && (m.payload as SyncProgressEvent).processed >= 30);
    // Crash-like stop: jobs end, the store still says "running".
    await first.close();
    const seenBefore = client.events('sync:1').map((m) => (m.payload as SyncProgressEvent).processed);

    const second = await track(createServer({ port: 0, sync, store: createFileStatusStore(file) }));
    const again = await RawClient.connect(second.wsUrl);
    const completed = (await again.request('sync:status', { chatId: 2 })).payload as SyncStatusReply;
    expect(completed).toMatchObject({ syncStatus: 'completed', processed: 100 });
    await again.request('subscribe', { fromSeq: 3, epoch: first.epoch }, 'sync:1');
    const resync = await again.next((m) => m.type === 'resync');
    expect(resync.payload).toMatchObject({ reason: 'epoch-changed', snapshot: { chatId: 1, syncStatus: 'running', runId } });
    const join = (await again.request('sync:start', { chatId: 1 })).payload as { status: string; runId: string };
    expect(join).toEqual({ chatId: 1, status: 'running', runId });
    await again.next((m) => m.type === 'sync:complete');
    const after = again.events('sync:1', ['sync:progress']).map((m) => m.payload as SyncProgressEvent);
    expect(after.every((e) => e.runId === runId)).toBe(true);
    // Resumed from the stored progress: it did not start over at 10.
    expect(after[0]?.processed).toBeGreaterThan(10);
    expect(after[0]?.processed).toBeLessThanOrEqual(Math.max(...seenBefore) + 10);
    expect(after.at(-1)?.processed).toBe(100);
    expect(await second.registry.getSingleMetricAsString('wsmig_sync_jobs_total')).toContain('wsmig_sync_jobs_total{status="resumed"} 1');
    again.close();
  });
});
