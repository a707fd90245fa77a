import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../lib/logger.js';
import { createServer, type ReferenceServer, type ServerOptions } from '../../../../reference/server/index.js';
import { createNativeEngine, splitEvenly } from '../../../../scenarios/engines/native/engine.js';
import { chatsOfConnection } from '../../../../scenarios/engines/native/workload-runner.js';
import type { EngineOutcome, WsWorkload } from '../../../../scenarios/engines/types.js';
import { buildResult } from '../../../../scenarios/result/recorder.js';
import type { CounterValues, RateValues, Result, TrendValues } from '../../../../scenarios/result/types.js';
import { connectExternalTarget } from '../../../../scenarios/target.js';

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

async function run(server: ReferenceServer, scenario: string, load: WsWorkload): Promise<{ outcome: EngineOutcome; result: Result }> {
  const target = await connectExternalTarget(server.wsUrl);
  const startMs = Date.now();
  const outcome = await createNativeEngine({ workers: 2 }).run(scenario, load, {
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
    engine: 'native',
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

function values<T>(result: Result, name: string): T {
  const metric = result.metrics.find((m) => m.name === name && Object.keys(m.tags).length === 0);
  if (!metric) throw new Error(`no ${name} in the result (has ${result.metrics.map((m) => m.name).join(', ')})`);
  return metric.values as T;
}

describe('splitting a workload', () => {
  it('splits connections evenly over workers', () => {
    expect(splitEvenly(10, 3)).toEqual([4, 3, 3]);
    expect(splitEvenly(2, 2)).toEqual([1, 1]);
  });

  it('gives every chat one driving connection, subscribed to it, and every connection one chat to watch', () => {
    expect(chatsOfConnection(0, 10, 3)).toEqual({ subscribed: [0], driven: [0] });
    expect(chatsOfConnection(7, 10, 3)).toEqual({ subscribed: [1], driven: [] });
    // More chats than connections: a connection drives (and watches) several.
    expect(chatsOfConnection(1, 2, 5)).toEqual({ subscribed: [1, 3], driven: [1, 3] });
    expect(chatsOfConnection(4, 10, 0)).toEqual({ subscribed: [], driven: [] });
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
    const kicker = setTimeout(() => server.kick(), 800);
    try {
      const { result } = await run(server, 'latency', workload({ durationMs: 2_000, ratePerSecond: 20 }));
      expect(values<CounterValues>(result, 'ws_unexpected_disconnects').count).toBe(20);
      expect(values<RateValues>(result, 'ws_reconnect_success').passes).toBe(20);
    } finally {
      clearTimeout(kicker);
    }
  });
});
