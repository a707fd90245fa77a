import type { ScenarioDefinition } from './types.js';
import { wsWorkload } from './ws-workload.js';
import { commonKnobs } from './knobs.js';

/**
 * `sync-progress`: `syncs` concurrent syncs over `connections`, each started again when it ends.
 * Progress delivery latency, time to complete a sync, and completeness by `seq`.
 */
export const syncProgressScenario: ScenarioDefinition = {
  name: 'sync-progress',
  description: 'Many concurrent syncs over WebSocket: progress delivery latency, sync completion time, completeness by seq.',
  engines: ['native', 'k6'],
  knobs: [
    commonKnobs.syncs(50, 'Concurrent syncs, each started again when it ends.'),
    commonKnobs.connections(50, 'WebSocket connections the syncs are spread over (each subscribes to one chat).'),
    commonKnobs.duration(30_000),
    commonKnobs.rampUp(2_000, 'Connections open over this time.'),
  ],
  metrics: ['ws_sync_duration', 'ws_event_latency', 'ws_msgs_lost', 'ws_msgs_duplicated', 'ws_connecting', 'ws_connect_success', 'ws_unexpected_disconnects'],
  workload: (options) => wsWorkload(options),
};
