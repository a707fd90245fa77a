/**
 * A small WebSocket server speaking the gateway's side of the SSE-bridge contract
 * (reference/protocol/bridge.ts), for the adapters' tests: `subscribe` → reply, replay after
 * `fromSeq`, then live events with seq and eventId; `sse:fetch` → reply, then the response's events
 * on a `sse-fetch:` channel ending with `sse:end`; typed errors; and `GET /api/config` for the flag.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { MessageType, type ErrorBody, type SseFetchPayload, type SubscribePayload, type WSMessage } from '../../../../reference/protocol/index.js';

interface StoredEvent {
  seq: number;
  type: string;
  payload: unknown;
  eventId?: string;
}

/** How the double answers an `sse:fetch`: a stream (events published later with `publish`), or an error. */
export type SseFetchAnswer = { status: number; headers: Record<string, string>; events?: Array<{ type?: string; data: unknown; id?: string }>; end?: boolean; fail?: ErrorBody } | { error: ErrorBody };

export interface GatewayDouble {
  /** `ws://127.0.0.1:<port>/ws`. */
  url: string;
  /** Every subscribe frame received, in order. */
  subscribes: Array<{ channel: string; payload: SubscribePayload }>;
  /** Every `sse:fetch` payload received. */
  fetches: SseFetchPayload[];
  /** Channels a subscriber is on now. */
  subscribedChannels(): string[];
  /** Appends an event to a channel (numbered with seq) and sends it to its subscribers. */
  publish(channel: string, type: string, payload: unknown, eventId?: string): void;
  /** Refuse subscribes to a channel with this error (or accept them again with `undefined`). */
  refuse(channel: string, error: ErrorBody | undefined): void;
  /** How `sse:fetch` is answered. */
  onSseFetch(answer: (payload: SseFetchPayload, channel: string) => SseFetchAnswer): void;
  /** What `/api/config` says (`undefined`: 404). */
  setFlag(transport: 'ws' | 'sse' | undefined): void;
  /** Terminates every connection (the clients reconnect). */
  dropConnections(): void;
  /** Refuse (`true`) or accept new WebSocket connections. */
  refuseConnections(refuse: boolean): void;
  close(): Promise<void>;
}

const EPOCH = 'e1';

export async function startGatewayDouble(): Promise<GatewayDouble> {
  const history = new Map<string, StoredEvent[]>();
  const subscribers = new Map<string, Set<{ socket: WebSocket; id: string }>>();
  const refusals = new Map<string, ErrorBody>();
  const subscribes: GatewayDouble['subscribes'] = [];
  const fetches: SseFetchPayload[] = [];
  let answerFetch: (payload: SseFetchPayload, channel: string) => SseFetchAnswer = () => ({ error: { code: 'NO_ROUTE', message: 'no upstream', retryable: false } });
  let flag: 'ws' | 'sse' | undefined;
  let refuseConnections = false;
  let fetchCount = 0;

  const http: Server = createServer((req, res) => {
    if (new URL(req.url ?? '/', 'http://double').pathname === '/api/config' && flag) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ transport: flag }));
      return;
    }
    res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true });
  http.on('upgrade', (req, socket, head) => {
    if (refuseConnections) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  const send = (socket: WebSocket, frame: WSMessage): void => {
    if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(frame));
  };
  const eventFrame = (id: string, channel: string, event: StoredEvent): WSMessage => ({
    id,
    channel,
    type: event.type,
    payload: event.payload,
    seq: event.seq,
    epoch: EPOCH,
    ...(event.eventId === undefined ? {} : { eventId: event.eventId }),
  });
  const publish = (channel: string, type: string, payload: unknown, eventId?: string): void => {
    const events = history.get(channel) ?? [];
    history.set(channel, events);
    const event: StoredEvent = { seq: events.length + 1, type, payload, ...(eventId === undefined ? {} : { eventId }) };
    events.push(event);
    for (const subscriber of subscribers.get(channel) ?? []) send(subscriber.socket, eventFrame(subscriber.id, channel, event));
  };
  const unsubscribe = (socket: WebSocket, channel: string): void => {
    for (const subscriber of subscribers.get(channel) ?? []) if (subscriber.socket === socket) subscribers.get(channel)?.delete(subscriber);
  };

  wss.on('connection', (socket) => {
    socket.on('close', () => {
      for (const channel of subscribers.keys()) unsubscribe(socket, channel);
    });
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as WSMessage;
      if (frame.type === MessageType.ping) return send(socket, { id: frame.id, channel: frame.channel, type: MessageType.pong, payload: null });
      if (frame.type === MessageType.unsubscribe) {
        unsubscribe(socket, frame.channel);
        return send(socket, { id: frame.id, channel: frame.channel, type: MessageType.reply, payload: { channel: frame.channel, unsubscribed: true } });
      }
      if (frame.type === MessageType.subscribe) {
        const payload = (frame.payload ?? {}) as SubscribePayload;
        subscribes.push({ channel: frame.channel, payload });
        const refusal = refusals.get(frame.channel);
        if (refusal) return send(socket, { id: frame.id, channel: frame.channel, type: MessageType.error, payload: null, error: refusal });
        const events = history.get(frame.channel) ?? [];
        const replay = payload.fromSeq === undefined ? [] : events.filter((event) => event.seq > (payload.fromSeq as number));
        send(socket, { id: frame.id, channel: frame.channel, type: MessageType.reply, payload: { channel: frame.channel, epoch: EPOCH, seq: events.length, replayed: replay.length } });
        for (const event of replay) send(socket, eventFrame(frame.id, frame.channel, event));
        const set = subscribers.get(frame.channel) ?? new Set();
        subscribers.set(frame.channel, set);
        unsubscribe(socket, frame.channel);
        set.add({ socket, id: frame.id });
        return;
      }
      if (frame.type === MessageType.sseFetch) {
        const payload = frame.payload as SseFetchPayload;
        fetches.push(payload);
        fetchCount += 1;
        const channel = `sse-fetch:${fetchCount}`;
        const answer = answerFetch(payload, channel);
        if ('error' in answer) return send(socket, { id: frame.id, channel: frame.channel, type: MessageType.error, payload: null, error: answer.error });
        for (const event of answer.events ?? []) publish(channel, event.type ?? 'message', event.data, event.id);
        if (answer.end) publish(channel, MessageType.sseEnd, { reason: 'upstream-ended' });
        if (answer.fail) publish(channel, MessageType.sseError, answer.fail);
        return send(socket, { id: frame.id, channel: frame.channel, type: MessageType.reply, payload: { channel, status: answer.status, headers: answer.headers } });
      }
      send(socket, { id: frame.id, channel: frame.channel, type: MessageType.error, payload: null, error: { code: 'UNKNOWN_TYPE', message: frame.type, retryable: false } });
    });
  });

  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    subscribes,
    fetches,
    subscribedChannels: () => [...subscribers].filter(([, set]) => set.size > 0).map(([channel]) => channel),
    publish,
    refuse: (channel, error) => {
      if (error) refusals.set(channel, error);
      else refusals.delete(channel);
    },
    onSseFetch: (answer) => {
      answerFetch = answer;
    },
    setFlag: (transport) => {
      flag = transport;
    },
    dropConnections: () => {
      for (const client of wss.clients) client.terminate();
    },
    refuseConnections: (refuse) => {
      refuseConnections = refuse;
    },
    close: async () => {
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
