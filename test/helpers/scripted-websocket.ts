import type { WebSocketConstructorLike, WebSocketEventMapLike, WebSocketLike } from '../../reference/client/websocket-like.js';
import type { WSMessage } from '../../reference/protocol/index.js';

type Listener = (event: never) => void;

/**
 * An in-memory WebSocket whose server side the test plays: `accept()`, `reply()`, `push()`,
 * `drop()`. Lets client behaviour that depends on time be tested with a fake clock, without a network.
 */
export class ScriptedSocket implements WebSocketLike {
  readyState = 0;
  readonly url: string;
  /** Frames the client sent, parsed. */
  readonly sent: WSMessage[] = [];
  /** Whether the client gave up on this socket without a handshake. */
  terminated = false;
  /** The code the client closed with, if it did. */
  closedWithCode: number | undefined;
  readonly #listeners = new Map<string, Listener[]>();

  constructor(url: string) {
    this.url = url;
  }

  addEventListener<K extends keyof WebSocketEventMapLike>(type: K, listener: (event: WebSocketEventMapLike[K]) => void): void {
    const list = this.#listeners.get(type) ?? [];
    list.push(listener as Listener);
    this.#listeners.set(type, list);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('not open');
    this.sent.push(JSON.parse(data) as WSMessage);
  }

  close(code?: number): void {
    this.closedWithCode = code ?? 1005;
    if (this.readyState >= 2) return;
    this.readyState = 3;
    this.#fire('close', { code: code ?? 1005, reason: '' });
  }

  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }

  /** Server side: completes the handshake. */
  accept(): void {
    this.readyState = 1;
    this.#fire('open', {});
  }

  /** Server side: sends a frame. */
  push(frame: Partial<WSMessage> & { type: string }): void {
    this.#fire('message', { data: JSON.stringify({ id: 'srv', channel: 'sys', payload: null, ...frame }) });
  }

  /** Server side: answers the last request of `type` with a reply payload. */
  reply(type: string, payload: unknown): void {
    const request = this.lastSent(type);
    this.push({ id: request.id, channel: request.channel, type: 'reply', payload });
  }

  /** Server side: the connection ends with `code` (1006 = lost without a close frame). */
  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.#fire('close', { code, reason });
  }

  /** Server side: the upgrade fails (connection refused), as `ws` reports it. */
  refuse(message = 'connect ECONNREFUSED'): void {
    this.#fire('error', { message, error: new Error(message) });
    this.drop(1006);
  }

  /** The last frame of `type` the client sent. */
  lastSent(type: string): WSMessage {
    const found = [...this.sent].reverse().find((frame) => frame.type === type);
    if (!found) throw new Error(`the client sent no "${type}" frame (sent: ${this.sent.map((f) => f.type).join(', ') || 'nothing'})`);
    return found;
  }

  #fire(type: string, event: unknown): void {
    for (const listener of this.#listeners.get(type) ?? []) (listener as (event: unknown) => void)(event);
  }
}

/** A WebSocket constructor that records every socket it makes, for one test. */
export function scriptedWebSocket(): { WebSocket: WebSocketConstructorLike; sockets: ScriptedSocket[]; last(): ScriptedSocket } {
  const sockets: ScriptedSocket[] = [];
  const WebSocket = class extends ScriptedSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  };
  return {
    WebSocket,
    sockets,
    last() {
      const socket = sockets.at(-1);
      if (!socket) throw new Error('no socket was opened');
      return socket;
    },
  };
}
