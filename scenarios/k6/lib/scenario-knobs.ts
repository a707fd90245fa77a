/**
 * The knobs of each k6 script: the names, defaults and ranges of wsmig's scenario catalog
 * (scenarios/catalog), which a test checks, plus `socketsPerVu`, which only k6 has.
 * No k6 imports: unit-tested in Node.
 */
import { numberKnob, textKnob, type KnobSpec, type KnobValues } from './knobs.js';
import type { CutPlan, WsWorkloadPlan } from './workload-plan.js';

const connections = (defaultValue: number): KnobSpec => ({ name: 'connections', kind: 'integer', default: defaultValue, min: 1, max: 200_000 });
const rate = (defaultValue: number): KnobSpec => ({ name: 'rate', kind: 'number', default: defaultValue, min: 0, max: 1_000_000 });
const duration = (defaultMs: number): KnobSpec => ({ name: 'duration', kind: 'duration', default: defaultMs, min: 1 });
const rampUp = (defaultMs: number): KnobSpec => ({ name: 'rampUp', kind: 'duration', default: defaultMs, min: 0 });
const payloadBytes = (defaultValue: number): KnobSpec => ({ name: 'payloadBytes', kind: 'integer', default: defaultValue, min: 0, max: 512 * 1024 });
const syncs = (defaultValue: number): KnobSpec => ({ name: 'syncs', kind: 'integer', default: defaultValue, min: 0, max: 100_000 });
const requestTimeout: KnobSpec = { name: 'requestTimeout', kind: 'duration', default: 10_000, min: 1 };

/**
 * k6 only: WebSocket connections each VU holds (k6/websockets runs several sockets on one VU's
 * event loop; fewer VUs means less memory per connection).
 */
export const SOCKETS_PER_VU: KnobSpec = { name: 'socketsPerVu', kind: 'integer', default: 25, min: 1, max: 1_000 };

/** Cut modes k6 can carry out itself; `restart` needs wsmig (it owns the server process). */
export const K6_CUT_MODES = ['auto', 'restart', 'kick', 'client-close'] as const;

/** Knobs by k6 script. */
export const SCRIPT_KNOBS = {
  latency: [connections(100), rate(200), duration(30_000), rampUp(2_000), payloadBytes(100), syncs(5), requestTimeout, SOCKETS_PER_VU],
  'reconnect-storm': [
    connections(500),
    duration(30_000),
    rampUp(2_000),
    syncs(10),
    { name: 'cuts', kind: 'integer', default: 3, min: 1, max: 1_000 },
    { name: 'cutMode', kind: 'enum', default: 'auto', values: K6_CUT_MODES },
    { name: 'reconnectDeadline', kind: 'duration', default: 10_000, min: 1 },
    { name: 'reconnectDelay', kind: 'duration', default: 500, min: 1 },
    { name: 'maxReconnectDelay', kind: 'duration', default: 10_000, min: 1 },
    SOCKETS_PER_VU,
  ],
  'sync-progress': [syncs(50), connections(50), duration(30_000), rampUp(2_000), SOCKETS_PER_VU],
  soak: [connections(200), rate(20), duration(600_000), rampUp(10_000), payloadBytes(100), syncs(2), requestTimeout, SOCKETS_PER_VU],
} satisfies Record<string, readonly KnobSpec[]>;

export type ScriptName = keyof typeof SCRIPT_KNOBS;

/** The reference client's reconnect defaults, as the native engine uses them (base 500 ms, cap 10 s). */
export const DEFAULT_RECONNECT = { baseDelayMs: 500, maxDelayMs: 10_000 };

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
        cuts: { count: numberKnob(values, 'cuts'), mode: mode as CutPlan['mode'], reconnectDeadlineMs: numberKnob(values, 'reconnectDeadline') },
      };
    }
  }
}
