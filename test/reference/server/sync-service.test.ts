import { describe, expect, it, vi } from 'vitest';
import type { SyncStatusReply } from '../../../reference/protocol/index.js';
import { silentLogger } from '../../../lib/logger.js';
import { createMemoryHub, createMemoryStatusStore, type ChannelEvent, type HubSubscriber, type ReferenceServer, type ServerOptions } from '../../../reference/server/index.js';
import { ServerMetrics } from '../../../reference/server/metrics.js';
import { SyncService } from '../../../reference/server/sync-service.js';
import { serversPerTest } from '../../helpers/reference-servers.js';
import { RawClient } from './raw-client.js';

const servers = serversPerTest();
let server: ReferenceServer | undefined;

async function connected(options: ServerOptions = {}): Promise<RawClient> {
  server = await servers.start(options);
  return RawClient.connect(server.wsUrl);
}

describe('sync:start, sync:status, sync:cancel', () => {
  it('is idempotent while a run is going: the second start joins it (status running, same runId)', async () => {
    const client = await connected({ sync: { batchDelayMs: 20 } });
    const [a, b] = await Promise.all([client.request('sync:start', { chatId: 1 }), client.request('sync:start', { chatId: 1 })]);
    const c = await client.request('sync:start', { chatId: 1, options: { batchSize: 50 } });
    const statuses = [a, b, c].map((m) => (m.payload as { status: string }).status).sort();
    expect(statuses).toEqual(['running', 'running', 'started']);
    expect(new Set([a, b, c].map((m) => (m.payload as { runId: string }).runId)).size).toBe(1);
    expect((await server?.registry.getSingleMetricAsString('wsmig_sync_jobs_total')) ?? '').toContain('wsmig_sync_jobs_total{status="started"} 1');
    client.close();
  });

  it('reports idle for an unknown chat, running with progress during a run, completed after it', async () => {
    const client = await connected({ sync: { totalMessages: 40, batchSize: 10, batchDelayMs: 30 }, clock: () => 1_700_000_000_000 });
    const idle = await client.request('sync:status', { chatId: 'never' });
    expect(idle.payload).toEqual({ chatId: 'never', syncStatus: 'idle', syncProgress: 0, processed: 0, total: 0, runId: null, updatedAt: 0 });
    await client.request('subscribe', null, 'sync:2');
    const started = (await client.request('sync:start', { chatId: 2 })).payload as { runId: string };
    await client.next((m) => m.type === 'sync:progress' && (m.payload as { processed: number }).processed === 20);
    const running = (await client.request('sync:status', { chatId: 2 })).payload as SyncStatusReply;
    expect(running).toMatchObject({ chatId: 2, syncStatus: 'running', total: 40, runId: started.runId, updatedAt: 1_700_000_000_000 });
    expect(running.processed).toBeGreaterThanOrEqual(20);
    expect(running.syncProgress).toBe((running.processed * 100) / 40);
    await client.next((m) => m.type === 'sync:complete');
    expect((await client.request('sync:status', { chatId: 2 })).payload).toMatchObject({ syncStatus: 'completed', syncProgress: 100, processed: 40, runId: started.runId });
    const again = (await client.request('sync:start', { chatId: 2 })).payload as { status: string; runId: string };
    expect(again.status).toBe('started');
    expect(again.runId).not.toBe(started.runId);
    client.close();
  });

  it('cancels a running sync: the reply says so, subscribers get sync:error CANCELLED, the status is cancelled', async () => {
    const client = await connected({ sync: { batchDelayMs: 50 } });
    expect((await client.request('sync:cancel', { chatId: 3 })).payload).toEqual({ chatId: 3, cancelled: false });
    await client.request('subscribe', null, 'sync:3');
    await client.request('sync:start', { chatId: 3 });
    expect((await client.request('sync:cancel', { chatId: 3 })).payload).toEqual({ chatId: 3, cancelled: true });
    const error = await client.next((m) => m.type === 'sync:error');
    expect(error.payload).toMatchObject({ chatId: 3, error: { code: 'CANCELLED', retryable: false } });
    expect((await client.request('sync:status', { chatId: 3 })).payload).toMatchObject({ syncStatus: 'cancelled', error: { code: 'CANCELLED' } });
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(client.events('sync:3').filter((m) => m.type !== 'sync:error').length).toBeLessThanOrEqual(1);
    client.close();
  });

  it('fails runs at the configured failure rate with sync:error and a failed status', async () => {
    const client = await connected({ sync: { batchDelayMs: 1, failureRate: 1 } });
    await client.request('subscribe', null, 'sync:4');
    await client.request('sync:start', { chatId: 4 });
    const error = await client.next((m) => m.type === 'sync:error');
    expect(error.payload).toMatchObject({ chatId: 4, error: { code: 'INTERNAL', retryable: true } });
    expect((await client.request('sync:status', { chatId: 4 })).payload).toMatchObject({ syncStatus: 'failed' });
    client.close();
  });

  it('fails about the configured share of runs (injected random), spread over the batches', async () => {
    let state = 42;
    // A small deterministic LCG: the same draws every run.
    const random = (): number => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const client = await connected({ sync: { totalMessages: 20, batchSize: 5, batchDelayMs: 1, failureRate: 0.3 }, random });
    const runs = 60;
    for (let chat = 0; chat < runs; chat += 1) {
      await client.request('subscribe', null, `sync:${chat}`);
      await client.request('sync:start', { chatId: chat });
    }
    const ends = await Promise.all(Array.from({ length: runs }, (_, chat) => client.next((m) => m.channel === `sync:${chat}` && (m.type === 'sync:complete' || m.type === 'sync:error'))));
    const failed = ends.filter((m) => m.type === 'sync:error').length;
    expect(failed).toBeGreaterThan(runs * 0.1);
    expect(failed).toBeLessThan(runs * 0.55);
    client.close();
  });

  it('applies an injected failure rate (setFaults) to runs already going', async () => {
    const client = await connected({ sync: { totalMessages: 100, batchSize: 1, batchDelayMs: 5 } });
    await client.request('subscribe', null, 'sync:5');
    await client.request('sync:start', { chatId: 5 });
    await client.next((m) => m.type === 'sync:progress');
    server?.setFaults({ syncFailureRate: 1 });
    expect((await client.next((m) => m.type === 'sync:error' || m.type === 'sync:complete')).type).toBe('sync:error');
    client.close();
  });
});

