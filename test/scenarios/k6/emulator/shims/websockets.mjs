// k6/websockets stand-in on the ws package, with k6's rules: send() only when open, close() codes
// 1000 or 3000–4999, no close() while connecting (k6 would block the VU there), the constructor's
// protocols argument ignored, and a Sec-WebSocket-Protocol header sent as given (k6's gorilla
// dialer accepts whatever subprotocol the server picks; ws checks the pick against its protocols
// argument, so the header becomes that argument).
import { WebSocket as NodeWebSocket } from 'ws';
import { guarded, record, sockets } from './state.mjs';

const EVENTS = ['open', 'message', 'close', 'error', 'ping', 'pong'];

export class WebSocket {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  CONNECTING = 0;
  OPEN = 1;
  CLOSING = 2;
  CLOSED = 3;

  constructor(url, protocols, params) {
    this.url = url;
    this.readyState = WebSocket.CONNECTING;
    this.listeners = Object.fromEntries(EVENTS.map((event) => [event, []]));
    const startedMs = Date.now();
    let openedMs;
    sockets.open += 1;
    record('ws_sessions', 'counter', 1);
    const headers = { ...((params && params.headers) || {}) };
    let subprotocols;
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase() === 'sec-websocket-protocol') {
        subprotocols = String(headers[name]).split(',').map((protocol) => protocol.trim());
        delete headers[name];
      }
    }
    const socket = subprotocols === undefined ? new NodeWebSocket(url, { headers }) : new NodeWebSocket(url, subprotocols, { headers });
    this.socket = socket;
    socket.on('open', () => {
      openedMs = Date.now();
      record('ws_connecting', 'trend', openedMs - startedMs);
      this.readyState = WebSocket.OPEN;
      this.emit('open', { type: 'open', timestamp: Date.now() });
    });
    socket.on('message', (data, isBinary) => {
      if (this.readyState !== WebSocket.OPEN) return;
      record('ws_msgs_received', 'counter', 1);
      this.emit('message', { type: 'message', data: isBinary ? new Uint8Array(data).buffer : data.toString(), timestamp: Date.now() });
    });
    socket.on('error', (error) => {
      if (openedMs === undefined) record('ws_connecting', 'trend', Date.now() - startedMs);
      this.emit('error', { type: 'error', error: String(error.message), timestamp: Date.now() });
    });
    socket.on('close', (code, reason) => {
      if (this.readyState === WebSocket.CLOSED) return;
      this.readyState = WebSocket.CLOSED;
      sockets.open -= 1;
      if (openedMs !== undefined) record('ws_session_duration', 'trend', Date.now() - openedMs);
      this.emit('close', { type: 'close', code, reason: reason.toString(), timestamp: Date.now() });
    });
  }

  emit(event, payload) {
    for (const listener of this.listeners[event]) guarded(listener)(payload);
  }

  addEventListener(event, listener) {
    if (!EVENTS.includes(event)) throw new Error(`emulator: k6/websockets has no "${event}" event`);
    this.listeners[event].push(listener);
  }

  send(data) {
    if (this.readyState !== WebSocket.OPEN) throw new Error('InvalidStateError');
    this.socket.send(data);
    record('ws_msgs_sent', 'counter', 1);
  }

  close(code = 1000, reason = '') {
    if (this.readyState === WebSocket.CLOSING || this.readyState === WebSocket.CLOSED) return;
    if (this.readyState === WebSocket.CONNECTING) throw new Error('emulator: close() on a connecting socket would block the k6 VU');
    if (!(code === 1000 || (code >= 3000 && code <= 4999))) throw new Error(`emulator: k6 refuses close code ${code}`);
    if (Buffer.byteLength(reason) > 123) throw new Error('emulator: k6 refuses a close reason over 123 bytes');
    this.readyState = WebSocket.CLOSING;
    this.socket.close(code, reason);
  }

  ping() {
    if (this.readyState !== WebSocket.OPEN) throw new Error('InvalidStateError');
    this.socket.ping();
  }
}

export default { WebSocket };
