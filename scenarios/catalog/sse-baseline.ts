import { UsageError } from '../../lib/errors.js';
import type { HttpRequestSpec } from '../engines/types.js';
import type { SseProfile } from '../profiles/schema.js';
import { compileTemplate } from '../profiles/template.js';
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

/**
 * sse-baseline on the team's own endpoint: the request of a profile's `sse` section, which must be
 * a POST stream (one that ends) on the target's host, with a JSON body if any.
 * @throws UsageError saying what sse-baseline needs, and that sse-stream covers the rest.
 */
export function sseBaselineRequestsFor(sse: SseProfile, profileName: string): HttpRequestSpec[] {
  const refuse = (why: string): never => {
    throw new UsageError('PROFILE_UNSUPPORTED', `sse-baseline cannot time the profile ${profileName}'s sse endpoint: ${why}; run sse-stream on it instead.`);
  };
  if (sse.method !== 'POST') refuse('it times POST streams to their end, and a GET stream does not end');
  if (!sse.url.startsWith('/')) refuse('autocannon requests paths on the target\'s host, and sse.url is a whole URL');
  if (typeof sse.body === 'string') refuse('its requests carry JSON, and sse.body is text');
  const body = sse.body === undefined ? undefined : compileTemplate(sse.body, { payloadBytes: 0 });
  return [{ method: 'POST', path: sse.url, ...(body === undefined ? {} : { body: (sequence: number) => JSON.parse(body.render({ id: sequence, seq: sequence, vu: 0 })) as unknown }) }];
}
