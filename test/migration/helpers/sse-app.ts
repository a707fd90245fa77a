/**
 * A legacy app's SSE server for the probe and stabilize tests, node:http only, on port 0, closed
 * after each test. Streams repeat their events every 20 ms while open, so a subscriber that arrives
 * late still sees one (what it sees is asserted, never when).
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach } from 'vitest';

export interface SseApp {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

const apps: SseApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

/** Writes `frame` now and every 20 ms until the response closes. */
function repeat(res: ServerResponse, frame: string): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  res.write(': connected\n\n');
  const write = (): void => void res.write(frame);
  write();
  const timer = setInterval(write, 20);
  res.on('close', () => clearInterval(timer));
}

/**
 * Routes:
 * - `/api/news/stream`: `event: news` events (public);
 * - `/api/feed`: unnamed events (`message`);
 * - `/api/me/stream`: `event: notice` events with the cookie `session=ada`, else HTTP 401;
 * - `/api/quiet/stream`: only `event: tick` events;
 * - `/api/once`: one `event: tick`, then the stream ends;
 * - `/page`: an HTML page;
 * - `/api/silent`: never answers.
 */
export async function startSseApp(): Promise<SseApp> {
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/api/news/stream') return repeat(res, 'event: news\ndata: {"title":"hello"}\n\n');
    if (path === '/api/feed') return repeat(res, 'data: plain\n\n');
    if (path === '/api/me/stream') {
      if (req.headers.cookie !== 'session=ada') return void res.writeHead(401, { 'content-type': 'text/plain' }).end('sign in first');
      return repeat(res, 'event: notice\ndata: for ada\n\n');
    }
    if (path === '/api/quiet/stream') return repeat(res, 'event: tick\ndata: 1\n\n');
    if (path === '/api/once') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      return void res.end('event: tick\ndata: 1\n\n');
    }
    if (path === '/api/silent') return;
    if (path === '/page') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><p>hello</p>');
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const app: SseApp = {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  apps.push(app);
  return app;
}
