import type { SseWorkload } from '../engines/types.js';
import { knobSpecs } from '../k6/lib/scenario-knobs.js';
import type { ScenarioDefinition } from './types.js';
import { commonKnobs, describedKnob } from './knobs.js';
import { numberOption } from './types.js';

/**
 * `sse-stream`: the team's own Server-Sent Events endpoint, named by the profile's `sse` section.
 * GET streams held open by many subscribers (event latency from a timestamp in the event, or the
 * time between events; loss by sequence number; reconnect with Last-Event-ID), or POST streamed
 * responses each timed to completion — the "before" beside the WebSocket scenarios' "after".
 */
export const sseStreamScenario: ScenarioDefinition = {
  name: 'sse-stream',
  transport: 'http',
  description: "Any SSE endpoint (a profile's sse section): GET streams held open and resumed with Last-Event-ID, or POST streams timed to completion; event latency, loss, reconnects.",
  engines: ['native'],
  knobs: [
    commonKnobs.connections(50, 'Concurrent SSE streams (HTTP connections).'),
    commonKnobs.duration(30_000),
    commonKnobs.rampUp(2_000, 'Streams open over this time.'),
    describedKnob(knobSpecs.reconnectDelay, "Wait before reopening a GET stream that ended or failed (the server's retry: field wins)."),
  ],
  metrics: [
    'sse_connecting',
    'sse_event_latency',
    'sse_event_interarrival',
    'sse_msgs_lost',
    'sse_msgs_duplicated',
    'sse_reconnect_duration',
    'sse_stream_duration',
    'http_reqs',
    'http_req_failed',
  ],
  workload: (options): SseWorkload => ({
    kind: 'sse',
    connections: numberOption(options, 'connections'),
    durationMs: numberOption(options, 'durationMs'),
    rampUpMs: numberOption(options, 'rampUpMs'),
    reconnectDelayMs: numberOption(options, 'reconnectDelayMs'),
  }),
};
