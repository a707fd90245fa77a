import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SyncManager, WSClient, waitForOpen, type SyncManagerOptions, type WSOptions } from '../../reference/client/node.js';
import type { SyncCompleteEvent, SyncErrorEvent } from '../../reference/protocol/index.js';
import { createServer, type ReferenceServer } from '../../reference/server/index.js';
import { metricValue } from '../helpers/server-metrics.js';
import { startServerCli, type ServerCli } from '../helpers/server-process.js';

/** Starts `wsmig server` as a real process, on `port` (0: a free one). */
function startServerProcess(port: number, extraArgs: string[]): Promise<ServerCli> {
  return startServerCli({ port, args: ['--flag', 'true', '--sync-total', '100', '--sync-batch-size', '10', '--sync-batch-delay', '120ms', ...extraArgs] });
}

function recordSync(manager: SyncManager, chatId: number | string) {
  const processed: number[] = [];
  const runIds = new Set<string>();
  const finals: Array<SyncCompleteEvent | SyncErrorEvent> = [];
  let onFinal: () => void = () => undefined;
  const ended = new Promise<void>((resolve) => {
    onFinal = resolve;
  });
  manager.track(chatId, {
    onProgress: (event) => {
      processed.push(event.processed);
      runIds.add(event.runId);
    },
    onComplete: (event) => {
      finals.push(event);
      onFinal();
    },
    onError: (event) => {
      finals.push(event);
      onFinal();
    },
  });
  return { processed, runIds, finals, ended };
}

/** Starts a chat's sync and waits for its end; resolves with what the manager delivered. */
async function syncToEnd(manager: SyncManager, chatId: number): Promise<ReturnType<typeof recordSync>> {
  const seen = recordSync(manager, chatId);
  await manager.startSync(chatId);
  await seen.ended;
  return seen;
}

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function client(options: WSOptions): WSClient {
  const ws = new WSClient(options);
  ws.on('error', () => undefined);
  cleanups.push(() => ws.close());
  return ws;
}

function manager(ws: WSClient, options: SyncManagerOptions): SyncManager {
  const created = new SyncManager(ws, options);
  cleanups.push(() => created.close());
  return created;
}

describe('kill -9 of the server mid-sync, restarted on the same port', () => {
  for (const variant of ['in-memory state', 'a state file'] as const) {
    it(`delivers every progress step exactly once, in order, and one complete (server with ${variant})`, async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'wsmig-kill9-'));
      cleanups.push(() => rm(dir, { recursive: true, force: true }));
      const stateArgs = variant === 'a state file' ? ['--state-file', path.join(dir, 'state.json')] : [];
      const first = await startServerProcess(0, stateArgs);
      let server = first.child;
      cleanups.push(() => server.kill('SIGKILL'));

      const ws = client({ url: first.listening.wsUrl, reconnectDelay: 200, maxReconnectDelay: 1_000, maxReconnectAttempts: 40 });
      const syncs = manager(ws, { transport: 'auto' });
      const seen = recordSync(syncs, 42);
      let killedBy: (signal: unknown) => void = () => undefined;
      const killed = new Promise<unknown>((resolve) => {
        killedBy = resolve;
      });
      let killing = false;
      syncs.on('progress', (event) => {
        if (event.processed >= 30 && !killing) {
          killing = true;
          const victim = server;
          victim.kill('SIGKILL');
          void victim.then((result) => killedBy(result.signal));
        }
      });
      await syncs.startSync(42);
      expect(await killed).toBe('SIGKILL');
      expect(seen.finals).toHaveLength(0);
      server = (await startServerProcess(first.listening.port, stateArgs)).child;
      await seen.ended;

      expect(seen.processed).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
      expect(seen.finals).toHaveLength(1);
      expect(seen.finals[0]).toMatchObject({ chatId: 42, processed: 100, total: 100 });
      expect('durationMs' in (seen.finals[0] as object)).toBe(true);
      expect(syncs.activeSyncs.get(42)).toEqual({ status: 'completed', progress: 100 });
      expect(syncs.transport).toBe('ws');
      // In memory, the restarted server lost the run and it was started again; with a state file it resumed the same run.
      expect(seen.runIds.size).toBe(variant === 'a state file' ? 1 : 2);
    }, 60_000);
  }
});

describe('drain', () => {
  it('brings 200 clients back spread over the drain window, not in one burst', async () => {
    const windowMs = 3_000;
    let server: ReferenceServer = await createServer({ port: 0, drainWindowMs: windowMs, drainTimeoutMs: 10_000 });
    const { port } = server;
    cleanups.push(() => server.close());
    const clients = Array.from({ length: 200 }, () => client({ url: server.wsUrl, reconnectDelay: 200, heartbeatInterval: 0 }));
    await Promise.all(clients.map((ws) => waitForOpen(ws, { timeoutMs: 20_000 })));

    let returned = 0;
    const drainDelays: number[] = [];
    for (const ws of clients) {
      ws.on('reconnecting', (event) => {
        if (event.cause === 'drain') drainDelays.push(event.delayMs);
      });
      ws.on('open', () => (returned += 1));
    }
    await server.drain({ windowMs });
    await server.close();
    server = await createServer({ port });
    // All come back for real; the spread is judged on the delays they waited, not on when they made
    // it back (which on a busy machine says more about the machine).
    await expect.poll(() => returned, { timeout: windowMs + 15_000, interval: 100 }).toBe(200);

    expect(drainDelays).toHaveLength(200);
    expect(Math.max(...drainDelays) - Math.min(...drainDelays)).toBeGreaterThan(windowMs * 0.6);
    // Uniform over the window would put ~10% in each tenth of it; a burst would put most in one.
    const tenths = new Array<number>(10).fill(0);
    for (const ms of drainDelays) {
      const tenth = Math.min(9, Math.floor((ms / windowMs) * 10));
      tenths[tenth] = (tenths[tenth] ?? 0) + 1;
    }
    expect(Math.max(...tenths)).toBeLessThanOrEqual(200 * 0.3);
    expect(tenths.filter((count) => count > 0).length).toBeGreaterThanOrEqual(7);
  }, 60_000);
});

