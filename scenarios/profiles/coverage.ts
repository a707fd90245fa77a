/**
 * What a load run on a protocol profile can measure, known from the profile alone: requests need a
 * `request`, events an `events` rule, loss and duplicates a `seqPath`, delivery latency a
 * `timestampPath` (without one, the time between events is recorded instead). What it cannot
 * measure gets no samples — so its thresholds are inconclusive, never a zero that passes — and a
 * warning starting with NOT MEASURED. The wording is shared by the native engine (which adds what it
 * saw during the run) and the k6 scripts and export (which know only the profile).
 * No Node or k6 imports.
 */
import type { ProtocolProfile } from './schema.js';

/** Which metric families a run of `profile` records. */
export interface ProfileMeasures {
  /** `ws_rpc_duration` and `checks`: the profile has a request and the scenario sends some. */
  requests: boolean;
  /** The profile recognises events. */
  events: boolean;
  /** `ws_msgs_lost`, `ws_msgs_duplicated`: events carry a sequence number. */
  seq: boolean;
  /** `ws_event_latency`: events carry their send time; otherwise `ws_event_interarrival`. */
  timestamp: boolean;
}

export function profileMeasuresOf(profile: ProtocolProfile, workload: { ratePerSecond: number }): ProfileMeasures {
  const events = profile.events !== undefined;
  return {
    requests: workload.ratePerSecond > 0 && profile.request !== undefined,
    events,
    seq: events && profile.events?.seqPath !== undefined,
    timestamp: events && profile.events?.timestampPath !== undefined,
  };
}

/** The NOT MEASURED warnings, each given why. */
export const notMeasured = {
  requests: (profileName: string): string => `NOT MEASURED: ws_rpc_duration — the profile ${profileName} has no request, so no request was timed; its thresholds are inconclusive.`,
  events: (why: string): string => `NOT MEASURED: ws_event_latency, ws_msgs_lost, ws_msgs_duplicated — no event arrived (${why}); their thresholds are inconclusive.`,
  seq: (why: string): string => `NOT MEASURED: ws_msgs_lost, ws_msgs_duplicated — ${why}, so lost and duplicated events are unknown; their thresholds are inconclusive.`,
  timestamp: (why: string): string =>
    `NOT MEASURED: ws_event_latency — ${why}; ws_event_interarrival (the time between events on a connection) is reported instead, and it is not a delivery latency. Thresholds on ws_event_latency are inconclusive.`,
};

/**
 * What a run of `profile` will not measure, known before it starts (the k6 scripts say it at init,
 * the export in its README, a k6 run in the Result's warnings).
 * @param workload the scenario's request rate, and whether it subscribes (measures events).
 */
export function profileGapsOf(profile: ProtocolProfile, workload: { ratePerSecond: number; syncs: number }): string[] {
  const measures = profileMeasuresOf(profile, workload);
  const gaps: string[] = [];
  if (workload.ratePerSecond > 0 && !measures.requests) gaps.push(notMeasured.requests(profile.name));
  if (workload.syncs > 0 && !measures.events) gaps.push(notMeasured.events(`the profile ${profile.name} has no events rule`));
  if (measures.events && !measures.seq) gaps.push(notMeasured.seq(`the profile ${profile.name} has no events.seqPath`));
  if (measures.events && !measures.timestamp) gaps.push(notMeasured.timestamp(`the profile ${profile.name} has no events.timestampPath`));
  return gaps;
}
