import { createServer } from 'node:http';
import { chatRoutes, type Route } from './chats.js';

const routes: Route[] = [...chatRoutes];
const metrics = { requests: 0 };

const server = createServer(async (req, res) => {
  metrics.requests++;
  for (const route of routes) if (route.matches(req)) return route.handle(req, res);
});

process.on('SIGTERM', () => {
  server.close();
});
