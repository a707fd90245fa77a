/** Runs an engine on its own, as the orchestrator (scenarios/load-run.ts) would, and reads its Result. */
import { silentLogger } from '../../../../lib/logger.js';
import type { ReferenceServer } from '../../../../reference/server/index.js';
import type { Engine, EngineOutcome, Workload } from '../../../../scenarios/engines/types.js';
import { buildResult } from '../../../../scenarios/result/recorder.js';
import type { Result } from '../../../../scenarios/result/types.js';
import type { ServiceCredentials } from '../../../../scenarios/credentials.js';
import { connectExternalTarget } from '../../../../scenarios/target.js';

/**
 * Runs `workload` as `scenario` against `server` (1 s intervals, never aborted), with the service's
 * `credentials` if given, and builds its Result. `runCredentials`, when given, replaces them for the
 * run itself once the target was reached (a token rotated under a running test).
 */
export async function runEngine<W extends Workload>(engine: Engine<W>, scenario: string, workload: W, server: ReferenceServer, credentials?: ServiceCredentials, runCredentials?: ServiceCredentials): Promise<{ outcome: EngineOutcome; result: Result }> {
  const reached = await connectExternalTarget(server.wsUrl, credentials === undefined ? {} : { credentials });
  const target = runCredentials === undefined ? reached : { ...reached, credentials: runCredentials };
  const startMs = Date.now();
  const outcome = await engine.run(scenario, workload, {
    runId: `test-${startMs.toString(36)}`,
    startMs,
    intervalMs: 1_000,
    target,
    signal: new AbortController().signal,
    logger: silentLogger(),
    onProgress: () => undefined,
  });
  const result = buildResult(outcome.snapshot, {
    runId: 'test',
    tool: { name: 'wsmig', version: null },
    engine: engine.name,
    scenarios: [],
    target: { url: server.wsUrl, embedded: false },
    startedAt: new Date(startMs).toISOString(),
    endedAt: new Date().toISOString(),
    durationMs: Date.now() - startMs,
    generator: outcome.generator,
    environment: { node: null, platform: null, cpus: null, wsmig: null },
    source: null,
    warnings: outcome.warnings,
  });
  return { outcome, result };
}

/** The values of a metric: its aggregate, or the sub-metric with exactly `tags`. */
export function metricValues<T>(result: Result, name: string, tags: Record<string, string> = {}): T {
  const metric = result.metrics.find((m) => m.name === name && JSON.stringify(m.tags) === JSON.stringify(tags));
  if (!metric) throw new Error(`no ${name}${JSON.stringify(tags)} in the result (has ${result.metrics.map((m) => m.name).join(', ')})`);
  return metric.values as T;
}
