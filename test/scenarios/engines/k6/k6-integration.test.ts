/**
 * Real k6 runs: `latency` for 3 s against the reference server, and `fan-out` on the graphql-ws
 * profile against a graphql-ws server, each imported into a Result. They need a k6 binary on PATH
 * and are skipped, with the reason printed, when there is none — wsmig never pretends a k6 run
 * happened (the emulated runs are test/scenarios/k6/emulated-*.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type ReferenceServer } from '../../../../reference/server/index.js';
import { findK6Binary } from '../../../../scenarios/engines/k6/k6-binary.js';
import { runK6Scenario } from '../../../../scenarios/engines/k6/run.js';
import { loadProfile } from '../../../../scenarios/profiles/load-profile.js';
import { compileK6Scripts } from '../../k6/compiled-scripts.js';
import { startGraphqlWsServer, type ThirdPartyServer } from '../../profiles/third-party-servers.js';

const k6 = await findK6Binary().catch(() => null);
if (k6 === null) console.info('k6-integration: skipped, no k6 binary on PATH (install it from https://grafana.com/docs/k6/latest/set-up/install-k6/ to run it)');

describe.skipIf(k6 === null)('k6 engine with a real k6', () => {
  let server: ReferenceServer;
  let graphql: ThirdPartyServer;
  let scripts: Awaited<ReturnType<typeof compileK6Scripts>>;

  beforeAll(async () => {
    scripts = await compileK6Scripts();
    server = await createServer({ port: 0, host: '127.0.0.1', sync: { totalMessages: 40, batchSize: 5, batchDelayMs: 25 } });
    graphql = await startGraphqlWsServer();
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    await graphql?.close();
    await scripts?.remove();
  });

  it('runs latency for 3 s and imports its summary into a Result', async () => {
    const result = await runK6Scenario('latency', {
      target: { wsUrl: server.wsUrl, httpUrl: server.url, embedded: true },
      options: { connections: 10, rate: 50, durationMs: 3_000, rampUpMs: 500, payloadBytes: 100, syncs: 2, requestTimeoutMs: 10_000 },
      scriptsDir: scripts.dir,
    });
    expect(result).toMatchObject({ engine: 'k6', tool: { name: 'k6' } });
    const metric = (name: string) => result.metrics.find((candidate) => candidate.name === name && candidate.tags['scenario'] === 'latency');
    expect(metric('ws_rpc_duration')?.samples).toBeGreaterThan(100);
    expect(metric('ws_event_latency')?.samples).toBeGreaterThan(0);
    expect(metric('ws_msgs_lost')?.values).toMatchObject({ count: 0 });
    expect(metric('ws_connect_success')?.values).toMatchObject({ rate: 1 });
    expect(metric('ws_sessions')?.values).toMatchObject({ count: 10 });
  }, 120_000);

  it('runs fan-out on the graphql-ws profile for 3 s: every tick timed and checked by seq', async () => {
    const profile = await loadProfile('graphql-ws', {
      vars: { subscription: 'subscription { ticks { seq ts } }', seqPath: 'payload.data.ticks.seq', timestampPath: 'payload.data.ticks.ts' },
    });
    const result = await runK6Scenario('fan-out', {
      target: { wsUrl: graphql.url },
      options: { connections: 4, durationMs: 3_000, rampUpMs: 300, syncs: 1 },
      profile,
      scriptsDir: scripts.dir,
    });
    const metric = (name: string) => result.metrics.find((candidate) => candidate.name === name && candidate.tags['scenario'] === 'fan-out');
    expect(metric('ws_connect_success')?.values).toMatchObject({ rate: 1 });
    expect(metric('ws_event_latency')?.samples).toBeGreaterThan(200);
    expect(metric('ws_msgs_lost')?.values).toMatchObject({ count: 0 });
  }, 120_000);
});
