/**
 * The WebSocket endpoint at `/ws`: answers refused upgrades over plain HTTP (401 bad token,
 * 403 origin, 503 draining) before any WebSocket exists, enforces the connection limit (4202),
 * runs the heartbeat, and closes connections for kicks, drains and shutdown.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode } from '../protocol/index.js';
import { messageOf } from '../../lib/errors.js';
import { originAllowed, presentedToken, tokenMatches } from './auth.js';
import { Connection, type ConnectionContext } from './connection.js';
import { refuseUpgrade } from './http-util.js';
import type { ServerContext } from './server-context.js';

/** The path of the WebSocket endpoint (the seed's `WS_ENDPOINT=ws://localhost:3000/ws`). */
export const WS_PATH = '/ws';

export class WsGateway {
  private readonly connections = new Set<Connection>();
  private readonly wss: WebSocketServer;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly connectionContext: ConnectionContext;
  private nextId = 1;
  private whenEmpty: (() => void) | undefined;

  constructor(private readonly ctx: ServerContext) {
    this.wss = new WebSocketServer({ noServer: true, clientTracking: false, perMessageDeflate: false, maxPayload: ctx.options.maxPayloadBytes });
    this.wss.on('wsClientError', (error: Error, socket: Duplex) => {
      ctx.metrics.attempts.inc({ outcome: 'bad_request' });
      refuseUpgrade(socket, 400, 'BAD_REQUEST', `not a valid WebSocket upgrade: ${error.message}`);
    });
    this.connectionContext = { ...ctx, onClosed: this.onClosed };
    this.heartbeatTimer = setInterval(() => this.heartbeat(), ctx.options.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  /** Open connections. */
  get size(): number {
    return this.connections.size;
  }

  /** Handles an HTTP upgrade request for any path (only `/ws` is upgraded). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (error) => this.ctx.logger.debug({ err: messageOf(error) }, 'upgrade socket error'));
    const { options, metrics } = this.ctx;
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) {
      metrics.attempts.inc({ outcome: 'bad_request' });
      refuseUpgrade(socket, 404, 'NOT_FOUND', `no WebSocket endpoint at ${url.pathname}: connect to ${WS_PATH}`);
      return;
    }
    if (this.ctx.isDraining()) {
      metrics.attempts.inc({ outcome: 'draining' });
      refuseUpgrade(socket, 503, 'DRAINING', 'the server is draining: reconnect to another instance or after a moment', { 'Retry-After': '1' });
      return;
    }
    if (!originAllowed(req, options.allowedOrigins)) {
      metrics.attempts.inc({ outcome: 'forbidden_origin' });
      refuseUpgrade(socket, 403, 'FORBIDDEN_ORIGIN', `origin ${String(req.headers.origin)} is not allowed`);
      return;
    }
    if (options.token !== undefined && !tokenMatches(presentedToken(req, url), options.token)) {
      metrics.attempts.inc({ outcome: 'unauthorized' });
      refuseUpgrade(socket, 401, 'UNAUTHORIZED', 'a valid token is required: send "Authorization: Bearer <token>" or ?token=<token>', { 'WWW-Authenticate': 'Bearer' });
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
  }

  private accept(ws: WebSocket): void {
    const { metrics, options, logger } = this.ctx;
    if (this.connections.size >= options.maxConnections) {
      metrics.attempts.inc({ outcome: 'overloaded' });
      ws.on('error', () => undefined);
      ws.close(CloseCode.overloaded, 'server overloaded');
      metrics.disconnects.inc({ code: String(CloseCode.overloaded) });
      return;
    }
    metrics.attempts.inc({ outcome: 'accepted' });
    const connection = new Connection(this.nextId++, ws, this.connectionContext);
    this.connections.add(connection);
    logger.debug({ connection: connection.id }, 'websocket connected');
  }

  private readonly onClosed = (connection: Connection, code: number): void => {
    this.connections.delete(connection);
    this.ctx.metrics.disconnects.inc({ code: String(code) });
    this.ctx.logger.debug({ connection: connection.id, code }, 'websocket closed');
    if (this.connections.size === 0 && this.whenEmpty) this.whenEmpty();
  };

  private heartbeat(): void {
    for (const connection of this.connections) connection.heartbeat();
  }

  /** Closes up to `count` connections (all by default) with 4300; returns how many. */
  kick(count = Number.POSITIVE_INFINITY): number {
    let kicked = 0;
    for (const connection of this.connections) {
      if (kicked >= count) break;
      if (connection.isClosing) continue;
      connection.close(CloseCode.kicked, 'kicked by an operator');
      kicked += 1;
    }
    return kicked;
  }

  /**
   * Sends every client a `drain` notice with `retryAfterMs` spread uniformly over `windowMs`, and
   * closes it with 1012. Resolves when all have closed, or after `timeoutMs`, terminating the rest.
   */
  async drain(windowMs: number, timeoutMs: number, random: () => number): Promise<void> {
    for (const connection of this.connections) connection.drain(Math.floor(random() * windowMs));
    await this.closed(timeoutMs);
  }

  /** Destroys every connection at once. */
  terminateAll(): void {
    for (const connection of this.connections) connection.terminate();
  }

  /** Stops the heartbeat and the WebSocket server (connections are closed by drain or terminateAll). */
  stop(): void {
    clearInterval(this.heartbeatTimer);
    this.wss.close();
  }

  /** Resolves when no connection is left, terminating the rest after `timeoutMs`. */
  private closed(timeoutMs: number): Promise<void> {
    if (this.connections.size === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.ctx.logger.warn({ remaining: this.connections.size }, 'drain timeout: terminating the connections left');
        this.terminateAll();
      }, timeoutMs);
      this.whenEmpty = () => {
        clearTimeout(timer);
        this.whenEmpty = undefined;
        resolve();
      };
    });
  }
}
