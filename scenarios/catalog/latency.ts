import type { ScenarioDefinition } from './types.js';
import { wsWorkload } from './ws-workload.js';
import { commonKnobs, requestTimeoutKnob } from './knobs.js';

/**
 * `latency`: `echo` requests at a fixed arrival rate across the connections, while every connection
 * is subscribed to a sync channel and `syncs` chats sync over and over. Request round trip from the
 * intended send time, and event delivery latency.
 */
export const latencyScenario: ScenarioDefinition = {
  name: 'latency',
  description: 'Request round trip (open model, from the intended send time) and event delivery latency while syncs run.',
  engines: ['native', 'k6'],
  knobs: [
    commonKnobs.connections(100),
    commonKnobs.rate(200),
    commonKnobs.duration(30_000),
    commonKnobs.rampUp(2_000),
    commonKnobs.payloadBytes(100),
    commonKnobs.syncs(5, 'Chats kept syncing; every connection subscribes to one of their channels.'),
    requestTimeoutKnob,
  ],
  metrics: [
    'ws_rpc_duration',
    'ws_event_latency',
    'ws_event_interarrival',
    'ws_connecting',
    'ws_connect_success',
    'ws_sessions',
    'ws_msgs_sent',
    'ws_msgs_received',
    'ws_msgs_lost',
    'ws_msgs_duplicated',
    'ws_unexpected_disconnects',
    'checks',
    'iterations',
    'dropped_iterations',
  ],
  workload: (options) => wsWorkload(options),
};
