import { afterEach, describe, expect, it } from 'vitest';
import { inRollout } from '../../../lib/flag-rollout.js';
import { SyncManager, WSClient, type SyncManagerOptions, type WSOptions } from '../../../reference/client/node.js';
import type { SyncCompleteEvent, SyncErrorEvent, SyncProgressEvent } from '../../../reference/protocol/index.js';
import type { ReferenceServer, ServerOptions } from '../../../reference/server/index.js';
import { FakeClock, settle } from '../../helpers/fake-clock.js';
import { serversPerTest } from '../../helpers/reference-servers.js';
import { scriptedWebSocket } from '../../helpers/scripted-websocket.js';
import { metricValue } from '../../helpers/server-metrics.js';

/** How many `sync:start` frames the server received over WebSocket. */
function syncStartsReceivedOverWs(server: ReferenceServer): Promise<number> {
  return metricValue(server.url, 'wsmig_ws_messages_total', { direction: 'in', type: 'sync:start' });
}

/** Everything a SyncManager delivered, in order. */
function record(manager: SyncManager) {
  const events: Array<{ kind: 'progress'; event: SyncProgressEvent } | { kind: 'complete'; event: SyncCompleteEvent } | { kind: 'error'; event: SyncErrorEvent }> = [];
  manager.on('progress', (event) => events.push({ kind: 'progress', event }));
  manager.on('complete', (event) => events.push({ kind: 'complete', event }));
  manager.on('error', (event) => events.push({ kind: 'error', event }));
  return {
    events,
    processed: () => events.filter((e) => e.kind === 'progress').map((e) => e.event.processed),
    finals: () => events.filter((e) => e.kind !== 'progress').map((e) => e.kind),
  };
}

