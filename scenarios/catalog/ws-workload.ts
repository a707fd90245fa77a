import type { WsWorkload } from '../engines/types.js';
import { DEFAULT_RECONNECT } from '../k6/lib/scenario-knobs.js';
import type { ScenarioOptions } from './knobs.js';
import { numberOption } from './types.js';

/**
 * The WebSocket workload the WS scenarios share, read from their resolved options: a field comes
 * from the knob of the same meaning when the scenario has one, otherwise from `fixed` (what the
 * scenario does without such a knob), otherwise no requests, no payload, a 10 s request timeout,
 * the reference client's reconnect policy and no cuts.
 */
export function wsWorkload(options: ScenarioOptions, fixed: Partial<Omit<WsWorkload, 'kind'>> = {}): WsWorkload {
  const knobOr = (key: string, fallback: number): number => (options[key] === undefined ? fallback : numberOption(options, key));
  return {
    kind: 'ws',
    connections: numberOption(options, 'connections'),
    ratePerSecond: knobOr('rate', 0),
    payloadBytes: knobOr('payloadBytes', 0),
    durationMs: numberOption(options, 'durationMs'),
    rampUpMs: numberOption(options, 'rampUpMs'),
    syncs: numberOption(options, 'syncs'),
    requestTimeoutMs: knobOr('requestTimeoutMs', 10_000),
    reconnect: DEFAULT_RECONNECT,
    cuts: null,
    ...fixed,
  };
}
