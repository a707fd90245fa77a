import type { ResultMeta } from '../../../scenarios/result/recorder.js';

/** Run metadata for Results built in threshold tests. */
export function resultMeta(durationMs: number): ResultMeta {
  return {
    runId: 'thresholds-test',
    tool: { name: 'wsmig', version: '0.1.0' },
    engine: 'native',
    scenarios: [],
    target: { url: null, embedded: true },
    startedAt: new Date(0).toISOString(),
    endedAt: new Date(durationMs).toISOString(),
    durationMs,
    generator: null,
    environment: { node: null, platform: null, cpus: null, wsmig: null },
    source: null,
    warnings: [],
  };
}
