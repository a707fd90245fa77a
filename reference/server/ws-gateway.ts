/**
 * The gateway's WebSocket endpoint (at `/ws` by default): answers refused upgrades over plain HTTP
 * (403 origin or cross-site cookies, 400 token in the URL, 401 bad token, ticket or `authenticate`
 * refusal, 503 draining) before any WebSocket exists, enforces the connection limit (4202), runs
 * the heartbeat, and closes connections for kicks, drains and shutdown.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode, HttpErrorCode } from '../protocol/index.js';
import { messageOf } from '../../lib/errors.js';
import { scrubUrl } from '../../lib/logger.js';
import { originRefusal, presentedToken, selectProtocol, tokenMatches } from './auth.js';
import { Connection, type ConnectionContext } from './connection.js';
import { forwardedHeaders } from './forwarded-headers.js';
import type { GatewayContext } from './gateway-context.js';
import { HttpError, refuseUpgrade } from './http-util.js';

/** The `outcome` label of a refused upgrade in `wsmig_ws_connection_attempts_total`. */
type RefusedOutcome = 'unauthorized' | 'forbidden_origin' | 'draining' | 'bad_request';

/** Credentials an upgrade passed with: `identity` set when a ticket carried one. */
type Credentials = { ok: true; ticket: boolean; identity: unknown } | { ok: false; error: HttpError };

function unauthorized(message: string): HttpError {
  return new HttpError(401, HttpErrorCode.unauthorized, message, { 'WWW-Authenticate': 'Bearer' });
}

/** The forwarded headers of every connection when there is no SSE bridge (nothing is forwarded): one object for all. */
const NO_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

/** The default path of the WebSocket endpoint (the seed's `WS_ENDPOINT=ws://localhost:3000/ws`). */
export const WS_PATH = '/ws';

export class WsGateway {
  private readonly connections = new Set<Connection>();
  private readonly wss: WebSocketServer;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private readonly connectionContext: ConnectionContext;
  private nextId = 1;
  /** The parsed URL of the endpoint's path (see {@link urlOf}); `undefined` when parsing would change the path. */
  private readonly pathUrl: URL | undefined;
  private whenEmpty: (() => void) | undefined;

  constructor(private readonly ctx: GatewayContext) {
    this.wss = new WebSocketServer({
      noServer: true,
      clientTracking: false,
      perMessageDeflate: false,
      maxPayload: ctx.options.maxPayloadBytes,
      // Answers with the application's subprotocol, never the `wsmig.bearer.<token>` one.
      handleProtocols: (protocols) => selectProtocol(protocols),
    });
    this.wss.on('wsClientError', (error: Error, socket: Duplex) => {
      ctx.metrics.attempts.inc({ outcome: 'bad_request' });
      refuseUpgrade(socket, 400, 'BAD_REQUEST', `not a valid WebSocket upgrade: ${error.message}`);
    });
    this.connectionContext = { ...ctx, onClosed: this.onClosed };
    const pathUrl = new URL(ctx.options.path, 'http://localhost');
    this.pathUrl = pathUrl.pathname === ctx.options.path && pathUrl.search === '' ? pathUrl : undefined;
    this.heartbeatTimer = setInterval(() => this.heartbeat(), ctx.options.heartbeatIntervalMs);
    this.heartbeatTimer.unref();
  }

  /** Open connections. */
  get size(): number {
    return this.connections.size;
  }

  /**
   * An upgrade request's URL, parsed once for {@link isForPath} and {@link handleUpgrade}. Most
   * upgrades ask for the endpoint's path itself, without a query: they share one parsed URL (never
   * changed by anyone), when the path is one that parsing leaves as it is.
   */
  urlOf(req: IncomingMessage): URL {
    if (req.url === this.ctx.options.path && this.pathUrl !== undefined) return this.pathUrl;
    return new URL(req.url ?? '/', 'http://localhost');
  }

  /** Whether an upgrade request (its {@link urlOf}) is for this endpoint's path. */
  isForPath(url: URL): boolean {
    return url.pathname === this.ctx.options.path;
  }

  /** Refuses an upgrade at another path with 404 (when nothing else on the server handles upgrades). */
  refuseOtherPath(url: URL, socket: Duplex): void {
    socket.on('error', this.onSocketError);
    this.ctx.metrics.attempts.inc({ outcome: 'bad_request' });
    refuseUpgrade(socket, 404, 'NOT_FOUND', `no WebSocket endpoint at ${url.pathname}: connect to ${this.ctx.options.path}`);
  }

