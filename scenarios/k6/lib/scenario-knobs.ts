/**
 * The knobs of each k6 script: the specs the scenario catalog (scenarios/catalog) builds its knobs
 * from, with the same defaults per scenario (a test checks), plus `socketsPerVu`, which only k6 has.
 * No k6 imports: compiled for k6 and for Node alike.
 */
import { numberKnob, textKnob, type KnobSpec, type KnobValues } from './knobs.js';
import type { BackoffPolicy } from './reconnect.js';
import type { K6CutMode, WsWorkloadPlan } from './workload-plan.js';

/** The reference client's reconnect defaults for load connections, both engines (base 500 ms; the cap is lower than the client's 30 s to keep runs short). */
export const DEFAULT_RECONNECT: BackoffPolicy = { baseDelayMs: 500, maxDelayMs: 10_000 };

/** The values of the `cutMode` knob. A k6 script refuses `restart`: only wsmig can restart the server it started. */
const CUT_MODES = ['auto', 'restart', 'kick', 'client-close'] as const;

/**
 * Every knob's name, kind and range, the default-taking ones as builders: the scenario catalog adds
 * its descriptions to these, so names, ranges and defaults cannot drift between the engines.
 */
export const knobSpecs = {
  connections: (defaultValue: number): KnobSpec => ({ name: 'connections', kind: 'integer', default: defaultValue, min: 1, max: 200_000 }),
  rate: (defaultValue: number): KnobSpec => ({ name: 'rate', kind: 'number', default: defaultValue, min: 0, max: 1_000_000 }),
  duration: (defaultMs: number): KnobSpec => ({ name: 'duration', kind: 'duration', default: defaultMs, min: 1 }),
  rampUp: (defaultMs: number): KnobSpec => ({ name: 'rampUp', kind: 'duration', default: defaultMs, min: 0 }),
  payloadBytes: (defaultValue: number): KnobSpec => ({ name: 'payloadBytes', kind: 'integer', default: defaultValue, min: 0, max: 512 * 1024 }),
  syncs: (defaultValue: number): KnobSpec => ({ name: 'syncs', kind: 'integer', default: defaultValue, min: 0, max: 100_000 }),
  requestTimeout: { name: 'requestTimeout', kind: 'duration', default: 10_000, min: 1 } as KnobSpec,
  cuts: { name: 'cuts', kind: 'integer', default: 3, min: 1, max: 1_000 } as KnobSpec,
  cutMode: { name: 'cutMode', kind: 'enum', default: 'auto', values: CUT_MODES } as KnobSpec,
  reconnectDeadline: { name: 'reconnectDeadline', kind: 'duration', default: 10_000, min: 1 } as KnobSpec,
  reconnectDelay: { name: 'reconnectDelay', kind: 'duration', default: DEFAULT_RECONNECT.baseDelayMs, min: 1 } as KnobSpec,
  maxReconnectDelay: { name: 'maxReconnectDelay', kind: 'duration', default: DEFAULT_RECONNECT.maxDelayMs, min: 1 } as KnobSpec,
};
const { connections, rate, duration, rampUp, payloadBytes, syncs, requestTimeout } = knobSpecs;

/**
 * k6 only: WebSocket connections each VU holds (k6/websockets runs several sockets on one VU's
 * event loop; fewer VUs means less memory per connection).
 */
export const SOCKETS_PER_VU: KnobSpec = { name: 'socketsPerVu', kind: 'integer', default: 25, min: 1, max: 1_000 };

/** Knobs by k6 script. */
export const SCRIPT_KNOBS = {
  latency: [connections(100), rate(200), duration(30_000), rampUp(2_000), payloadBytes(100), syncs(5), requestTimeout, SOCKETS_PER_VU],
  'reconnect-storm': [
    connections(500),
    duration(30_000),
    rampUp(2_000),
    syncs(10),
    knobSpecs.cuts,
    knobSpecs.cutMode,
    knobSpecs.reconnectDeadline,
    knobSpecs.reconnectDelay,
    knobSpecs.maxReconnectDelay,
    SOCKETS_PER_VU,
  ],
  'sync-progress': [syncs(50), connections(50), duration(30_000), rampUp(2_000), SOCKETS_PER_VU],
  soak: [connections(200), rate(20), duration(600_000), rampUp(10_000), payloadBytes(100), syncs(2), requestTimeout, SOCKETS_PER_VU],
  'fan-out': [connections(500), duration(30_000), rampUp(5_000), syncs(1), SOCKETS_PER_VU],
} satisfies Record<string, readonly KnobSpec[]>;

export type ScriptName = keyof typeof SCRIPT_KNOBS;

/** The WebSocket workload a script runs for its resolved knobs (the native engine's workload for the same scenario). */
export function workloadPlanOf(script: ScriptName, values: KnobValues): WsWorkloadPlan {
  const socketsPerVu = numberKnob(values, 'socketsPerVu');
  const connections = numberKnob(values, 'connections');
  const durationMs = numberKnob(values, 'duration');
  const rampUpMs = numberKnob(values, 'rampUp');
  const syncs = numberKnob(values, 'syncs');
  switch (script) {
    case 'latency':
    case 'soak':
      return {
        connections,
        socketsPerVu,
        ratePerSecond: numberKnob(values, 'rate'),
        payloadBytes: numberKnob(values, 'payloadBytes'),
        durationMs,
        rampUpMs,
        syncs,
        requestTimeoutMs: numberKnob(values, 'requestTimeout'),
        reconnect: DEFAULT_RECONNECT,
        cuts: null,
      };
    case 'sync-progress':
    case 'fan-out':
      return { connections, socketsPerVu, ratePerSecond: 0, payloadBytes: 0, durationMs, rampUpMs, syncs, requestTimeoutMs: 10_000, reconnect: DEFAULT_RECONNECT, cuts: null };
    case 'reconnect-storm': {
      const mode = textKnob(values, 'cutMode');
      if (mode === 'restart') {
        throw new Error('WSMIG_CUT_MODE=restart needs wsmig to restart the server it started, which k6 cannot do: use kick, client-close or auto.');
      }
      return {
        connections,
        socketsPerVu,
        ratePerSecond: 0,
        payloadBytes: 0,
        durationMs,
        rampUpMs,
        syncs,
        requestTimeoutMs: 10_000,
        reconnect: { baseDelayMs: numberKnob(values, 'reconnectDelay'), maxDelayMs: numberKnob(values, 'maxReconnectDelay') },
        cuts: { count: numberKnob(values, 'cuts'), mode: mode as K6CutMode | 'auto', reconnectDeadlineMs: numberKnob(values, 'reconnectDeadline') },
      };
    }
  }
}
