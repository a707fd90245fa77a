import type { IncomingMessage, ServerResponse } from 'node:http';

/** One HTTP route of the app. `path` may hold `:name` segments, passed to the handler. */
export interface Route {
  method: 'GET' | 'POST';
  path: string;
  handle(req: IncomingMessage, res: ServerResponse, params: Record<string, string>): void | Promise<void>;
}

/** The route matching the request, with its path parameters. */
export function findRoute(routes: readonly Route[], req: IncomingMessage): { route: Route; params: Record<string, string> } | undefined {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const segments = url.pathname.split('/');
  for (const route of routes) {
    if (route.method !== req.method) continue;
    const expected = route.path.split('/');
    if (expected.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const matches = expected.every((part, i) => {
      const actual = segments[i] ?? '';
      if (part.startsWith(':')) {
        params[part.slice(1)] = decodeURIComponent(actual);
        return actual.length > 0;
      }
      return part === actual;
    });
    if (matches) return { route, params };
  }
  return undefined;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text.length === 0 ? undefined : JSON.parse(text);
}
