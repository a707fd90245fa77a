import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type ReferenceServer } from '../../../../reference/server/index.js';
import type { WorkerMessage, WorkerSpec } from '../../../../scenarios/engines/native/messages.js';
import { WorkloadRunner } from '../../../../scenarios/engines/native/workload-runner.js';

let server: ReferenceServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('WorkloadRunner (one worker share, in-process)', () => {
  it('follows the parent: connects, arms a cut, cuts from the client side, recovers, and reports at stop', async () => {
    server = await createServer({ port: 0, sync: { batchDelayMs: 20 } });
    const posted: WorkerMessage[] = [];
    const spec: WorkerSpec = {
      scenario: 'reconnect-storm',
      wsUrl: server.wsUrl,
      startMs: Date.now(),
      intervalMs: 1_000,
      firstConnection: 0,
      connections: 6,
      ratePerSecond: 0,
      chatPrefix: 'runner-test',
      workload: {
        kind: 'ws',
        connections: 6,
        ratePerSecond: 0,
        payloadBytes: 0,
        durationMs: 60_000,
        rampUpMs: 0,
        syncs: 2,
        requestTimeoutMs: 5_000,
        reconnect: { baseDelayMs: 100, maxDelayMs: 1_000 },
        cuts: { count: 1, mode: 'client-close', reconnectDeadlineMs: 5_000 },
      },
      lateToleranceMs: 50,
      maxLagMs: 1_000,
      progressIntervalMs: 200,
      statusIntervalMs: 50,
    };
    // Reconnect delays from an injected random: the middle of each backoff range.
    const runner = new WorkloadRunner(spec, (message) => posted.push(message), { random: () => 0.5 });
    runner.handle({ type: 'start' });
    await until(() => runner.status().open === 6);
    // Let the syncs run a little, so events flow across the cut.
    await new Promise((resolve) => setTimeout(resolve, 300));

    runner.handle({ type: 'cut', cut: 1, mode: 'client-close' });
    expect(posted).toContainEqual({ type: 'cut-armed', cut: 1 });
    await until(() => runner.status().recovering === 6);
    await until(() => runner.status().recovering === 0 && runner.status().open === 6);
    runner.handle({ type: 'cut-over', cut: 1 });

    runner.handle({ type: 'stop' });
    await until(() => posted.some((message) => message.type === 'done'));
    const done = posted.find((message) => message.type === 'done');
    if (done?.type !== 'done') throw new Error('no done message');
    expect(done.stats).toMatchObject({ unmeasuredReconnects: 0, unknowableResyncs: 0, badFrames: 0, stoppedConnections: [] });
    const metric = (name: string) => done.snapshot.metrics.find((m) => m.name === name);
    expect(metric('ws_reconnect_duration')?.total).toMatchObject({ count: 6 });
    expect(metric('ws_reconnect_success')?.total).toEqual({ passes: 6, fails: 0 });
    expect(metric('ws_unexpected_disconnects')?.total).toMatchObject({ sum: 0 });
    expect(metric('ws_msgs_lost')?.total).toMatchObject({ sum: 0 });
    expect(metric('ws_sessions')?.total).toMatchObject({ sum: 12 });
    expect(posted.some((message) => message.type === 'progress')).toBe(true);
  });
});
