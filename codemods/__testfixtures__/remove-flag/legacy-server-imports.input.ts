import { createServer } from 'node:http';
import { chatRoutes, type Route } from './chats.js';
import { handleLegacySync, legacySyncRoutes, legacyMetrics, stopLegacySyncs } from './legacy-sync.js';
import './legacy-sync.js';

const routes: Route[] = [...chatRoutes, ...legacySyncRoutes];
const metrics = { requests: 0, legacy: legacyMetrics };
const legacyHandle = legacyMetrics.snapshot();

const server = createServer(async (req, res) => {
  if (await handleLegacySync(req, res)) return;
  metrics.requests++;
  for (const route of routes) if (route.matches(req)) return route.handle(req, res);
});

process.on('SIGTERM', () => {
  stopLegacySyncs();
  server.close();
});
