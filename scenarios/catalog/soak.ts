import type { ScenarioDefinition } from './types.js';
import { wsWorkload } from './ws-workload.js';
import { commonKnobs, requestTimeoutKnob } from './knobs.js';

/**
 * `soak`: long-lived connections with light traffic. Unexpected disconnects, and the slope of the
 * server's RSS over the run (`server_rss_growth_bytes_per_minute`): the leak signal.
 */
export const soakScenario: ScenarioDefinition = {
  name: 'soak',
  description: 'Long-lived connections with light traffic: unexpected disconnects and the server RSS growth slope (leak signal).',
  engines: ['native', 'k6'],
  knobs: [
    commonKnobs.connections(200),
    commonKnobs.rate(20),
    commonKnobs.duration(600_000),
    commonKnobs.rampUp(10_000),
    commonKnobs.payloadBytes(100),
    commonKnobs.syncs(2, 'Chats kept syncing; every connection subscribes to one of their channels.'),
    requestTimeoutKnob,
  ],
  metrics: ['ws_unexpected_disconnects', 'server_rss_growth_bytes_per_minute', 'server_rss_bytes', 'ws_rpc_duration', 'ws_event_latency', 'ws_event_interarrival', 'ws_msgs_lost'],
  workload: (options) => wsWorkload(options),
};
