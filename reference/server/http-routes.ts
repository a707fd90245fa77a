/**
 * The server's HTTP side: `/health`, `/metrics`, `/api/config`, `POST /api/ws-ticket`, the legacy
 * SSE endpoints, and the operator endpoints `/admin/flag`, `/admin/kick`, `/admin/faults`. App
 * routes (`routes` option) are tried first. Unknown paths get a JSON 404. Closed by default: the
 * SSE endpoints and tickets check the `Origin` and the token, `POST` bodies must be JSON, and
 * `/admin/*` is off without an admin token (or the explicit loopback opt-in).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ErrorCode, HttpErrorCode } from '../protocol/index.js';
import { isWsmigError, messageOf } from '../../lib/errors.js';
import { scrubUrl } from '../../lib/logger.js';
import { bearerFromHeader, isLoopback, isProxied, originRefusal, originTrusted, presentedToken, requireJsonBody, tokenInUrl, tokenInUrlError, tokenMatches } from './auth.js';
import { HttpError, readJsonBody, sendError, sendJson } from './http-util.js';
import { failSse, type LegacySse } from './legacy-sse.js';
import { percentageFromAdminBody, stickinessIdOf } from './flag-http.js';
import type { BridgeStatus } from './bridge/types.js';
import type { ServerMetrics } from './metrics.js';
import type { Faults, ResolvedServerOptions } from './options.js';
import type { IssuedTicket } from './tickets.js';

/** Answer of `GET /api/config`: which transport the flag selects for the caller, and where the WebSocket is. */
export interface ApiConfig {
  transport: 'ws' | 'sse';
  wsEndpoint: string;
  flag: {
    name: string;
    /** WebSocket (true) or legacy SSE (false) for this caller (its stickiness id's bucket at `percentage`). */
    value: boolean;
    /** The rollout, 0 to 100: the share of identities sent to WebSocket. */
    percentage: number;
    /** The bucketing group (`murmurhash3("<groupId>:<id>") % 100 + 1 ≤ percentage` is in). */
    groupId: string;
    /** False when the caller gave no stickiness id while the rollout is partial: `value` (false) is then no lasting answer. */
    sticky: boolean;
  };
}

/** Answer of `GET /health`. */
export interface HealthReport {
  status: 'ok' | 'draining';
  connections: number;
  sseStreams: number;
  /** The transport the flag selects for everyone: `ws` only at 100 % (see `flagPercentage`). */
  transport: 'ws' | 'sse';
  /** `USE_NEW_WS_SYNC`'s rollout, 0 to 100. */
  flagPercentage: number;
  uptimeSeconds: number;
  epoch: string;
  version: string;
  /** Where the SSE bridge stands, when the server relays an upstream (`--upstream`). */
  bridge?: BridgeStatus;
}

/** What the routes need from the server. */
export interface HttpApp {
  readonly options: ResolvedServerOptions;
  readonly metrics: ServerMetrics;
  readonly sse: LegacySse | undefined;
  /** The flag's answer for the caller with stickiness id `stickinessId` (none: the answer for anyone, sticky only at 0 and 100 %). */
  config(stickinessId?: string): ApiConfig;
  health(): HealthReport;
  /** Sets the flag's percentage (with the Redis engine: for every instance; rejects when Redis cannot take it). */
  setFlagFromAdmin(percentage: number): Promise<void>;
  kick(count?: number): number;
  setFaults(faults: Partial<Faults>): Faults;
  /** A one-time connection ticket (see tickets.ts); throws `TOO_MANY_TICKETS`. */
  issueTicket(identity: unknown): IssuedTicket;
  /** Who a request's credentials are (with identities); `undefined` refuses. Absent: the shared `token` alone decides. */
  readonly authenticate: ((req: IncomingMessage) => unknown) | undefined;
}

const ADMIN_BODY_LIMIT_BYTES = 64 * 1024;
const TICKET_BODY_LIMIT_BYTES = 4 * 1024;

/**
 * CORS headers for a browser request from an allowed origin (none for other requests). Never
 * `Access-Control-Allow-Credentials`: a foreign page may not read answers made with the user's cookies.
 */
function corsHeaders(req: IncomingMessage, options: ResolvedServerOptions): OutgoingHttpHeaders {
  const origin = req.headers.origin;
  if (origin === undefined || (!originTrusted(req, options) && !options.anyOrigin)) return {};
  return { 'access-control-allow-origin': origin, vary: 'Origin', 'access-control-expose-headers': 'Content-Type' };
}