  /** Handles an HTTP upgrade request at this endpoint's path (`url`: its {@link urlOf}). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): void {
    socket.on('error', this.onSocketError);
    if (this.ctx.isDraining()) {
      this.refuse(req, socket, new HttpError(503, 'DRAINING', 'the server is draining: reconnect to another instance or after a moment', { 'Retry-After': '1' }), 'draining');
      return;
    }
    const origin = originRefusal(req, this.ctx.options);
    if (origin !== undefined) {
      this.refuse(req, socket, origin, 'forbidden_origin');
      return;
    }
    const credentials = this.credentials(req, url);
    if (!credentials.ok) {
      this.refuse(req, socket, credentials.error, credentials.error.status === 400 ? 'bad_request' : 'unauthorized');
      return;
    }
    if (credentials.ticket || this.ctx.authenticate === undefined) {
      this.upgrade(req, socket, head, credentials.identity);
      return;
    }
    this.authenticated(req).then(
      (identity) => {
        if (identity === undefined) this.refuse(req, socket, unauthorized('the server did not recognise these credentials: sign in again'), 'unauthorized');
        else if (this.ctx.isDraining()) this.refuse(req, socket, new HttpError(503, 'DRAINING', 'the server is draining: reconnect to another instance or after a moment', { 'Retry-After': '1' }), 'draining');
        else this.upgrade(req, socket, head, identity);
      },
      (error: unknown) => {
        this.ctx.logger.error({ err: error }, 'authenticate failed');
        refuseUpgrade(socket, 500, 'INTERNAL', 'the server could not check these credentials: try again later');
      },
    );
  }

  /**
   * The upgrade's credentials: a one-time `?ticket=` (redeemed now, carrying its identity), else the
   * gateway's `token` in the `Authorization` header or the `wsmig.bearer.` subprotocol (`?token=`
   * only with `allowQueryToken`). Without a `token`, anything passes here (`authenticate` decides).
   */
  private credentials(req: IncomingMessage, url: URL): Credentials {
    // Most upgrades carry no query at all: skip building its URLSearchParams then.
    const ticket = url.search === '' ? null : url.searchParams.get('ticket');
    if (ticket !== null) {
      const redeemed = this.ctx.tickets.redeem(ticket);
      if (redeemed === undefined) return { ok: false, error: unauthorized('this ticket is unknown, already used or expired: get a new one (POST /api/ws-ticket) for each connection') };
      return { ok: true, ticket: true, identity: redeemed.identity };
    }
    const { token, allowQueryToken } = this.ctx.options;
    if (token === undefined) return { ok: true, ticket: false, identity: undefined };
    let presented: string | undefined;
    try {
      presented = presentedToken(req, url, { allowQuery: allowQueryToken });
    } catch (error) {
      if (error instanceof HttpError) return { ok: false, error };
      throw error;
    }
    if (!tokenMatches(presented, token)) return { ok: false, error: unauthorized('a valid token is required: send "Authorization: Bearer <token>", the "wsmig.bearer.<token>" subprotocol, or a one-time ?ticket=') };
    return { ok: true, ticket: false, identity: undefined };
  }

  private async authenticated(req: IncomingMessage): Promise<unknown> {
    return this.ctx.authenticate?.(req);
  }

  /** Answers a refused upgrade over HTTP, counts it, and logs it (the URL scrubbed of credentials). */
  private refuse(req: IncomingMessage, socket: Duplex, error: HttpError, outcome: RefusedOutcome): void {
    this.ctx.metrics.attempts.inc({ outcome });
    this.ctx.logger.debug({ url: scrubUrl(req.url ?? '/'), status: error.status, code: error.code }, 'upgrade refused');
    refuseUpgrade(socket, error.status, error.code, error.message, error.headers as Record<string, string>);
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, identity: unknown): void {
    if (socket.destroyed) return;
    const headers = this.ctx.bridge === undefined ? NO_HEADERS : forwardedHeaders(req.headers, this.ctx.forwardHeaders, this.ctx.options.token);
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, socket, identity, headers, req));
  }

  private accept(ws: WebSocket, socket: Duplex, identity: unknown, headers: Record<string, string>, req: IncomingMessage): void {
    const { metrics, options, logger } = this.ctx;
    if (this.connections.size >= options.maxConnections) {
      metrics.attempts.inc({ outcome: 'overloaded' });
      ws.on('error', () => undefined);
      ws.close(CloseCode.overloaded, 'server overloaded');
      metrics.disconnects.inc({ code: String(CloseCode.overloaded) });
      return;
    }
    metrics.countAccepted();
    const connection = new Connection(this.nextId++, ws, socket, this.connectionContext, identity, headers);
    this.connections.add(connection);
    if (logger.isLevelEnabled('debug')) logger.debug({ connection: connection.id, url: scrubUrl(req.url ?? '/') }, 'websocket connected');
  }

  /**
   * The upgrade socket's error listener, kept for the socket's life: one function for every socket.
   * (An arrow written in `handleUpgrade` would keep that call's whole scope alive with it, the
   * request, its headers and the URL included: about 2 KB per idle connection; issue 14.)
   */
  private readonly onSocketError = (error: Error): void => {
    this.ctx.logger.debug({ err: messageOf(error) }, 'upgrade socket error');
  };

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