describe('SyncService while draining', () => {
  it('refuses new runs with DRAINING but lets a caller join a running one', async () => {
    let draining = false;
    const hub = createMemoryHub({ epoch: 'e', replayBufferSize: 8, channelTtlMs: 60_000 });
    const metrics = new ServerMetrics({ connections: () => 0, flag: () => ({ name: 'USE_NEW_WS_SYNC', percentage: 100 }), injectedLatencyMs: () => 0 });
    const sync = new SyncService({
      hub,
      store: createMemoryStatusStore(),
      settings: { totalMessages: 10, batchSize: 1, batchDelayMs: 50, failureRate: 0 },
      metrics,
      logger: silentLogger(),
      random: Math.random,
      clock: Date.now,
      injectedFailureRate: () => 0,
      isDraining: () => draining,
      maxRunning: 10_000,
    });
    const first = await sync.start(1);
    draining = true;
    expect(await sync.start(1)).toEqual({ chatId: 1, status: 'running', runId: first.runId });
    await expect(sync.start(2)).rejects.toMatchObject({ code: 'DRAINING' });
    await sync.stop();
    hub.close();
  });
});

describe('SyncService resuming runs orphaned by a crash', () => {
  const RUN = 'r-crashed';
  const running = (processed: number): SyncStatusReply => ({ chatId: 7, syncStatus: 'running', syncProgress: processed, processed, total: 100, runId: RUN, updatedAt: 1 });

  /** A service over a hub holding `history` on sync:7 and a store saying `stored`, as a restarted server has them. */
  async function restarted(stored: SyncStatusReply, history: Array<{ type: string; payload: Record<string, unknown> }>, replayBufferSize = 64) {
    const hub = createMemoryHub({ epoch: 'e2', replayBufferSize, channelTtlMs: 60_000 });
    for (const event of history) await hub.publish('sync:7', event.type, { chatId: 7, ...event.payload });
    const store = createMemoryStatusStore();
    await store.set(stored);
    const sync = new SyncService({
      hub,
      store,
      settings: { totalMessages: 100, batchSize: 10, batchDelayMs: 5, failureRate: 0 },
      metrics: new ServerMetrics({ connections: () => 0, flag: () => ({ name: 'USE_NEW_WS_SYNC', percentage: 100 }), injectedLatencyMs: () => 0 }),
      logger: silentLogger(),
      random: () => 0,
      clock: Date.now,
      injectedFailureRate: () => 0,
      isDraining: () => false,
      maxRunning: 10_000,
    });
    const published: number[] = [];
    const subscriber: HubSubscriber = {
      deliver: (event: ChannelEvent) => {
        if (event.type === 'sync:progress') published.push((event.payload as { processed: number }).processed);
      },
    };
    await hub.subscribe('sync:7', subscriber);
    return { sync, store, published, hub };
  }
  const progress = (processed: number, runId = RUN) => ({ type: 'sync:progress', payload: { runId, processed, total: 100, progress: processed } });

  it('goes on from the last step the saved history kept when the store got further (no step lost)', async () => {
    const { sync, published, hub } = await restarted(running(40), [progress(10), progress(20), progress(30)]);
    expect(await sync.resumeOrphans()).toBe(1);
    await vi.waitUntil(async () => (await hub.newestEvent('sync:7'))?.type === 'sync:complete', { timeout: 5_000 });
    expect(published).toEqual([40, 50, 60, 70, 80, 90, 100]);
  });

  it('goes on from the store when the history got further (the repeated steps are deduplicated by clients)', async () => {
    const { sync, published, hub } = await restarted(running(20), [progress(10), progress(20), progress(30)]);
    await sync.resumeOrphans();
    await vi.waitUntil(async () => (await hub.newestEvent('sync:7'))?.type === 'sync:complete', { timeout: 5_000 });
    expect(published[0]).toBe(30);
  });

  it('records as ended, and does not run again, a run the history shows completed or failed', async () => {
    const completed = await restarted(running(90), [progress(90), progress(100), { type: 'sync:complete', payload: { runId: RUN, processed: 100, total: 100, durationMs: 5 } }]);
    expect(await completed.sync.resumeOrphans()).toBe(0);
    expect(await completed.store.get(7)).toMatchObject({ syncStatus: 'completed', processed: 100, syncProgress: 100, runId: RUN });
    const error = { code: 'INTERNAL', message: 'boom', retryable: true };
    const failed = await restarted(running(30), [progress(30), { type: 'sync:error', payload: { runId: RUN, processed: 30, error } }]);
    expect(await failed.sync.resumeOrphans()).toBe(0);
    expect(await failed.store.get(7)).toMatchObject({ syncStatus: 'failed', error });
    expect(completed.published).toEqual([]);
  });

  it('starts the run over when the history holds none of its steps, and trusts the store when no history is kept', async () => {
    const other = await restarted(running(50), [progress(100, 'r-earlier')]);
    await other.sync.resumeOrphans();
    await vi.waitUntil(() => other.published.length > 0, { timeout: 5_000 });
    expect(other.published[0]).toBe(10);
    const none = await restarted(running(50), [], 0);
    await none.sync.resumeOrphans();
    await vi.waitUntil(() => none.published.length > 0, { timeout: 5_000 });
    expect(none.published[0]).toBe(60);
  });
});