function requireMethod(req: IncomingMessage, allowed: string): void {
  if (req.method !== allowed) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `use ${allowed}`, { allow: allowed });
}

/**
 * Who may use `/admin/*`: never a browser page (`Origin`), never a token in the URL; with an admin
 * token, whoever sends it in the `Authorization` header; without one, nobody, unless `adminLoopback`
 * opens it to loopback peers that did not come through a proxy.
 */
function checkAdmin(req: IncomingMessage, url: URL, options: ResolvedServerOptions): void {
  if (req.headers.origin !== undefined) throw new HttpError(403, HttpErrorCode.adminFromBrowser, '/admin/* does not accept browser (Origin) requests');
  if (tokenInUrl(url) !== undefined) throw new HttpError(400, HttpErrorCode.tokenInUrl, 'the admin token is never read from the URL (proxies log URLs): send "Authorization: Bearer <admin token>"');
  if (options.adminToken !== undefined) {
    if (!tokenMatches(bearerFromHeader(req), options.adminToken)) throw new HttpError(401, HttpErrorCode.unauthorized, 'send "Authorization: Bearer <admin token>"', { 'www-authenticate': 'Bearer' });
    return;
  }
  if (!options.adminLoopback) {
    throw new HttpError(403, HttpErrorCode.adminDisabled, '/admin/* is off: configure an admin token (WSMIG_ADMIN_TOKEN or --admin-token-file; adminToken in code), or open it to this machine only with --admin-loopback (adminLoopback: true)');
  }
  if (isProxied(req)) throw new HttpError(403, HttpErrorCode.adminNotLoopback, '/admin/* is open to loopback clients only, and a request through a proxy (Forwarded, X-Forwarded-For, X-Real-IP) is not one: configure an admin token');
  if (!isLoopback(req)) throw new HttpError(403, HttpErrorCode.adminNotLoopback, '/admin/* is open to loopback clients only: configure an admin token to reach it from elsewhere');
}

/** The service token on an HTTP endpoint: the `Authorization` header (or `?token=` when `allowQueryToken`). */
function checkToken(req: IncomingMessage, url: URL, options: ResolvedServerOptions): void {
  if (options.token === undefined) return;
  if (!tokenMatches(presentedToken(req, url, { allowQuery: options.allowQueryToken }), options.token)) {
    throw new HttpError(401, HttpErrorCode.unauthorized, 'a valid token is required: send "Authorization: Bearer <token>"', { 'www-authenticate': 'Bearer' });
  }
}

/** Refuses a browser request from an origin that may not use the server (see `originRefusal`). */
function checkOrigin(req: IncomingMessage, options: ResolvedServerOptions): void {
  const refusal = originRefusal(req, options);
  if (refusal !== undefined) throw refusal;
}

/** `POST /api/ws-ticket`: a one-time ticket for a browser's upgrade (`?ticket=`), for a caller with the token. */
async function wsTicket(app: HttpApp, req: IncomingMessage, res: ServerResponse, url: URL, cors: OutgoingHttpHeaders): Promise<void> {
  checkOrigin(req, app.options);
  requireMethod(req, 'POST');
  requireJsonBody(req);
  if (tokenInUrl(url) !== undefined) throw tokenInUrlError(false);
  checkToken(req, url, app.options);
  const identity = app.authenticate === undefined ? undefined : await app.authenticate(req);
  if (app.authenticate !== undefined && identity === undefined) throw new HttpError(401, HttpErrorCode.unauthorized, 'a valid token is required: send "Authorization: Bearer <token>"', { 'www-authenticate': 'Bearer' });
  await readJsonBody(req, TICKET_BODY_LIMIT_BYTES);
  let issued: IssuedTicket;
  try {
    issued = app.issueTicket(identity);
  } catch (error) {
    if (isWsmigError(error) && error.code === HttpErrorCode.tooManyTickets) throw new HttpError(503, error.code, error.message, { 'retry-after': '5' });
    throw error;
  }
  sendJson(res, 200, issued, cors);
}

async function adminBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const body = await readJsonBody(req, ADMIN_BODY_LIMIT_BYTES);
  if (body === undefined) return {};
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, ErrorCode.invalidPayload, 'the body must be a JSON object');
  return body as Record<string, unknown>;
}

