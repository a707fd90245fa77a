import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer, type ReferenceServer, type ServerOptions } from '../../../../reference/server/index.js';
import { createNativeEngine, splitEvenly } from '../../../../scenarios/engines/native/engine.js';
import type { EngineOutcome, WsWorkload } from '../../../../scenarios/engines/types.js';
import type { CounterValues, RateValues, Result, TrendValues } from '../../../../scenarios/result/types.js';
import { metricValues as values, runEngine } from '../helpers/run-engine.js';

// These runs use the compiled worker (dist/), built by `npm test` before vitest runs.

const servers: ReferenceServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(options: ServerOptions = {}): Promise<ReferenceServer> {
  const server = await createServer({ port: 0, ...options });
  servers.push(server);
  return server;
}

const workload = (over: Partial<WsWorkload>): WsWorkload => ({
  kind: 'ws',
  connections: 20,
  ratePerSecond: 0,
  payloadBytes: 100,
  durationMs: 2_000,
  rampUpMs: 200,
  syncs: 0,
  requestTimeoutMs: 5_000,
  reconnect: { baseDelayMs: 100, maxDelayMs: 1_000 },
  cuts: null,
  ...over,
});

function run(server: ReferenceServer, scenario: string, load: WsWorkload): Promise<{ outcome: EngineOutcome; result: Result }> {
  return runEngine(createNativeEngine({ workers: 2 }), scenario, load, server);
}

describe('splitting a workload', () => {
  it('splits connections evenly over workers', () => {
    expect(splitEvenly(10, 3)).toEqual([4, 3, 3]);
    expect(splitEvenly(2, 2)).toEqual([1, 1]);
  });
});

describe('the native engine against the reference server', () => {
  it('runs an open-model echo load with syncs on two workers and records what the latency scenario promises', async () => {
    const server = await serve();
    const { outcome, result } = await run(server, 'latency', workload({ ratePerSecond: 100, syncs: 3 }));
    const iterations = values<CounterValues>(result, 'iterations').count;
    // About 100/s over 2 s (the ramp-up is short): every one answered and timed.
    expect(iterations).toBeGreaterThan(150);
    expect(values<TrendValues>(result, 'ws_rpc_duration').count).toBe(iterations);
    expect(values<RateValues>(result, 'checks')).toMatchObject({ rate: 1, fails: 0 });
    expect(values<RateValues>(result, 'ws_connect_success')).toMatchObject({ passes: 20, fails: 0 });
    expect(values<CounterValues>(result, 'ws_sessions').count).toBe(20);
    expect(values<TrendValues>(result, 'ws_event_latency').count).toBeGreaterThan(0);
    expect(values<TrendValues>(result, 'ws_sync_duration').count).toBeGreaterThan(0);
    expect(values<CounterValues>(result, 'ws_msgs_lost').count).toBe(0);
    expect(values<CounterValues>(result, 'ws_msgs_duplicated').count).toBe(0);
    expect(values<CounterValues>(result, 'ws_unexpected_disconnects').count).toBe(0);
    // Every sample is tagged with its scenario.
    expect(result.metrics.some((m) => m.name === 'ws_rpc_duration' && m.tags['scenario'] === 'latency')).toBe(true);
    expect(outcome.generator?.workers).toBe(2);
    expect(outcome.effective).toMatchObject({ workers: 2 });
  });

  it('cuts every connection with admin kicks and measures each reconnect, losing nothing', async () => {
    const server = await serve({ sync: { batchDelayMs: 20 } });
    const { outcome, result } = await run(server, 'reconnect-storm', workload({ durationMs: 3_000, syncs: 4, cuts: { count: 2, mode: 'auto', reconnectDeadlineMs: 5_000 } }));
    expect(outcome.effective).toMatchObject({ cutMode: 'kick' });
    // 20 connections × 2 cuts.
    expect(values<TrendValues>(result, 'ws_reconnect_duration').count).toBe(40);
    expect(values<RateValues>(result, 'ws_reconnect_success')).toMatchObject({ passes: 40, fails: 0 });
    expect(values<CounterValues>(result, 'ws_unexpected_disconnects').count).toBe(0);
    expect(values<CounterValues>(result, 'ws_msgs_lost').count).toBe(0);
    expect(values<CounterValues>(result, 'ws_msgs_duplicated').count).toBe(0);
  });

  it('cuts from the client side when asked, and the server replays what was missed', async () => {
    const server = await serve({ sync: { batchDelayMs: 20 } });
    const { outcome, result } = await run(server, 'reconnect-storm', workload({ durationMs: 2_500, syncs: 2, cuts: { count: 1, mode: 'client-close', reconnectDeadlineMs: 5_000 } }));
    expect(outcome.effective).toMatchObject({ cutMode: 'client-close' });
    expect(values<RateValues>(result, 'ws_reconnect_success')).toMatchObject({ passes: 20, fails: 0 });
    expect(values<CounterValues>(result, 'ws_msgs_lost').count).toBe(0);
  });

  it('reports lost events when the server keeps no replay buffer', async () => {
    const server = await serve({ replayBufferSize: 0, sync: { batchDelayMs: 20 } });
    const { result } = await run(server, 'reconnect-storm', workload({ durationMs: 3_000, syncs: 4, cuts: { count: 2, mode: 'kick', reconnectDeadlineMs: 5_000 } }));
    expect(values<CounterValues>(result, 'ws_msgs_lost').count).toBeGreaterThan(0);
  });

  it('counts connections the server drops on its own as unexpected disconnects', async () => {
    const server = await serve();
    // Kicked once all 20 are open (not after a fixed time a busy machine may need to open them), with time left to come back.
    const kicked = vi.waitFor(() => expect(server.connections).toBe(20), { timeout: 10_000, interval: 10 }).then(() => server.kick());
    const { result } = await run(server, 'latency', workload({ durationMs: 4_000, ratePerSecond: 20 }));
    expect(await kicked).toBe(20);
    expect(values<CounterValues>(result, 'ws_unexpected_disconnects').count).toBe(20);
    expect(values<RateValues>(result, 'ws_reconnect_success').passes).toBe(20);
  });
});
