import type { ScenarioDefinition } from './types.js';
import { wsWorkload } from './ws-workload.js';
import { commonKnobs } from './knobs.js';

/**
 * `fan-out`: many subscribers, events pushed by the server, no requests. On wsmig's envelope every
 * connection subscribes to one of `syncs` chats kept syncing (one by default: every event reaches
 * every connection); on a protocol profile every connection sends the profile's subscribe and the
 * service pushes what it pushes. Event delivery latency (or inter-arrival time, when events carry
 * no timestamp), loss and duplicates by sequence number, and connection stability.
 */
export const fanOutScenario: ScenarioDefinition = {
  name: 'fan-out',
  description: 'Many subscribers, events pushed by the server: delivery latency, loss and duplicates per subscriber, connection stability.',
  engines: ['native', 'k6'],
  knobs: [
    commonKnobs.connections(500, 'Subscribers (WebSocket connections), each subscribed once.'),
    commonKnobs.duration(30_000),
    commonKnobs.rampUp(5_000, 'Subscribers connect over this time.'),
    commonKnobs.syncs(1, 'wsmig profile: chats kept syncing, each connection subscribed to one (1: every event fans out to every connection). Other profiles subscribe once per connection and ignore it.'),
  ],
  metrics: [
    'ws_event_latency',
    'ws_event_interarrival',
    'ws_msgs_lost',
    'ws_msgs_duplicated',
    'ws_msgs_received',
    'ws_connecting',
    'ws_connect_success',
    'ws_sessions',
    'ws_unexpected_disconnects',
  ],
  workload: (options) => wsWorkload(options),
};
