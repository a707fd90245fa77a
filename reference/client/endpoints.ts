/**
 * Where the client connects: URL checks, the HTTP base derived from a WebSocket URL, and the
 * default endpoint (`WS_ENDPOINT`, as in the seed, or the page's own host in a browser).
 */
import { withBearer } from './http.js';

/** Checks a WebSocket URL; returns a problem description or `undefined` when usable. */
export function wsUrlProblem(url: unknown): string | undefined {
  if (typeof url !== 'string' || url.length === 0) return 'a WebSocket URL is required, such as ws://127.0.0.1:3000/ws';
  let protocol: string | undefined;
  try {
    protocol = new URL(url).protocol;
  } catch {
    // Not a URL at all: the same answer as for another scheme.
  }
  if (protocol === 'ws:' || protocol === 'wss:') return undefined;
  return `"${url}" is not a URL for a WebSocket: it must start with ws:// or wss://, such as ws://127.0.0.1:3000/ws`;
}

/**
 * The HTTP base URL of the server behind a WebSocket URL: `ws://h:3000/ws` → `http://h:3000`,
 * `wss://h/app/ws` → `https://h/app`. The legacy SSE and config endpoints live under it.
 */
export function httpUrlFromWsUrl(wsUrl: string): string {
  const parsed = new URL(wsUrl);
  parsed.protocol = parsed.protocol === 'wss:' ? 'https:' : 'http:';
  parsed.search = '';
  parsed.hash = '';
  parsed.pathname = parsed.pathname.replace(/\/ws\/?$/, '').replace(/\/$/, '');
  return parsed.toString().replace(/\/$/, '');
}

/** `url` with a one-time `?ticket=` set: how a browser, which cannot set upgrade headers, authenticates. */
export function withTicketQuery(url: string, ticket: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('ticket', ticket);
  return parsed.toString();
}

/** Where a client gets connection tickets by default: `ws://h:3000/ws` → `http://h:3000/api/ws-ticket`. */
export function defaultTicketUrl(wsUrl: string): string {
  return `${httpUrlFromWsUrl(wsUrl)}/api/ws-ticket`;
}

/** A ticket request the server refused: `status` is its HTTP status (401, 403, …). */
export class TicketRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'TicketRequestError';
  }
}

/**
 * Gets a one-time connection ticket: `POST ticketUrl` with `{}` as JSON, the bearer token when
 * there is one (and, same-origin, the page's cookies), answered `{ ticket, expiresInMs }`.
 * @throws TicketRequestError for a refusal; Error for a network failure, an abort or a bad answer.
 */
export async function fetchTicket(fetchImpl: typeof fetch, ticketUrl: string, token: string | undefined, signal: AbortSignal): Promise<string> {
  const headers = withBearer({ 'Content-Type': 'application/json', Accept: 'application/json' }, token);
  const response = await fetchImpl(ticketUrl, { method: 'POST', headers, body: '{}', signal });
  if (!response.ok) {
    const code = await response.json().then(
      (body: unknown) => (body as { error?: { code?: unknown } } | null)?.error?.code,
      () => undefined,
    );
    throw new TicketRequestError(response.status, `POST ${ticketUrl} answered HTTP ${response.status}${typeof code === 'string' ? ` ${code}` : ''}`);
  }
  const body = (await response.json()) as { ticket?: unknown };
  if (typeof body.ticket !== 'string' || body.ticket.length === 0) throw new Error(`POST ${ticketUrl} answered without a "ticket"`);
  return body.ticket;
}

/**
 * The default WebSocket endpoint: the `WS_ENDPOINT` environment variable where there is one
 * (Node), else `ws(s)://<page host>/ws` in a browser; `undefined` when neither exists.
 */
export function defaultWsEndpoint(): string | undefined {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;
  const fromEnv = env?.['WS_ENDPOINT'];
  if (fromEnv) return fromEnv;
  const location = (globalThis as { location?: { protocol?: string; host?: string } }).location;
  if (location?.host) return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`;
  return undefined;
}