describe('SyncManager over a scripted WebSocket (deterministic)', () => {
  function setUp() {
    const clock = new FakeClock();
    const sockets = scriptedWebSocket();
    const ws = new WSClient({ url: 'ws://test.invalid/ws', WebSocket: sockets.WebSocket, clock, heartbeatInterval: 0, reconnectDelay: 100, random: () => 0.5 });
    ws.on('error', () => undefined);
    const manager = new SyncManager(ws, { transport: 'ws', clock });
    return { clock, sockets, ws, manager, seen: record(manager) };
  }

  /** Plays the server's side of `sync:start` on the current socket; returns the subscription id. */
  function serveStart(sockets: ReturnType<typeof scriptedWebSocket>, runId: string, subscribeReply: { epoch: string; seq: number }): string {
    const socket = sockets.last();
    const subscribe = socket.lastSent('subscribe');
    socket.push({ id: subscribe.id, channel: subscribe.channel, type: 'reply', payload: { channel: subscribe.channel, replayed: 0, ...subscribeReply } });
    socket.reply('sync:start', { chatId: 42, status: 'started', runId });
    return subscribe.id;
  }

  /**
   * Starts run r1, delivers its steps 10, 20 and 30 (seq 1-3, epoch e1, of `total`), then the
   * connection drops and comes back: returns the new socket, whose resubscribe resumes after seq 3.
   */
  async function cutAfterThirty(context: ReturnType<typeof setUp>, total: number) {
    const { clock, sockets, manager } = context;
    sockets.last().accept();
    const started = manager.startSync(42);
    await settle();
    const subId = serveStart(sockets, 'r1', { epoch: 'e1', seq: 0 });
    await started;
    for (const seq of [1, 2, 3]) {
      sockets.last().push({ id: subId, channel: 'sync:42', type: 'sync:progress', seq, epoch: 'e1', payload: { chatId: 42, runId: 'r1', progress: (seq * 1_000) / total, processed: seq * 10, total } });
    }
    sockets.last().drop();
    await clock.advance(1_000);
    const restarted = sockets.last();
    restarted.accept();
    const resubscribe = restarted.lastSent('subscribe');
    expect(resubscribe.payload).toEqual({ fromSeq: 3, epoch: 'e1' });
    return { restarted, resubscribe };
  }

  it('subscribes before it starts, so no early event can be missed', async () => {
    const { sockets, manager } = setUp();
    sockets.last().accept();
    const started = manager.startSync(42, { batchSize: 10 });
    await settle();
    expect(sockets.last().sent.map((frame) => frame.type)).toEqual(['subscribe', 'sync:start']);
    expect(sockets.last().lastSent('sync:start').payload).toEqual({ chatId: 42, options: { batchSize: 10 } });
    serveStart(sockets, 'r1', { epoch: 'e1', seq: 0 });
    await expect(started).resolves.toEqual({ chatId: 42, status: 'started', runId: 'r1' });
  });

  it('after a server restart that lost the run, starts it again and delivers each step once, then one complete', async () => {
    const context = setUp();
    const { manager, seen } = context;
    const { restarted, resubscribe } = await cutAfterThirty(context, 50);
    restarted.push({ id: resubscribe.id, channel: 'sync:42', type: 'reply', payload: { channel: 'sync:42', epoch: 'e2', seq: 0, replayed: 0 } });
    restarted.push({ id: resubscribe.id, channel: 'sync:42', type: 'resync', epoch: 'e2', seq: 0, payload: { reason: 'epoch-changed', epoch: 'e2', seq: 0, snapshot: { chatId: 42, syncStatus: 'idle', syncProgress: 0, processed: 0, total: 0, runId: null, updatedAt: 0 } } });
    await settle();
    restarted.reply('sync:start', { chatId: 42, status: 'started', runId: 'r2' });
    const sub2 = restarted.lastSent('subscribe').id;
    for (const [seq, processed] of [[1, 10], [2, 20], [3, 30], [4, 40], [5, 50]] as const) {
      restarted.push({ id: sub2, channel: 'sync:42', type: 'sync:progress', seq, epoch: 'e2', payload: { chatId: 42, runId: 'r2', progress: processed * 2, processed, total: 50 } });
    }
    restarted.push({ id: sub2, channel: 'sync:42', type: 'sync:complete', seq: 6, epoch: 'e2', payload: { chatId: 42, runId: 'r2', processed: 50, total: 50, durationMs: 9 } });
    restarted.push({ id: sub2, channel: 'sync:42', type: 'sync:complete', seq: 6, epoch: 'e2', payload: { chatId: 42, runId: 'r2', processed: 50, total: 50, durationMs: 9 } });
    expect(seen.processed()).toEqual([10, 20, 30, 40, 50]);
    expect(seen.finals()).toEqual(['complete']);
    expect(manager.activeSyncs.get(42)).toEqual({ status: 'completed', progress: 100 });
  });

  it('after a crash that kept the run under a new epoch, reads that epoch from its start even when a live event of the resynced subscription comes first', async () => {
    const context = setUp();
    const { seen } = context;
    const { restarted, resubscribe } = await cutAfterThirty(context, 100);
    const progress = (id: string, epoch: string, seq: number, processed: number) => ({ id, channel: 'sync:42', type: 'sync:progress', seq, epoch, payload: { chatId: 42, runId: 'r1', progress: processed, processed, total: 100 } });
    // The restarted server kept steps 10-50 under epoch e2 (the client never got 40 and 50) and resumed the run.
    restarted.push({ id: resubscribe.id, channel: 'sync:42', type: 'reply', payload: { channel: 'sync:42', epoch: 'e2', seq: 5, replayed: 0 } });
    restarted.push({ id: resubscribe.id, channel: 'sync:42', type: 'resync', epoch: 'e2', seq: 5, payload: { reason: 'epoch-changed', epoch: 'e2', seq: 5, snapshot: { chatId: 42, syncStatus: 'running', syncProgress: 50, processed: 50, total: 100, runId: 'r1', updatedAt: 0 } } });
    const reread = restarted.lastSent('subscribe');
    expect(reread.payload).toEqual({ fromSeq: 0, epoch: 'e2' });
    // Step 60 goes out on the first subscription before the server reads the client's new subscribe.
    restarted.push(progress(resubscribe.id, 'e2', 6, 60));
    restarted.push({ id: reread.id, channel: 'sync:42', type: 'reply', payload: { channel: 'sync:42', epoch: 'e2', seq: 6, replayed: 6 } });
    for (const step of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) restarted.push(progress(reread.id, 'e2', step, step * 10));
    restarted.push({ id: reread.id, channel: 'sync:42', type: 'sync:complete', seq: 11, epoch: 'e2', payload: { chatId: 42, runId: 'r1', processed: 100, total: 100, durationMs: 9 } });
    expect(seen.processed()).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(seen.finals()).toEqual(['complete']);
  });

  it('delivers the completion from a resync snapshot when the run finished while disconnected', async () => {
    const { clock, sockets, manager, seen } = setUp();
    sockets.last().accept();
    const started = manager.startSync(42);
    await settle();
    serveStart(sockets, 'r1', { epoch: 'e1', seq: 0 });
    await started;
    sockets.last().drop();
    await clock.advance(1_000);
    sockets.last().accept();
    const resubscribe = sockets.last().lastSent('subscribe');
    sockets.last().push({ id: resubscribe.id, channel: 'sync:42', type: 'reply', payload: { channel: 'sync:42', epoch: 'e1', seq: 9, replayed: 0 } });
    sockets.last().push({ id: resubscribe.id, channel: 'sync:42', type: 'resync', epoch: 'e1', seq: 9, payload: { reason: 'too-old', epoch: 'e1', seq: 9, snapshot: { chatId: 42, syncStatus: 'completed', syncProgress: 100, processed: 50, total: 50, runId: 'r1', updatedAt: 0 } } });
    sockets.last().push({ id: resubscribe.id, channel: 'sync:42', type: 'sync:complete', seq: 9, epoch: 'e1', payload: { chatId: 42, runId: 'r1', processed: 50, total: 50, durationMs: 9 } });
    expect(seen.processed()).toEqual([50]);
    expect(seen.finals()).toEqual(['complete']);
  });

  it('does not deliver a finished run again to the next sync of the same chat', async () => {
    const { sockets, manager, seen } = setUp();
    sockets.last().accept();
    const first = manager.startSync(42);
    await settle();
    const subId = serveStart(sockets, 'r1', { epoch: 'e1', seq: 0 });
    await first;
    sockets.last().push({ id: subId, channel: 'sync:42', type: 'sync:complete', seq: 1, epoch: 'e1', payload: { chatId: 42, runId: 'r1', processed: 50, total: 50, durationMs: 9 } });
    const second = manager.startSync(42);
    await settle();
    const sub2 = serveStart(sockets, 'r2', { epoch: 'e1', seq: 1 });
    await second;
    // a late duplicate of r1's end, then r2's own events
    sockets.last().push({ id: sub2, channel: 'sync:42', type: 'sync:complete', seq: 1, epoch: 'e1', payload: { chatId: 42, runId: 'r1', processed: 50, total: 50, durationMs: 9 } });
    sockets.last().push({ id: sub2, channel: 'sync:42', type: 'sync:progress', seq: 2, epoch: 'e1', payload: { chatId: 42, runId: 'r2', progress: 20, processed: 10, total: 50 } });
    expect(seen.finals()).toEqual(['complete']);
    expect(seen.processed()).toEqual([10]);
  });
});

