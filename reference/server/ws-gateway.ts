/**
 * The gateway's WebSocket endpoint (at `/ws` by default): answers refused upgrades over plain HTTP
 * (401 bad token or `authenticate` refusal, 403 origin, 503 draining) before any WebSocket exists,
 * enforces the connection limit (4202), runs the heartbeat, and closes connections for kicks,
 * drains and shutdown.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode } from '../protocol/index.js';
import { messageOf } from '../../lib/errors.js';
import { originAllowed, presentedToken, tokenMatches } from './auth.js';
import { Connection, type ConnectionContext } from './connection.js';
import { forwardedHeaders } from './forwarded-headers.js';
import type { GatewayContext } from './gateway-context.js';
import { refuseUpgrade } from './http-util.js';

/** The default path of the WebSocket endpoint (the seed's `WS_ENDPOINT=ws://localhost:3000/ws`). */
export const WS_PATH = '/ws';

export class WsGateway {
  private readonly connections = new Set<Connection>();
  private readonly wss: WebSocketServer;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly connectionContext: ConnectionContext;
  private nextId = 1;
  private whenEmpty: (() => void) | undefined;

  constructor(private readonly ctx: GatewayContext) {
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

  /** Whether an upgrade request is for this endpoint's path. */
  isForPath(req: IncomingMessage): boolean {
    return new URL(req.url ?? '/', 'http://localhost').pathname === this.ctx.options.path;
  }

  /** Refuses an upgrade at another path with 404 (when nothing else on the server handles upgrades). */
  refuseOtherPath(req: IncomingMessage, socket: Duplex): void {
    socket.on('error', (error) => this.ctx.logger.debug({ err: messageOf(error) }, 'upgrade socket error'));
    this.ctx.metrics.attempts.inc({ outcome: 'bad_request' });
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    refuseUpgrade(socket, 404, 'NOT_FOUND', `no WebSocket endpoint at ${pathname}: connect to ${this.ctx.options.path}`);
  }

  /** Handles an HTTP upgrade request at this endpoint's path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', (error) => this.ctx.logger.debug({ err: messageOf(error) }, 'upgrade socket error'));
    const { options, metrics } = this.ctx;
    const url = new URL(req.url ?? '/', 'http://localhost');
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
      this.refuseUnauthorized(socket, 'a valid token is required: send "Authorization: Bearer <token>" or ?token=<token>');
      return;
    }
    if (this.ctx.authenticate === undefined) {
      this.upgrade(req, socket, head, undefined);
      return;
    }
    this.authenticated(req).then(
      (identity) => {
        if (identity === undefined) this.refuseUnauthorized(socket, 'the server did not recognise these credentials: sign in again');
        else if (this.ctx.isDraining()) refuseUpgrade(socket, 503, 'DRAINING', 'the server is draining: reconnect to another instance or after a moment', { 'Retry-After': '1' });
        else this.upgrade(req, socket, head, identity);
      },
      (error: unknown) => {
        this.ctx.logger.error({ err: error }, 'authenticate failed');
        refuseUpgrade(socket, 500, 'INTERNAL', 'the server could not check these credentials: try again later');
      },
    );
  }

  private async authenticated(req: IncomingMessage): Promise<unknown> {
    return this.ctx.authenticate?.(req);
  }

  private refuseUnauthorized(socket: Duplex, message: string): void {
    this.ctx.metrics.attempts.inc({ outcome: 'unauthorized' });
    refuseUpgrade(socket, 401, 'UNAUTHORIZED', message, { 'WWW-Authenticate': 'Bearer' });
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, identity: unknown): void {
    if (socket.destroyed) return;
    const headers = this.ctx.bridge === undefined ? {} : forwardedHeaders(req.headers, this.ctx.forwardHeaders, this.ctx.options.token);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, identity, headers));
  }

  private accept(ws: WebSocket, identity: unknown, headers: Record<string, string>): void {
    const { metrics, options, logger } = this.ctx;
    if (this.connections.size >= options.maxConnections) {
      metrics.attempts.inc({ outcome: 'overloaded' });
      ws.on('error', () => undefined);
      ws.close(CloseCode.overloaded, 'server overloaded');
      metrics.disconnects.inc({ code: String(CloseCode.overloaded) });
      return;
    }
    metrics.attempts.inc({ outcome: 'accepted' });
    const connection = new Connection(this.nextId++, ws, this.connectionContext, identity, headers);
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
