import type { HttpWorkload } from '../engines/types.js';
import type { ScenarioOptions } from './knobs.js';
import { numberOption } from './types.js';

/**
 * The HTTP workload of an autocannon scenario: connections, rate and duration from its resolved
 * options (the knobs every HTTP scenario has), the rest from what the scenario asks.
 */
export function httpWorkload(options: ScenarioOptions, fixed: Pick<HttpWorkload, 'requests' | 'durationMetric' | 'timeoutMs'>): HttpWorkload {
  return {
    kind: 'http',
    connections: numberOption(options, 'connections'),
    ratePerSecond: numberOption(options, 'rate'),
    durationMs: numberOption(options, 'durationMs'),
    ...fixed,
  };
}
