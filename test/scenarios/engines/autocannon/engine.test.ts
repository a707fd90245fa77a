import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../lib/logger.js';
import { createServer, type ReferenceServer } from '../../../../reference/server/index.js';
import { resolveScenarioOptions, scenarioByName } from '../../../../scenarios/catalog/index.js';
import { createAutocannonEngine, sampleCountWarning } from '../../../../scenarios/engines/autocannon/engine.js';
import type { HttpWorkload } from '../../../../scenarios/engines/types.js';
import { buildResult } from '../../../../scenarios/result/recorder.js';
import type { CounterValues, RateValues, Result, TrendValues } from '../../../../scenarios/result/types.js';
import { connectExternalTarget } from '../../../../scenarios/target.js';

const servers: ReferenceServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function runScenario(name: string, overrides: Record<string, string>, server: ReferenceServer): Promise<{ result: Result; warnings: string[] }> {
  const scenario = scenarioByName(name);
  const options = resolveScenarioOptions(scenario, Object.entries(overrides).map(([knob, value]) => ({ knob, value, source: 'test' })));
  const startMs = Date.now();
  const outcome = await createAutocannonEngine().run(name, scenario.workload(options) as HttpWorkload, {
    runId: 'test',
    startMs,
    intervalMs: 1_000,
    target: await connectExternalTarget(server.wsUrl),
    signal: new AbortController().signal,
    logger: silentLogger(),
    onProgress: () => undefined,
  });
  const result = buildResult(outcome.snapshot, {
    runId: 'test',
    tool: { name: 'wsmig', version: null },
    engine: 'autocannon',
    scenarios: [],
    target: { url: server.url, embedded: false },
    startedAt: new Date(startMs).toISOString(),
    endedAt: new Date().toISOString(),
    durationMs: Date.now() - startMs,
    generator: outcome.generator,
    environment: { node: null, platform: null, cpus: null, wsmig: null },
    source: null,
    warnings: outcome.warnings,
  });
  return { result, warnings: outcome.warnings };
}

function values<T>(result: Result, name: string, tags: Record<string, string> = {}): T {
  const metric = result.metrics.find((m) => m.name === name && JSON.stringify(m.tags) === JSON.stringify(tags));
  if (!metric) throw new Error(`no ${name}${JSON.stringify(tags)} in the result`);
  return metric.values as T;
}

describe('the autocannon engine against the reference server', () => {
  it('sse-baseline: each POST /commands/sync stream is one whole sync, timed end to end', async () => {
    // 10 batches of 20 ms: a sync takes about 200 ms.
    const server = await createServer({ port: 0, sync: { batchDelayMs: 20 } });
    servers.push(server);
    const { result, warnings } = await runScenario('sse-baseline', { duration: '2s', connections: '4' }, server);
    const syncs = values<TrendValues>(result, 'sse_sync_duration');
    expect(syncs.count).toBeGreaterThan(8);
    expect(syncs.min).toBeGreaterThanOrEqual(180);
    expect(values<RateValues>(result, 'http_req_failed')).toMatchObject({ passes: 0 });
    expect(values<CounterValues>(result, 'http_reqs').count).toBe(syncs.count);
    expect(values<TrendValues>(result, 'sse_sync_duration', { scenario: 'sse-baseline' }).count).toBe(syncs.count);
    expect(warnings).toEqual([]);
  });

  it('http-under-load: /health and /api/config at a fixed rate, with no invented latency samples', async () => {
    const server = await createServer({ port: 0 });
    servers.push(server);
    const { result, warnings } = await runScenario('http-under-load', { duration: '2s', connections: '4', rate: '50' }, server);
    const durations = values<TrendValues>(result, 'http_req_duration');
    // About 50/s for 2 s; with coordinated-omission "correction" on, autocannon would have recorded far more samples than responses.
    expect(durations.count).toBeGreaterThan(50);
    expect(durations.count).toBeLessThan(130);
    expect(values<RateValues>(result, 'http_req_failed').passes).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('flags a result whose latency samples do not match its responses', () => {
    expect(sampleCountWarning('sse-baseline', 200, 200)).toBeUndefined();
    expect(sampleCountWarning('sse-baseline', 10_233, 200)).toMatch(/10233 latency samples for 200 successful responses/);
  });
});
