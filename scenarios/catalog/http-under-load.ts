import type { ScenarioDefinition } from './types.js';
import { httpWorkload } from './http-workload.js';
import { commonKnobs } from './knobs.js';

/**
 * `http-under-load` (autocannon): `/health` and `/api/config` latency while the `latency` WebSocket
 * scenario runs at the same time (the one given on the command line, or one with its defaults and
 * this scenario's duration).
 */
export const httpUnderLoadScenario: ScenarioDefinition = {
  name: 'http-under-load',
  description: 'GET /health and /api/config latency while the latency WebSocket scenario runs concurrently.',
  engines: ['autocannon'],
  knobs: [
    commonKnobs.connections(10, 'HTTP connections (keep-alive).'),
    commonKnobs.rate(100, 'HTTP requests per second across connections; 0 = as fast as replies come.'),
    commonKnobs.duration(30_000),
  ],
  metrics: ['http_req_duration', 'http_req_failed', 'http_reqs'],
  runsBeside: 'latency',
  workload: (options) =>
    httpWorkload(options, {
      requests: [
        { method: 'GET', path: '/health' },
        { method: 'GET', path: '/api/config' },
      ],
      durationMetric: 'http_req_duration',
      timeoutMs: 10_000,
    }),
};
