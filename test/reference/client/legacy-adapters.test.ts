/**
 * The adapters the sse-to-ws codemod writes calls to, against the real reference server and client.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runSync, watchSync, type SyncStarter } from '../../../reference/client/legacy-adapters.js';
import { SyncManager, WSClient, type SyncCompleteEvent, type SyncErrorEvent, type SyncProgressEvent } from '../../../reference/client/node.js';
import { createServer, type ReferenceServer } from '../../../reference/server/index.js';

let server: ReferenceServer;
let client: WSClient;
let manager: SyncManager;

beforeEach(async () => {
  server = await createServer({ port: 0, flag: { value: true }, sync: { totalMessages: 30, batchSize: 10, batchDelayMs: 20 } });
  client = new WSClient({ url: server.wsUrl });
  manager = new SyncManager(client, { transport: 'ws' });
});

afterEach(async () => {
  manager.close();
  client.close();
  await server.close();
});

describe('runSync', () => {
  it('starts the sync and calls the callbacks with the payloads, then settles done', async () => {
    const progress: SyncProgressEvent[] = [];
    let completed: SyncCompleteEvent | undefined;
    const handle = runSync(manager, { chatId: 7, options: { batchSize: 10 } }, { onProgress: (e) => progress.push(e), onComplete: (e) => (completed = e) });
    await handle.done;
    expect(progress.map((e) => [e.chatId, e.processed, e.total])).toEqual([[7, 10, 30], [7, 20, 30], [7, 30, 30]]);
    expect(completed).toMatchObject({ chatId: 7, processed: 30, total: 30 });
    expect(completed?.runId).toBe(progress[0]?.runId);
  });

  it('joins a sync already running for the chat, as the legacy endpoint did', async () => {
    const first = runSync(manager, { chatId: 'c-1' }, {});
    const seen: number[] = [];
    const second = runSync(manager, { chatId: 'c-1' }, { onProgress: (e) => seen.push(e.processed) });
    await Promise.all([first.done, second.done]);
    expect(seen.at(-1)).toBe(30);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
  });

  it('stops calling back after close(), and done settles at once', async () => {
    const seen: number[] = [];
    const handle = runSync(manager, { chatId: 8 }, {
      onProgress: (e) => {
        seen.push(e.processed);
        handle.close();
      },
      onComplete: () => seen.push(-1),
    });
    await handle.done;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(seen).toEqual([10]);
  });

  it('closes when its abort signal fires', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const handle = runSync(manager, { chatId: 9 }, { onProgress: (e) => seen.push(e.processed) }, { signal: controller.signal });
    controller.abort();
    await handle.done;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(seen).toEqual([]);
  });

  it('reports an error thrown by a callback where the client reports listener errors, when nobody awaits done', async () => {
    const reported = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    runSync(manager, { chatId: 13 }, {
      onComplete: () => {
        throw new Error('listener failed');
      },
    });
    expect(await reported).toMatchObject({ message: 'listener failed' });
  });

  it('rejects done with the error a callback threw, as a legacy stream read would have', async () => {
    const handle = runSync(manager, { chatId: 10 }, {
      onComplete: () => {
        throw new Error('render failed');
      },
    });
    await expect(handle.done).rejects.toThrow('render failed');
  });

  it('reports a failed start to onError with the request error code', async () => {
    const failing: SyncStarter = {
      startSync: () => Promise.reject(Object.assign(new Error('the server is draining'), { code: 'DRAINING', retryable: true })),
      track: () => () => undefined,
    };
    let failure: SyncErrorEvent | undefined;
    await runSync(failing, { chatId: 11 }, { onError: (e) => (failure = e) }).done;
    expect(failure).toEqual({ chatId: 11, runId: '', processed: 0, error: { code: 'DRAINING', message: 'the server is draining', retryable: true } });
  });
});

describe('watchSync', () => {
  it('follows a sync started elsewhere without starting one', async () => {
    const seen: number[] = [];
    let completed = false;
    const handle = watchSync(client, 12, { onProgress: (e) => seen.push(e.processed), onComplete: () => (completed = true) });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen).toEqual([]);
    await client.request('sync:start', { chatId: 12 });
    await handle.done;
    expect(seen).toEqual([10, 20, 30]);
    expect(completed).toBe(true);
  });
});
