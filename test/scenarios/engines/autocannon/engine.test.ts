import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type ReferenceServer } from '../../../../reference/server/index.js';
import { resolveScenarioOptions, scenarioByName } from '../../../../scenarios/catalog/index.js';
import { ServiceCredentials } from '../../../../scenarios/credentials.js';
import { createAutocannonEngine, sampleCountWarning } from '../../../../scenarios/engines/autocannon/engine.js';
import type { HttpWorkload } from '../../../../scenarios/engines/types.js';
import { connectExternalTarget } from '../../../../scenarios/target.js';
import { silentLogger } from '../../../../lib/logger.js';
import type { CounterValues, RateValues, Result, TrendValues } from '../../../../scenarios/result/types.js';
import { knobOverrides } from '../../helpers/knob-overrides.js';
import { metricValues as values, runEngine } from '../helpers/run-engine.js';

const servers: ReferenceServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function runScenario(name: string, overrides: Record<string, string>, server: ReferenceServer, credentials?: ServiceCredentials): Promise<{ result: Result; warnings: string[] }> {
  const scenario = scenarioByName(name);
  const options = resolveScenarioOptions(scenario, knobOverrides(overrides));
  const { outcome, result } = await runEngine(createAutocannonEngine(), name, scenario.workload(options) as HttpWorkload, server, credentials);
  return { result, warnings: outcome.warnings };
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
    const startedMs = performance.now();
    const { result, warnings } = await runScenario('http-under-load', { duration: '2s', connections: '4', rate: '50' }, server);
    const ranSeconds = (performance.now() - startedMs) / 1000;
    const durations = values<TrendValues>(result, 'http_req_duration');
    // About 50/s for 2 s; with coordinated-omission "correction" on, autocannon would have recorded far more samples than responses.
    expect(durations.count).toBeGreaterThan(50);
    expect(durations.count).toBe(values<CounterValues>(result, 'http_reqs').count);
    // Bounded by the rate over the time the run really took (on a loaded machine, a little longer than asked).
    expect(durations.count).toBeLessThanOrEqual(Math.ceil(50 * ranSeconds * 1.2) + 4);
    expect(values<RateValues>(result, 'http_req_failed').passes).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('sse-baseline against a server that wants a token: every request carries it; without it, the refusals name the variable', async () => {
    const server = await createServer({ port: 0, token: 'ac-token-31f', sync: { batchDelayMs: 20 } });
    servers.push(server);
    const credentials = new ServiceCredentials({ token: 'ac-token-31f', tokenHint: 'WSMIG_TOKEN', adminTokenHint: 'WSMIG_ADMIN_TOKEN' });
    const { result, warnings } = await runScenario('sse-baseline', { duration: '2s', connections: '2' }, server, credentials);
    expect(values<TrendValues>(result, 'sse_sync_duration').count).toBeGreaterThan(4);
    expect(values<RateValues>(result, 'http_req_failed')).toMatchObject({ passes: 0 });
    expect(warnings).toEqual([]);

    // The WebSocket check before the run already refuses a target without the token; autocannon's own refusals are named too.
    const engineOnly = await createAutocannonEngine().run('sse-baseline', scenarioByName('sse-baseline').workload(resolveScenarioOptions(scenarioByName('sse-baseline'), knobOverrides({ duration: '1s', connections: '2' }))) as HttpWorkload, {
      runId: 'refused',
      startMs: Date.now(),
      intervalMs: 1_000,
      target: { ...(await connectExternalTarget(server.wsUrl, { credentials })), credentials: ServiceCredentials.none() },
      signal: new AbortController().signal,
      logger: silentLogger(),
      onProgress: () => undefined,
    });
    expect(engineOnly.warnings.join('\n')).toMatch(/sse-baseline: \d+ responses were 401\/403 \(.*the service answered 401: set WSMIG_TOKEN to its token\)/);
  });

  it('flags a result whose latency samples do not match its responses', () => {
    expect(sampleCountWarning('sse-baseline', 200, 200)).toBeUndefined();
    expect(sampleCountWarning('sse-baseline', 10_233, 200)).toMatch(/10233 latency samples for 200 successful responses/);
  });
});
