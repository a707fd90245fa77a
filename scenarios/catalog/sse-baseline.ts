import type { ScenarioDefinition } from './types.js';
import { httpWorkload } from './http-workload.js';
import { commonKnobs } from './knobs.js';

/**
 * `sse-baseline` (autocannon): time to complete a sync over the legacy `POST /commands/sync` stream.
 * Each response is one whole sync (the stream ends with it), so autocannon's response time is the
 * sync's completion time: the "before" beside `sync-progress` over WebSocket, the "after".
 */
export const sseBaselineScenario: ScenarioDefinition = {
  name: 'sse-baseline',
  transport: 'http',
  description: 'Sync completion time over the legacy POST /commands/sync SSE stream (the "before" beside sync-progress).',
  engines: ['autocannon'],
  knobs: [
    commonKnobs.connections(10, 'Concurrent SSE streams (HTTP connections), each starting a new sync when its stream ends.'),
    commonKnobs.rate(0, 'Syncs started per second across connections; 0 = a new one as soon as a stream ends (closed loop).'),
    commonKnobs.duration(30_000),
  ],
  metrics: ['sse_sync_duration', 'http_req_failed', 'http_reqs'],
  workload: (options) =>
    httpWorkload(options, {
      // A fresh chat per request: a POST for a chat already syncing joins that run instead of starting one.
      requests: [{ method: 'POST', path: '/commands/sync', body: (sequence) => ({ chatId: `sse-baseline-${process.pid}-${Date.now().toString(36)}-${sequence}` }) }],
      durationMetric: 'sse_sync_duration',
      timeoutMs: 30_000,
    }),
};
