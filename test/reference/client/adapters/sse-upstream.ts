/**
 * A real node:http SSE server for the adapters' fallback paths: per-path event logs served as
 * `text/event-stream`, resumed after `Last-Event-ID`; custom routes for non-2xx and POST streams;
 * every request recorded.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UpstreamEvent {
  id?: string;
  event?: string;
  data: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface SseUpstream {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  requests: RecordedRequest[];
  /** Serves `path` as a stream (an empty log) before any event. */
  serve(path: string): void;
  /** Appends an event to the log of `path` and sends it to its open streams. */
  append(path: string, event: UpstreamEvent): void;
  /** Streams open now on `path`. */
  openStreams(path: string): number;
  /** Serves `path` with a handler of its own instead of its log. */
  route(path: string, handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): void;
  /** Ends every open stream (clients reconnect). */
  endStreams(): void;
  close(): Promise<void>;
}

/** One event as SSE text. */
export function sseText(event: UpstreamEvent): string {
  let text = event.id === undefined ? '' : `id: ${event.id}\n`;
  if (event.event !== undefined) text += `event: ${event.event}\n`;
  for (const line of event.data.split('\n')) text += `data: ${line}\n`;
  return `${text}\n`;
}

export async function startSseUpstream(): Promise<SseUpstream> {
  const logs = new Map<string, UpstreamEvent[]>();
  const streams = new Map<string, Set<ServerResponse>>();
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse, body: string) => void>();
  const requests: RecordedRequest[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString('utf8');
    });
    req.on('end', () => {
      const path = req.url ?? '/';
      requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
      const handler = routes.get(path);
      if (handler) return handler(req, res, body);
      const log = logs.get(path);
      if (!log) return res.writeHead(404, { 'content-type': 'text/plain' }).end('no such stream');
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(': hello\n\n');
      const lastEventId = req.headers['last-event-id'];
      if (typeof lastEventId === 'string') {
        const after = log.findIndex((event) => event.id === lastEventId);
        for (const event of log.slice(after + 1)) res.write(sseText(event));
      }
      const open = streams.get(path) ?? new Set();
      streams.set(path, open);
      open.add(res);
      res.on('close', () => open.delete(res));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    serve(path) {
      if (!logs.has(path)) logs.set(path, []);
    },
    append(path, event) {
      const log = logs.get(path) ?? [];
      logs.set(path, log);
      log.push(event);
      for (const res of streams.get(path) ?? []) res.write(sseText(event));
    },
    openStreams: (path) => streams.get(path)?.size ?? 0,
    route(path, handler) {
      routes.set(path, handler);
    },
    endStreams() {
      for (const open of streams.values()) for (const res of open) res.end();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
