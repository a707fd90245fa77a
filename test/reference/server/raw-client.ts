/**
 * A bare `ws` peer for the server tests: sends raw frames and waits for what comes back, without the
 * reference client's reconnects and dedupe, so the tests see exactly what the server does.
 */
import { WebSocket, type ClientOptions } from 'ws';
import type { WSMessage } from '../../../reference/protocol/index.js';

export interface Closed {
  code: number;
  reason: string;
}

export class RawClient {
  readonly messages: WSMessage[] = [];
  readonly closed: Promise<Closed>;
  private waiters: { match: (message: WSMessage) => boolean; resolve: (message: WSMessage) => void }[] = [];
  private nextId = 1;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const message = JSON.parse(String(data)) as WSMessage;
      this.messages.push(message);
      this.waiters = this.waiters.filter((waiter) => {
        if (!waiter.match(message)) return true;
        waiter.resolve(message);
        return false;
      });
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
    ws.on('error', () => undefined);
  }

  /** Opens a connection; rejects with the HTTP status when the upgrade is refused. */
  static connect(url: string, options: ClientOptions = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new RawClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => {
        reject(Object.assign(new Error(`upgrade refused with ${res.statusCode}`), { status: res.statusCode }));
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  /** Sends an object as JSON, or a string as is. */
  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** Sends a request and resolves with its reply or error frame. */
  request(type: string, payload: unknown = null, channel = 'test'): Promise<WSMessage> {
    const id = `r${this.nextId++}`;
    const answer = this.next((m) => m.id === id && (m.type === 'reply' || m.type === 'error'));
    this.send({ id, channel, type, payload });
    return answer;
  }

  /** The first frame (already received or still to come) that matches. */
  next(match: (message: WSMessage) => boolean, timeoutMs = 10_000): Promise<WSMessage> {
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching frame within ${timeoutMs} ms; got ${JSON.stringify(this.messages.slice(-5))}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
      });
    });
  }

  /** Frames on a channel of the given types, in arrival order. */
  events(channel: string, types: readonly string[] = ['sync:progress', 'sync:complete', 'sync:error']): WSMessage[] {
    return this.messages.filter((m) => m.channel === channel && types.includes(m.type));
  }

  close(): void {
    this.ws.close();
  }
}

/** The HTTP status with which an upgrade is refused (or 101 if it is accepted). */
export async function upgradeStatus(url: string, options: ClientOptions = {}): Promise<number> {
  try {
    const client = await RawClient.connect(url, options);
    client.close();
    return 101;
  } catch (error) {
    return (error as { status?: number }).status ?? -1;
  }
}

/** Echo round trip: proves the server still serves a fresh client. */
export async function serves(wsUrl: string, options: ClientOptions = {}): Promise<boolean> {
  const client = await RawClient.connect(wsUrl, options);
  try {
    const answer = await client.request('echo', { still: 'here' });
    return answer.type === 'reply' && (answer.payload as { still?: string }).still === 'here';
  } finally {
    client.close();
  }
}
