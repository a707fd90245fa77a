/**
 * The server's HTTP side: `/health`, `/metrics`, `/api/config`, the legacy SSE endpoints, and the
 * operator endpoints `/admin/flag`, `/admin/kick`, `/admin/faults`. App routes (`routes` option)
 * are tried first. Unknown paths get a JSON 404.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ErrorCode } from '../protocol/index.js';
import { isWsmigError, messageOf } from '../../lib/errors.js';
import { isLoopback, originAllowed, presentedToken, tokenMatches } from './auth.js';
import { HttpError, readJsonBody, sendError, sendJson } from './http-util.js';
import { failSse, type LegacySse } from './legacy-sse.js';
import type { BridgeStatus } from './bridge/types.js';
import type { ServerMetrics } from './metrics.js';
import type { Faults, ResolvedServerOptions } from './options.js';

/** Answer of `GET /api/config`: which transport the flag selects, and where the WebSocket is. */
export interface ApiConfig {
  transport: 'ws' | 'sse';
  wsEndpoint: string;
  flag: { name: string; value: boolean };
}

/** Answer of `GET /health`. */
export interface HealthReport {
  status: 'ok' | 'draining';
  connections: number;
  sseStreams: number;
  transport: 'ws' | 'sse';
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
  config(): ApiConfig;
  health(): HealthReport;
  setFlagFromAdmin(value: boolean): void;
  kick(count?: number): number;
  setFaults(faults: Partial<Faults>): Faults;
}

const ADMIN_BODY_LIMIT_BYTES = 64 * 1024;

/** CORS headers for a browser request from an allowed origin (none for other requests). */
function corsHeaders(req: IncomingMessage, options: ResolvedServerOptions): OutgoingHttpHeaders {
  const origin = req.headers.origin;
  if (origin === undefined || !originAllowed(req, options.allowedOrigins)) return {};
  return { 'access-control-allow-origin': origin, vary: 'Origin', 'access-control-expose-headers': 'Content-Type' };
}

function requireMethod(req: IncomingMessage, allowed: string): void {
  if (req.method !== allowed) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `use ${allowed}`, { allow: allowed });
}

function checkAdmin(req: IncomingMessage, url: URL, options: ResolvedServerOptions): void {
  // A browser page must not reach operator endpoints (they accept simple cross-site POSTs otherwise).
  if (req.headers.origin !== undefined) throw new HttpError(403, 'FORBIDDEN', '/admin/* does not accept browser (Origin) requests');
  if (options.adminToken !== undefined) {
    if (!tokenMatches(presentedToken(req, url), options.adminToken)) throw new HttpError(401, 'UNAUTHORIZED', 'send "Authorization: Bearer <admin token>"');
    return;
  }
  if (!isLoopback(req)) throw new HttpError(403, 'FORBIDDEN', '/admin/* is open to loopback clients only when no admin token is configured');
}

function checkToken(req: IncomingMessage, url: URL, options: ResolvedServerOptions): void {
  if (options.token !== undefined && !tokenMatches(presentedToken(req, url), options.token)) {
    throw new HttpError(401, 'UNAUTHORIZED', 'a valid token is required: send "Authorization: Bearer <token>" or ?token=<token>');
  }
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
  const body = await adminBody(req);
  switch (url.pathname) {
    case '/admin/flag': {
      if (typeof body['value'] !== 'boolean') throw new HttpError(400, ErrorCode.invalidPayload, 'send {"value": true} (WebSocket) or {"value": false} (legacy SSE)');
      app.setFlagFromAdmin(body['value']);
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
    case '/api/config':
      requireMethod(req, 'GET');
      sendJson(res, 200, app.config(), cors);
      return;
  }
  const kind = app.sse?.handles(method, pathname);
  if (app.sse && kind) {
    if (!originAllowed(req, app.options.allowedOrigins)) throw new HttpError(403, 'FORBIDDEN_ORIGIN', `origin ${String(req.headers.origin)} is not allowed`);
    try {
      checkToken(req, url, app.options);
      if (kind === 'commands') await app.sse.commandsSync(req, res, cors);
      else await app.sse.events(req, res, url, cors);
    } catch (error) {
      failSse(res, error, app.options.logger, cors);
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
        sendError(res, error, cors);
        return;
      }
      app.options.logger.error({ err: error, path: url.pathname }, 'request failed');
      sendError(res, new HttpError(500, isWsmigError(error) ? error.code : ErrorCode.internal, `the server failed: ${messageOf(error)}`), cors);
    });
  };
}
