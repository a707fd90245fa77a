/**
 * Who may connect, and from where: bearer tokens (the `Authorization` header, or the
 * `wsmig.bearer.<token>` subprotocol browsers can send; never the URL unless allowed for old
 * clients), the origin rule (same origin plus an allowlist, cookies only from allowed origins), the
 * JSON-only rule for `POST`, and what counts as a loopback peer for `/admin/*`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { HttpErrorCode } from '../protocol/index.js';
import { HttpError } from './http-util.js';

/** The subprotocol prefix that carries a bearer token on a browser's upgrade: `wsmig.bearer.<token>`. Never echoed back. */
export const BEARER_PROTOCOL_PREFIX = 'wsmig.bearer.';

/** Query parameters that would put a long-lived credential in a URL (which proxies and browsers log). */
const URL_TOKEN_PARAMS = ['token', 'access_token'] as const;

/** The token of an `Authorization: Bearer <token>` header, if the request has one. */
export function bearerFromHeader(req: IncomingMessage): string | undefined {
  const header = req.headers.authorization;
  if (header === undefined) return undefined;
  const match = /^Bearer\s+(.+)$/i.exec(header.trim());
  return match ? (match[1] as string) : undefined;
}

/** The token of a `wsmig.bearer.<token>` entry in `Sec-WebSocket-Protocol`, if the upgrade offers one. */
export function bearerFromProtocol(req: IncomingMessage): string | undefined {
  const header = req.headers['sec-websocket-protocol'];
  if (header === undefined) return undefined;
  for (const entry of header.split(',')) {
    const protocol = entry.trim();
    if (protocol.startsWith(BEARER_PROTOCOL_PREFIX) && protocol.length > BEARER_PROTOCOL_PREFIX.length) return protocol.slice(BEARER_PROTOCOL_PREFIX.length);
  }
  return undefined;
}

/** The subprotocol to answer an upgrade with: the first offered one that is not a bearer token (none when there is none). */
export function selectProtocol(protocols: ReadonlySet<string>): string | false {
  for (const protocol of protocols) if (!protocol.startsWith(BEARER_PROTOCOL_PREFIX)) return protocol;
  return false;
}

/** The token a request carries in its URL (`?token=`, `?access_token=`), if any. */
export function tokenInUrl(url: URL): string | undefined {
  for (const name of URL_TOKEN_PARAMS) {
    const value = url.searchParams.get(name);
    if (value !== null) return value;
  }
  return undefined;
}

/** The refusal of a token in the URL, saying what to do instead. */
export function tokenInUrlError(allowOption: boolean): HttpError {
  const instead = 'send "Authorization: Bearer <token>", or (browsers) get a one-time ticket from POST /api/ws-ticket and connect with ?ticket=';
  return new HttpError(400, HttpErrorCode.tokenInUrl, `tokens are not accepted in the URL, where proxies and browsers log them: ${instead}${allowOption ? ' (allowQueryToken / --allow-query-token accepts ?token= from old clients)' : ''}`);
}

/**
 * The bearer token a request presents: the `Authorization` header, else (upgrades) the
 * `wsmig.bearer.` subprotocol, else, only when `allowQuery` (old clients), `?token=`.
 * @throws HttpError `TOKEN_IN_URL` (400) for a token in the URL when `allowQuery` is false.
 */
export function presentedToken(req: IncomingMessage, url: URL, options: { allowQuery: boolean }): string | undefined {
  const inUrl = tokenInUrl(url);
  if (inUrl !== undefined && !options.allowQuery) throw tokenInUrlError(true);
  return bearerFromHeader(req) ?? bearerFromProtocol(req) ?? inUrl;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares tokens in constant time (hashing first, so the length does not leak either). */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Which browser origins may use the server, besides its own (same host). */
export interface OriginPolicy {
  /** Exact origins (`https://app.example.com`) allowed besides the server's own. */
  readonly allowedOrigins: ReadonlySet<string>;
  /** `*` was configured: any origin, but never with cookies (see {@link originRefusal}). */
  readonly anyOrigin: boolean;
}

/** Whether `origin` names the host the request was sent to (the `Host` header): the page is the server's own. */
export function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host.toLowerCase() === host.toLowerCase();
  } catch {
    return false;
  }
}

/** Whether a request's `Origin` is trusted: absent (not a browser), the server's own, or listed. `*` does not make an origin trusted. */
export function originTrusted(req: IncomingMessage, policy: OriginPolicy): boolean {
  const { origin } = req.headers;
  return origin === undefined || sameOrigin(origin, req.headers.host) || policy.allowedOrigins.has(origin);
}

/**
 * Why a browser request may not use the server, or `undefined` when it may. Requests without
 * `Origin` (not browsers) pass; the server's own origin and the allowlist pass; with `*` any other
 * origin passes only without cookies, so a foreign page cannot ride a user's session
 * (cross-site WebSocket hijacking).
 */
export function originRefusal(req: IncomingMessage, policy: OriginPolicy): HttpError | undefined {
  if (originTrusted(req, policy)) return undefined;
  const origin = String(req.headers.origin);
  if (!policy.anyOrigin) {
    return new HttpError(403, HttpErrorCode.forbiddenOrigin, `origin ${origin} is not allowed: serve the page from this host, or add the origin to allowedOrigins (--allow-origin)`);
  }
  if (req.headers.cookie !== undefined) {
    return new HttpError(403, HttpErrorCode.crossSiteCookies, `origin ${origin} sent cookies: with allowedOrigins "*" a foreign origin is served only without cookies; list the origin in allowedOrigins to trust its cookies`);
  }
  return undefined;
}

/**
 * Refuses a `POST` whose body is not JSON (415): a foreign page can send `text/plain`, form and
 * multipart bodies cross-site without a CORS preflight, never `application/json`.
 */
export function requireJsonBody(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(415, HttpErrorCode.unsupportedMediaType, `send the body as JSON with "Content-Type: application/json" (got ${req.headers['content-type'] === undefined ? 'no content type' : JSON.stringify(req.headers['content-type'])})`);
  }
}

/** Headers a reverse proxy adds: a request carrying any of them is never treated as loopback. */
const PROXY_HEADERS = ['forwarded', 'x-forwarded-for', 'x-real-ip'] as const;

/** Whether the request came through a proxy that said so (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`). */
export function isProxied(req: IncomingMessage): boolean {
  return PROXY_HEADERS.some((name) => req.headers[name] !== undefined);
}

/**
 * Whether the peer is on this machine (127.0.0.0/8, ::1, or IPv4-mapped loopback) and the request
 * did not come through a proxy: behind a reverse proxy on the same host every peer is loopback.
 */
export function isLoopback(req: IncomingMessage): boolean {
  if (isProxied(req)) return false;
  const address = req.socket.remoteAddress ?? '';
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
