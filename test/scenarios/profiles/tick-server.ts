/**
 * A `{ type, data }` service written the way a team writes its own, for tests of `subscribe.resume`:
 * it publishes `{ type: 'event', data: { seq, ts } }` every 10 ms to every subscriber, and a
 * subscribe `{ type: 'subscribe', id, data: { topic, fromSeq? } }` is acknowledged with
 * `{ type: 'subscribed', id }`, then (with `replay`) the kept events after `fromSeq` come before the
 * live ones. Without `replay` it ignores `fromSeq` and goes on live. With `binary`, every message
 * goes out as a binary frame of the same UTF-8 JSON (as some services send it).
 */
import { WebSocketServer, type WebSocket } from 'ws';

export interface TickServer {
  url: string;
  /** The `fromSeq` of every subscribe that carried one. */
  resumedFrom: number[];
  close(): Promise<void>;
}

export async function startTickServer(options: { replay: boolean; binary?: boolean }): Promise<TickServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const kept: string[] = [];
  const subscribers = new Set<WebSocket>();
  const resumedFrom: number[] = [];
  let seq = 0;
  const send = (socket: WebSocket, frame: string): void => socket.send(frame, { binary: options.binary === true });
  const timer = setInterval(() => {
    seq += 1;
    const frame = JSON.stringify({ type: 'event', data: { seq, ts: Date.now() } });
    kept.push(frame);
    if (kept.length > 5_000) kept.shift();
    for (const socket of subscribers) send(socket, frame);
  }, 10);
  server.on('connection', (socket) => {
    socket.on('close', () => subscribers.delete(socket));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string; id: unknown; data?: { fromSeq?: number } };
      if (message.type !== 'subscribe') return;
      send(socket, JSON.stringify({ type: 'subscribed', id: message.id }));
      const fromSeq = message.data?.fromSeq;
      if (typeof fromSeq === 'number') {
        resumedFrom.push(fromSeq);
        if (options.replay) for (let s = fromSeq + 1; s <= seq; s += 1) send(socket, kept[kept.length - (seq - s) - 1] as string);
      }
      subscribers.add(socket);
    });
  });
  const { port } = server.address() as { port: number };
  return {
    url: `ws://127.0.0.1:${port}/`,
    resumedFrom,
    close: async () => {
      clearInterval(timer);
      for (const client of server.clients) client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The profile of that service, resuming with `{{lastSeq}}` after a cut. */
export const RESUMING_PROFILE = [
  'extends: type-data',
  'name: ticks-resume',
  'request: null',
  'unsubscribe: null',
  'subscribe:',
  '  send: { type: subscribe, id: "{{id}}", data: { topic: ticks } }',
  '  resume: { type: subscribe, id: "{{id}}", data: { topic: ticks, fromSeq: "{{lastSeq}}" } }',
  '  ack: { idPath: id }',
].join('\n');
