/**
 * The Node entry of the reference client: everything the browser entry exports, with `ws` as the
 * default WebSocket (so a token travels in an `Authorization` header, not the URL).
 */
import WebSocket from 'ws';
import { setDefaultWebSocket, type WebSocketConstructorLike } from './websocket-like.js';

setDefaultWebSocket(WebSocket as unknown as WebSocketConstructorLike, { acceptsHeaders: true });

export * from './index.js';