/** A TCP relay in front of the server's WebSocket, to cut and restore WebSocket while HTTP stays up. */
async function relayTo(targetPort: number): Promise<{ url: string; cut(): Promise<void>; restore(): Promise<void> }> {
  // The first listen picks a free port; a restore listens on it again.
  let port = 0;
  const sockets = new Set<net.Socket>();
  let listener: net.Server | undefined;
  const restore = async (): Promise<void> => {
    listener = net.createServer((inbound) => {
      const outbound = net.connect(targetPort, '127.0.0.1');
      sockets.add(inbound).add(outbound);
      inbound.pipe(outbound).pipe(inbound);
      const destroy = (): void => {
        inbound.destroy();
        outbound.destroy();
      };
      inbound.on('error', destroy).on('close', destroy);
      outbound.on('error', destroy).on('close', destroy);
    });
    await new Promise<void>((resolve) => listener?.listen(port, '127.0.0.1', resolve));
    port = (listener.address() as net.AddressInfo).port;
  };
  const cut = async (): Promise<void> => {
    const closing = new Promise<void>((resolve) => (listener ? listener.close(() => resolve()) : resolve()));
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await closing;
    listener = undefined;
  };
  await restore();
  cleanups.push(cut);
  return { url: `ws://127.0.0.1:${port}/ws`, cut, restore };
}

describe('graceful degradation to the legacy SSE path', () => {
  async function serve(flag: boolean, batchDelayMs = 20): Promise<ReferenceServer> {
    const server = await createServer({ port: 0, flag: { value: flag }, sync: { totalMessages: 50, batchSize: 10, batchDelayMs } });
    cleanups.push(() => server.close());
    return server;
  }

  const wsStarts = (server: ReferenceServer): Promise<number> => metricValue(server.url, 'wsmig_ws_messages_total', { direction: 'in', type: 'sync:start' });

  it('flag sse: completes a sync over SSE; flag back to ws: the next sync runs over WebSocket', async () => {
    const server = await serve(false);
    const ws = client({ url: server.wsUrl, reconnectDelay: 100 });
    const syncs = manager(ws, { transport: 'auto', configPollMs: 200 });
    const switches: string[] = [];
    syncs.on('transport', (event) => switches.push(`${event.previous}->${event.transport} (${event.reason})`));

    const overSse = await syncToEnd(syncs, 1);
    expect(overSse.processed).toEqual([10, 20, 30, 40, 50]);
    expect(overSse.finals[0]).toMatchObject({ processed: 50 });
    expect(await wsStarts(server)).toBe(0);

    server.setFlag(true);
    await expect.poll(() => syncs.transport, { timeout: 10_000, interval: 50 }).toBe('ws');
    const overWs = await syncToEnd(syncs, 2);
    expect(overWs.processed).toEqual([10, 20, 30, 40, 50]);
    expect(await wsStarts(server)).toBe(1);
    expect(switches).toEqual(['ws->sse (config)', 'sse->ws (config)']);
  });

  it('switches transports mid-sync without losing or repeating an event', async () => {
    const server = await serve(true, 150);
    const ws = client({ url: server.wsUrl, reconnectDelay: 100 });
    const syncs = manager(ws, { transport: 'auto', configPollMs: 100 });
    let flipped = false;
    syncs.on('progress', (event) => {
      if (event.processed === 20 && !flipped) {
        flipped = true;
        server.setFlag(false);
      }
    });
    const seen = await syncToEnd(syncs, 3);
    expect(flipped).toBe(true);
    expect(syncs.transport).toBe('sse');
    expect(seen.processed).toEqual([10, 20, 30, 40, 50]);
    expect(seen.finals).toHaveLength(1);
    expect(await metricValue(server.url, 'wsmig_sse_streams', { endpoint: '/api/sync/:chatId/events' })).toBe(0);
  });

  it('falls back to SSE when WebSocket gives up, and returns to WebSocket once it connects again', async () => {
    const server = await serve(true);
    const relay = await relayTo(server.port);
    const ws = client({ url: relay.url, reconnectDelay: 50, maxReconnectDelay: 100, maxReconnectAttempts: 2 });
    await waitForOpen(ws, { timeoutMs: 10_000 });
    const syncs = manager(ws, { transport: 'auto', configPollMs: 200, httpUrl: server.url });
    const switches: string[] = [];
    syncs.on('transport', (event) => switches.push(`${event.transport} (${event.reason})`));

    await relay.cut();
    await expect.poll(() => ws.state, { timeout: 10_000, interval: 50 }).toBe('closed');
    expect(syncs.transport).toBe('sse');
    const degraded = await syncToEnd(syncs, 4);
    expect(degraded.processed).toEqual([10, 20, 30, 40, 50]);
    expect(await wsStarts(server)).toBe(0);

    await relay.restore();
    await expect.poll(() => syncs.transport, { timeout: 10_000, interval: 50 }).toBe('ws');
    expect(ws.state).toBe('open');
    const recovered = await syncToEnd(syncs, 5);
    expect(recovered.processed).toEqual([10, 20, 30, 40, 50]);
    expect(await wsStarts(server)).toBe(1);
    expect(switches).toEqual(['sse (ws-gave-up)', 'ws (ws-recovered)']);
  });
});
