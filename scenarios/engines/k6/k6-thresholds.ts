/**
 * wsmig thresholds as k6 evaluates them. k6 has no windows and cannot be inconclusive, and it
 * cannot see what wsmig measures itself (the server_* figures): windowed thresholds and metrics
 * outside the script are left out, `minSamples` is dropped, and each omission becomes a note.
 * wsmig re-evaluates the imported Result with the full grammar, so the verdict is always whole.
 */
import { formatDurationMs } from '../../../lib/duration.js';
import { K6_HTTP_TIMINGS } from '../../k6/lib/builtin-metrics.js';
import type { K6Threshold, K6Thresholds } from '../../k6/lib/thresholds.js';
import type { ThresholdSet } from '../../thresholds/index.js';

/**
 * Metrics a k6 script can record: the k6 built-ins its WebSocket and HTTP calls produce and the
 * custom metrics of scenarios/k6/runtime/metrics.ts (a test keeps this list equal to what the
 * scripts record). Each script further leaves out what its own run does not record.
 */
export const K6_SCRIPT_METRICS: readonly string[] = [
  'vus',
  'vus_max',
  'iterations',
  'iteration_duration',
  'dropped_iterations',
  'data_received',
  'data_sent',
  'checks',
  'http_reqs',
  'http_req_failed',
  ...K6_HTTP_TIMINGS,
  'ws_connecting',
  'ws_sessions',
  'ws_msgs_sent',
  'ws_msgs_received',
  'ws_session_duration',
  'ws_rpc_duration',
  'ws_event_latency',
  'ws_event_interarrival',
  'ws_sync_duration',
  'ws_reconnect_duration',
  'ws_connect_success',
  'ws_reconnect_success',
  'ws_msgs_lost',
  'ws_msgs_duplicated',
  'ws_unexpected_disconnects',
  'wsmig_late_sends',
  'wsmig_send_lag',
];

/** Converts parsed wsmig thresholds into the JSON document the k6 scripts read (WSMIG_THRESHOLDS), with notes on what only wsmig evaluates. */
export function k6ThresholdsFor(set: ThresholdSet): K6Thresholds {
  const thresholds: Record<string, K6Threshold[]> = {};
  const notes: string[] = [];
  for (const definition of set.definitions) {
    const label = `${definition.selector} "${definition.expression}"`;
    if (!K6_SCRIPT_METRICS.includes(definition.metric)) {
      notes.push(`${label}: k6 does not record ${definition.metric}; wsmig evaluates it after the run.`);
      continue;
    }
    if (definition.windowMs !== null) {
      notes.push(`${label}: evaluated over ${formatDurationMs(definition.windowMs)} windows, which k6 cannot do; wsmig evaluates it after the run.`);
      continue;
    }
    if (definition.minSamples !== null) notes.push(`${label}: k6 ignores minSamples (it cannot be inconclusive); wsmig applies it after the run.`);
    const entry: K6Threshold =
      definition.abortOnFail || definition.delayAbortEvalMs !== null
        ? {
            threshold: definition.expression,
            ...(definition.abortOnFail ? { abortOnFail: true } : {}),
            ...(definition.delayAbortEvalMs !== null ? { delayAbortEval: `${definition.delayAbortEvalMs}ms` } : {}),
          }
        : definition.expression;
    (thresholds[definition.selector] ??= []).push(entry);
  }
  return { thresholds, notes };
}
