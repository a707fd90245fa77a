/**
 * Where the client connects: URL checks, the HTTP base derived from a WebSocket URL, and the
 * default endpoint (`WS_ENDPOINT`, as in the seed, or the page's own host in a browser).
 */

/** Checks a WebSocket URL; returns a problem description or `undefined` when usable. */
export function wsUrlProblem(url: unknown): string | undefined {
  if (typeof url !== 'string' || url.length === 0) return 'a WebSocket URL is required, such as ws://127.0.0.1:3000/ws';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `"${url}" is not a URL: use ws://host:port/ws or wss://host/ws`;
  }
  if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
    return `"${url}" must start with ws:// or wss:// (got ${parsed.protocol}//)`;
  }
  return undefined;
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

/** `url` with `?token=` set: browsers cannot put headers on a WebSocket upgrade. */
export function withTokenQuery(url: string, token: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('token', token);
  return parsed.toString();
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
