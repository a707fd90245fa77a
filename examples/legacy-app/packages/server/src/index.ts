/**
 * The chat app's HTTP server: chat data, a health check, and the sync progress streams
 * (Server-Sent Events, in legacy-sync.ts).
 */
import { createServer } from 'node:http';
import { chatRoutes } from './chats.js';
import { legacySyncRoutes, stopLegacySyncs } from './legacy-sync.js';
import { findRoute, sendJson, type Route } from './router.js';
import { loadSettings } from './settings.js';

const settings = loadSettings();

const healthRoute: Route = {
  method: 'GET',
  path: '/health',
  handle: (_req, res) => sendJson(res, 200, { status: 'ok', uptimeSeconds: Math.round(process.uptime()) }),
};

const routes: Route[] = [healthRoute, ...chatRoutes, ...legacySyncRoutes];

const server = createServer((req, res) => {
  const found = findRoute(routes, req);
  if (!found) {
    sendJson(res, 404, { error: `no route for ${req.method} ${req.url}` });
    return;
  }
  Promise.resolve(found.route.handle(req, res, found.params)).catch((error: unknown) => {
    console.error('request failed', error);
    if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
    else res.end();
  });
});

server.listen(settings.port, settings.host, () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  console.log(`legacy chat server listening on http://${settings.host}:${port}`);
});

function shutdown(): void {
  stopLegacySyncs();
  server.close(() => process.exit(0));
}

process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
