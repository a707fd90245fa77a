import type { CutMode } from '../k6/lib/workload-plan.js';
import { knobSpecs } from '../k6/lib/scenario-knobs.js';
import type { ScenarioDefinition } from './types.js';
import { wsWorkload } from './ws-workload.js';
import { numberOption, stringOption } from './types.js';
import { commonKnobs, describedKnob } from './knobs.js';

/**
 * `reconnect-storm`: every connection subscribed to a sync channel while syncs run; `cuts` times,
 * every connection is cut at once (a server restart when wsmig started the server, an admin kick,
 * or an abrupt client-side close). Time to reconnect and resubscribe per client, reconnect success,
 * events lost or duplicated across each cut, and the server's CPU, RSS and event-loop lag meanwhile.
 */
export const reconnectStormScenario: ScenarioDefinition = {
  name: 'reconnect-storm',
  description: 'Cut every connection at once, several times: time to reconnect, success rate, events lost or duplicated, server load.',
  engines: ['native', 'k6'],
  knobs: [
    commonKnobs.connections(500),
    commonKnobs.duration(30_000, 'How long the scenario runs; the cuts are spread evenly after the ramp-up.'),
    commonKnobs.rampUp(2_000, 'Connections open over this time before the first cut.'),
    commonKnobs.syncs(10, 'Chats kept syncing, so events flow across every cut; every connection subscribes to one.'),
    describedKnob(knobSpecs.cuts, 'How many times every connection is cut.'),
    describedKnob(
      knobSpecs.cutMode,
      'restart (SIGTERM the embedded server and start it again on the same port), kick (POST /admin/kick), client-close (abrupt close by the client); auto: restart when wsmig started the server and a restart keeps its replay history, else kick, else client-close when the kick is refused.',
    ),
    describedKnob(knobSpecs.reconnectDeadline, 'A client not reconnected and resubscribed within this after a cut counts as a failed reconnect.'),
    describedKnob(knobSpecs.reconnectDelay, 'Base reconnect delay (capped exponential backoff with full jitter, as the reference client).'),
    describedKnob(knobSpecs.maxReconnectDelay, 'Cap of the reconnect delay before jitter.'),
  ],
  metrics: [
    'ws_reconnect_duration',
    'ws_reconnect_success',
    'ws_msgs_lost',
    'ws_msgs_duplicated',
    'ws_event_latency',
    'ws_event_interarrival',
    'ws_connecting',
    'ws_connect_success',
    'ws_unexpected_disconnects',
    'server_cpu_percent',
    'server_rss_bytes',
    'server_event_loop_lag_seconds',
    'server_connections',
  ],
  workload: (options) =>
    wsWorkload(options, {
      reconnect: { baseDelayMs: numberOption(options, 'reconnectDelayMs'), maxDelayMs: numberOption(options, 'maxReconnectDelayMs') },
      cuts: {
        count: numberOption(options, 'cuts'),
        mode: stringOption(options, 'cutMode') as CutMode | 'auto',
        reconnectDeadlineMs: numberOption(options, 'reconnectDeadlineMs'),
      },
    }),
};
