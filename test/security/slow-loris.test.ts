/**
 * Attack tests: slow-loris on the legacy SSE endpoints. A client that opens streams and never reads
 * is bounded by the per-client stream cap (429 `TOO_MANY_STREAMS`); the server's keep-alive comments
 * let a client tell a silent stream from a dead one; and the client cuts a half-open stream (a
 * server that stopped writing) after its idle timeout and resumes it with `Last-Event-ID`.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SyncManager, WSClient } from '../../reference/client/node.js';
import { WsEventSource } from '../../reference/client/adapters/ws-event-source.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { serversPerTest } from '../helpers/reference-servers.js';
import { serves } from '../reference/server/raw-client.js';

const { start } = serversPerTest({ sync: { totalMessages: 10, batchSize: 1, batchDelayMs: 1_000 } });
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Opens an SSE request on a raw socket that is never read (paused): what a slow-loris client does. Resolves with the status line. */
function stalledStream(port: number, path: string): Promise<{ socket: Socket; status: number; head: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAccept: text/event-stream\r\n\r\n`));
    let head = '';
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.pause();
      socket.removeAllListeners('data');
      resolve({ socket, status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1]), head });
    });
  });
}

/** A server the test scripts request by request (a legacy SSE endpoint that misbehaves on purpose). */
async function scriptedServer(handler: (req: IncomingMessage, res: ServerResponse, attempt: number) => void): Promise<{ url: string; requests: IncomingMessage[] }> {
  const requests: IncomingMessage[] = [];
  const server: Server = createHttpServer((req, res) => {
    requests.push(req);
    handler(req, res, requests.length);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

const sse = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' };

describe('server side: streams that are opened and never read', () => {
  it('caps the streams one client holds (429 TOO_MANY_STREAMS) and stays healthy; a closed stream frees its place', async () => {
    const s = await start({ maxSseStreamsPerClient: 5 });
    const stalled = [];
    for (let i = 0; i < 5; i += 1) {
      const stream = await stalledStream(s.port, `/api/sync/${i}/events`);
      cleanups.push(() => stream.socket.destroy());
      expect(stream.status).toBe(200);
      stalled.push(stream);
    }
    const refused = await fetch(`${s.url}/api/sync/99/events`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).not.toBeNull();
    expect(await refused.json()).toMatchObject({ error: { code: 'TOO_MANY_STREAMS' } });
    const refusedPost = await fetch(`${s.url}/commands/sync`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chatId: 99 }) });
    expect(refusedPost.status).toBe(429);

    // The server still answers everything else.
    expect((await fetch(`${s.url}/health`)).status).toBe(200);
    expect(await serves(s.wsUrl)).toBe(true);

    stalled[0]?.socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const again = await stalledStream(s.port, '/api/sync/99/events');
    cleanups.push(() => again.socket.destroy());
    expect(again.status).toBe(200);
  });

  it('sends keep-alive comments every sseKeepAliveMs on an open stream', async () => {
    const s = await start({ sseKeepAliveMs: 50 });
    const abort = new AbortController();
    cleanups.push(() => abort.abort());
    const response = await fetch(`${s.url}/api/sync/5/events`, { signal: abort.signal });
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = '';
    // Bounded by the test's timeout, not by a deadline a loaded machine could miss.
    while ((text.match(/: keep-alive/g) ?? []).length < 3) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    expect((text.match(/: keep-alive/g) ?? []).length).toBeGreaterThanOrEqual(3);
  });
});

describe('client side: a half-open stream (the server stopped writing)', () => {
  it('SyncManager over SSE aborts a stream silent for sseIdleTimeoutMs and resumes it with Last-Event-ID', async () => {
    const progress = (processed: number) => `id: e1-${processed}\nevent: progress\ndata: ${JSON.stringify({ chatId: 42, runId: 'r1', progress: processed * 10, processed, total: 10 })}\n\n`;
    const server = await scriptedServer((req, res, attempt) => {
      res.writeHead(200, sse);
      if (attempt === 1) {
        // POST /commands/sync: two steps, then silence, the connection left open.
        res.write(progress(1) + progress(2));
        return;
      }
      // The resume: the rest of the run, then the end.
      res.end(`${progress(10)}id: e1-11\nevent: complete\ndata: ${JSON.stringify({ chatId: 42, runId: 'r1', processed: 10, total: 10, durationMs: 5 })}\n\n`);
    });
    const ws = new WSClient({ url: `${server.url.replace('http', 'ws')}/ws`, autoConnect: false });
    cleanups.push(() => ws.close());
    // The idle watchdog and the retry on a fake clock: the silence is measured exactly, the requests are real.
    const clock = new FakeClock();
    const manager = new SyncManager(ws, { transport: 'sse', sseIdleTimeoutMs: 300, sseRetry: { baseDelayMs: 10, maxDelayMs: 20 }, clock });
    cleanups.push(() => manager.close());
    const seen: number[] = [];
    manager.on('progress', (event) => seen.push(event.processed));
    const completed = new Promise((resolve) => manager.on('complete', resolve));
    await manager.startSync(42);
    await vi.waitFor(() => expect(seen).toEqual([1, 2]), { timeout: 5_000 });
    await clock.advance(299);
    expect(server.requests).toHaveLength(1);
    await clock.advance(1);
    await vi.waitFor(async () => {
      await clock.advance(20);
      expect(server.requests).toHaveLength(2);
    }, { timeout: 5_000 });
    await completed;
    expect(seen).toEqual([1, 2, 10]);
    expect(server.requests.map((req) => `${req.method} ${req.url}`)).toEqual(['POST /commands/sync', 'GET /api/sync/42/events']);
    expect(server.requests[1]?.headers['last-event-id']).toBe('e1-2');
    expect(manager.activeSyncs.get('42')).toEqual({ status: 'completed', progress: 100 });
  });

  it('keeps a stream that is silent but for keep-alive comments', async () => {
    const server = await scriptedServer((_req, res) => {
      res.writeHead(200, sse);
      const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 50);
      setTimeout(() => {
        clearInterval(keepAlive);
        res.end(`id: e1-1\nevent: complete\ndata: ${JSON.stringify({ chatId: 7, runId: 'r7', processed: 10, total: 10, durationMs: 5 })}\n\n`);
      }, 700);
      res.on('close', () => clearInterval(keepAlive));
    });
    const ws = new WSClient({ url: `${server.url.replace('http', 'ws')}/ws`, autoConnect: false });
    cleanups.push(() => ws.close());
    const manager = new SyncManager(ws, { transport: 'sse', sseIdleTimeoutMs: 300 });
    cleanups.push(() => manager.close());
    const completed = new Promise((resolve) => manager.on('complete', resolve));
    await manager.startSync(7);
    await completed;
    expect(server.requests).toHaveLength(1);
  });

  it("WsEventSource's SSE fallback reconnects a silent stream with Last-Event-ID after sseIdleTimeoutMs", async () => {
    const server = await scriptedServer((_req, res, attempt) => {
      res.writeHead(200, sse);
      res.write(attempt === 1 ? 'retry: 20\nid: 1\ndata: first\n\n' : 'id: 2\ndata: second\n\n');
    });
    const source = new WsEventSource(`${server.url}/news`, {}, { transport: 'sse', sseIdleTimeoutMs: 300 });
    cleanups.push(() => source.close());
    const seen: string[] = [];
    const second = new Promise<void>((resolve) =>
      source.addEventListener('message', (event) => {
        seen.push(`${event.data}@${event.lastEventId}`);
        if (event.data === 'second') resolve();
      }),
    );
    await second;
    expect(seen).toEqual(['first@1', 'second@2']);
    expect(server.requests[1]?.headers['last-event-id']).toBe('1');
  });
});
