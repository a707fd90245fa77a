import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type ReferenceServer } from '../../../../reference/server/index.js';
import { ServiceCredentials } from '../../../../scenarios/credentials.js';
import { createNativeEngine } from '../../../../scenarios/engines/native/engine.js';
import type { WsWorkload } from '../../../../scenarios/engines/types.js';
import type { CounterValues, RateValues, TrendValues } from '../../../../scenarios/result/types.js';
import { metricValues as values, runEngine } from '../helpers/run-engine.js';

// These runs use the compiled worker (dist/), built by `npm test` before vitest runs.

const TOKEN = 'native-token-73c0';
const servers: ReferenceServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

const workload: WsWorkload = {
  kind: 'ws',
  connections: 4,
  ratePerSecond: 40,
  payloadBytes: 50,
  durationMs: 1_500,
  rampUpMs: 200,
  syncs: 2,
  requestTimeoutMs: 5_000,
  reconnect: { baseDelayMs: 100, maxDelayMs: 1_000 },
  cuts: null,
};

const credentials = new ServiceCredentials({ token: TOKEN, tokenHint: 'WSMIG_TOKEN', adminTokenHint: 'WSMIG_ADMIN_TOKEN' });

describe('the native engine against a server that wants a token', () => {
  it('opens every connection with the token and measures requests and sync events', async () => {
    const server = await createServer({ port: 0, token: TOKEN, sync: { batchDelayMs: 20 } });
    servers.push(server);
    const { outcome, result } = await runEngine(createNativeEngine({ workers: 1 }), 'latency', workload, server, credentials);
    expect(values<RateValues>(result, 'ws_connect_success')).toMatchObject({ fails: 0 });
    expect(values<TrendValues>(result, 'ws_rpc_duration').count).toBeGreaterThan(20);
    expect(values<CounterValues>(result, 'ws_msgs_received').count).toBeGreaterThan(20);
    expect(outcome.warnings.join('\n')).not.toMatch(/401|403/);
  });

  it('names the variable to set when upgrades are refused during the run (a token rotated under it)', async () => {
    const server = await createServer({ port: 0, token: TOKEN });
    servers.push(server);
    // The target was reached with the token; the engine then runs without it.
    const { outcome, result } = await runEngine(createNativeEngine({ workers: 1 }), 'latency', { ...workload, ratePerSecond: 0, syncs: 0, durationMs: 800 }, server, credentials, ServiceCredentials.none());
    expect(outcome.warnings.join('\n')).toMatch(/\d+ WebSocket upgrade\(s\) were refused with 401\/403 \(.*the service answered 401: set WSMIG_TOKEN to its token\)/);
    expect(values<RateValues>(result, 'ws_connect_success').passes).toBe(0);
  });
});