async function admin(app: HttpApp, req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
  checkAdmin(req, url, app.options);
  requireMethod(req, 'POST');
  requireJsonBody(req);
  const body = await adminBody(req);
  switch (url.pathname) {
    case '/admin/flag': {
      await app.setFlagFromAdmin(percentageFromAdminBody(body));
      sendJson(res, 200, app.config());
      return;
    }
    case '/admin/kick': {
      const count = body['count'];
      if (count !== undefined && !(Number.isSafeInteger(count) && (count as number) >= 0)) throw new HttpError(400, ErrorCode.invalidPayload, '"count" must be a non-negative integer (omit it to kick everyone)');
      sendJson(res, 200, { kicked: app.kick(count as number | undefined) });
      return;
    }
    case '/admin/faults': {
      const { latencyMs, syncFailureRate } = body;
      try {
        sendJson(res, 200, { faults: app.setFaults({ latencyMs: latencyMs as number | undefined, syncFailureRate: syncFailureRate as number | undefined }) });
      } catch (error) {
        throw new HttpError(400, ErrorCode.invalidPayload, `${messageOf(error)} Send {"latencyMs": 250, "syncFailureRate": 0.2}.`);
      }
      return;
    }
    default:
      throw new HttpError(404, ErrorCode.notFound, `no admin endpoint ${url.pathname}: use /admin/flag, /admin/kick or /admin/faults`);
  }
}

async function route(app: HttpApp, req: IncomingMessage, res: ServerResponse, url: URL, cors: OutgoingHttpHeaders): Promise<void> {
  const method = req.method ?? 'GET';
  const { pathname } = url;
  if (pathname.startsWith('/admin/')) return admin(app, req, res, url);
  if (method === 'OPTIONS' && Object.keys(cors).length > 0) {
    res.writeHead(204, {
      ...cors,
      'access-control-allow-methods': 'GET, POST, OPTIONS',
      'access-control-allow-headers': 'Content-Type, Last-Event-ID, Authorization',
      'access-control-max-age': '600',
    });
    res.end();
    return;
  }
  switch (pathname) {
    case '/health': {
      requireMethod(req, 'GET');
      const health = app.health();
      sendJson(res, health.status === 'ok' ? 200 : 503, health, cors);
      return;
    }
    case '/metrics': {
      requireMethod(req, 'GET');
      const text = await app.metrics.text();
      res.writeHead(200, { 'content-type': app.metrics.registry.contentType, 'cache-control': 'no-store' });
      res.end(text);
      return;
    }
    case '/api/config': {
      requireMethod(req, 'GET');
      const config = app.config(await stickinessIdOf(req, url, app.authenticate));
      app.metrics.countFlagEvaluation(config.transport);
      sendJson(res, 200, config, cors);
      return;
    }
    case '/api/ws-ticket':
      return wsTicket(app, req, res, url, cors);
  }
  const kind = app.sse?.handles(method, pathname);
  if (app.sse && kind) {
    checkOrigin(req, app.options);
    if (method === 'POST') requireJsonBody(req);
    checkToken(req, url, app.options);
    const startedMs = performance.now();
    try {
      if (kind === 'commands') await app.sse.commandsSync(req, res, cors);
      else await app.sse.events(req, res, url, cors);
    } catch (error) {
      failSse(res, error, app.options.logger, cors);
    } finally {
      app.sse.observeRequestMs(kind, performance.now() - startedMs);
    }
    return;
  }
  throw new HttpError(404, ErrorCode.notFound, `nothing at ${method} ${pathname}: see /health, /metrics, /api/config, /ws`);
}

/** The server's request listener. */
export function createRequestHandler(app: HttpApp): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const cors = corsHeaders(req, app.options);
    const handle = async (): Promise<void> => {
      if (app.options.routes && (await app.options.routes(req, res))) return;
      await route(app, req, res, url, cors);
    };
    handle().catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        app.options.logger.debug({ method: req.method, url: scrubUrl(req.url ?? '/'), status: error.status, code: error.code }, 'request refused');
        sendError(res, error, cors);
        return;
      }
      app.options.logger.error({ err: error, path: url.pathname }, 'request failed');
      sendError(res, new HttpError(500, isWsmigError(error) ? error.code : ErrorCode.internal, `the server failed: ${messageOf(error)}`), cors);
    });
  };
}