describe('SyncManager against the reference server', () => {
  const servers = serversPerTest({ sync: { totalMessages: 50, batchSize: 10, batchDelayMs: 30 } });
  const clients: WSClient[] = [];
  const managers: SyncManager[] = [];

  afterEach(() => {
    for (const manager of managers.splice(0)) manager.close();
    for (const client of clients.splice(0)) client.close();
  });

  async function start(serverOptions: ServerOptions = {}, clientOptions: Partial<WSOptions> = {}, managerOptions: SyncManagerOptions = {}) {
    const server = await servers.start(serverOptions);
    const ws = new WSClient({ url: server.wsUrl, reconnectDelay: 100, ...clientOptions });
    ws.on('error', () => undefined);
    clients.push(ws);
    const manager = new SyncManager(ws, managerOptions);
    managers.push(manager);
    return { server, ws, manager, seen: record(manager) };
  }

  function completion(manager: SyncManager, chatId: number | string): Promise<SyncCompleteEvent | SyncErrorEvent> {
    return new Promise((resolve) => {
      const stop = manager.track(chatId, {
        onComplete: (event) => {
          stop();
          resolve(event);
        },
        onError: (event) => {
          stop();
          resolve(event);
        },
      });
    });
  }

  it('runs a sync over WebSocket: every step once, in order, then one complete', async () => {
    const { manager, seen } = await start({}, {}, { transport: 'ws' });
    const done = completion(manager, 42);
    const reply = await manager.startSync(42);
    expect(reply).toMatchObject({ chatId: 42, status: 'started' });
    expect(await done).toMatchObject({ chatId: 42, runId: reply.runId, processed: 50, total: 50 });
    expect(seen.processed()).toEqual([10, 20, 30, 40, 50]);
    expect(seen.finals()).toEqual(['complete']);
    expect(manager.activeSyncs.get(42)).toEqual({ status: 'completed', progress: 100 });
    expect(manager.transport).toBe('ws');
  });

  it('joins a running sync instead of starting a second one', async () => {
    const { manager, seen } = await start({ sync: { totalMessages: 40, batchSize: 10, batchDelayMs: 50 } }, {}, { transport: 'ws' });
    const done = completion(manager, 'chat-a');
    const first = await manager.startSync('chat-a');
    const second = await manager.startSync('chat-a');
    expect(second).toEqual({ chatId: 'chat-a', status: 'running', runId: first.runId });
    await done;
    expect(seen.processed()).toEqual([10, 20, 30, 40]);
  });

  it('resumes after the server kicks the client, losing and repeating nothing', async () => {
    const { server, manager, seen, ws } = await start({ sync: { totalMessages: 100, batchSize: 10, batchDelayMs: 40 } }, {}, { transport: 'ws' });
    const done = completion(manager, 7);
    let kicked = 0;
    manager.on('progress', (event) => {
      if (event.processed === 30 && kicked === 0) kicked = server.kick();
    });
    await manager.startSync(7);
    expect(await done).toMatchObject({ processed: 100 });
    expect(kicked).toBe(1);
    expect(ws.state).toBe('open');
    expect(seen.processed()).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(seen.finals()).toEqual(['complete']);
  });

  it('cancels a sync: the server ends it with a CANCELLED error, and activeSyncs says cancelled', async () => {
    const { manager } = await start({ sync: { totalMessages: 1_000, batchSize: 10, batchDelayMs: 50 } }, {}, { transport: 'ws' });
    const done = completion(manager, 9);
    await manager.startSync(9);
    await expect(manager.cancelSync(9)).resolves.toEqual({ chatId: 9, cancelled: true });
    expect(await done).toMatchObject({ error: { code: 'CANCELLED' } });
    expect(manager.activeSyncs.get(9)?.status).toBe('cancelled');
    expect((await manager.getStatus(9)).syncStatus).toBe('cancelled');
  });

  it('reports a failed sync once as an error event with the server code', async () => {
    const { manager, seen } = await start({ sync: { totalMessages: 50, batchSize: 10, batchDelayMs: 10, failureRate: 1 } }, {}, { transport: 'ws' });
    const done = completion(manager, 5);
    await manager.startSync(5);
    expect(await done).toMatchObject({ chatId: 5, error: { code: 'INTERNAL' } });
    expect(seen.finals()).toEqual(['error']);
    expect(manager.activeSyncs.get(5)?.status).toBe('failed');
  });

  it('runs a sync over the legacy SSE endpoint with the same API and events, honouring its options', async () => {
    const { manager, seen } = await start({ sync: { totalMessages: 60, batchSize: 10, batchDelayMs: 20 } }, { autoConnect: false }, { transport: 'sse' });
    const done = completion(manager, 11);
    const reply = await manager.startSync(11, { batchSize: 20 });
    expect(reply).toMatchObject({ chatId: 11, status: 'started' });
    expect(reply.runId).not.toBe('');
    expect(await done).toMatchObject({ chatId: 11, processed: 60, runId: reply.runId });
    expect(seen.processed()).toEqual([20, 40, 60]);
    expect(manager.transport).toBe('sse');
  });

  it('uses its WSClient\'s token for the SSE endpoints when given none of its own', async () => {
    const { manager } = await start({ token: 's3cret', sync: { totalMessages: 20, batchSize: 10, batchDelayMs: 10 } }, { autoConnect: false, token: 's3cret' }, { transport: 'sse' });
    const done = completion(manager, 13);
    await manager.startSync(13);
    expect(await done).toMatchObject({ chatId: 13, processed: 20 });
  });

  it.each([
    { flag: false, chatId: 12, transport: 'sse', wsStarts: 0 },
    { flag: true, chatId: 13, transport: 'ws', wsStarts: 1 },
  ])('follows the server flag in auto mode: $transport while the flag is $flag', async ({ flag, chatId, transport, wsStarts }) => {
    const { manager, seen, server } = await start({ flag: { value: flag } }, {}, { transport: 'auto' });
    const done = completion(manager, chatId);
    await manager.startSync(chatId);
    await done;
    expect(manager.transport).toBe(transport);
    expect(seen.processed()).toEqual([10, 20, 30, 40, 50]);
    expect(await syncStartsReceivedOverWs(server)).toBe(wsStarts);
  });

  it('follows its own cohort at a percentage: its stickiness id (or its token\'s identity) decides, the same on every read', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => `session-${i}`);
    const inside = ids.find((id) => inRollout(id, 'USE_NEW_WS_SYNC', 30)) as string;
    const outside = ids.find((id) => !inRollout(id, 'USE_NEW_WS_SYNC', 30)) as string;
    const serverOptions: ServerOptions = { flag: { percentage: 30 } };
    const a = await start(serverOptions, { stickinessId: inside }, { transport: 'auto', configPollMs: 50 });
    const doneA = completion(a.manager, 21);
    await a.manager.startSync(21);
    expect(await doneA).toMatchObject({ chatId: 21, processed: 50 });
    expect(a.manager.transport).toBe('ws');
    const b = await start(serverOptions, { stickinessId: outside }, { transport: 'auto', configPollMs: 50 });
    const doneB = completion(b.manager, 22);
    await b.manager.startSync(22);
    expect(await doneB).toMatchObject({ chatId: 22, processed: 50 });
    expect(b.manager.transport).toBe('sse');
    expect(await syncStartsReceivedOverWs(b.server)).toBe(0);
    // Raised to everyone: the SSE manager moves to WebSocket at its next read; the WebSocket one stays.
    const moved = new Promise((resolve) => b.manager.on('transport', resolve));
    b.server.setFlagPercentage(100);
    expect(await moved).toMatchObject({ transport: 'ws', previous: 'sse', reason: 'config' });
  });

  it('is bucketed by its token\'s identity when the server knows it, whatever its stickiness id', async () => {
    const aliceIn = inRollout('alice', 'USE_NEW_WS_SYNC', 50);
    const other = Array.from({ length: 100 }, (_, i) => `session-${i}`).find((id) => inRollout(id, 'USE_NEW_WS_SYNC', 50) !== aliceIn) as string;
    const { manager } = await start(
      { flag: { percentage: 50 }, identities: { 'alice-token-0123456789': { id: 'alice', chats: '*' } } },
      { stickinessId: other, token: 'alice-token-0123456789' },
      { transport: 'auto' },
    );
    const done = completion(manager, 31);
    await manager.startSync(31);
    await done;
    expect(manager.transport).toBe(aliceIn ? 'ws' : 'sse');
  });
});

