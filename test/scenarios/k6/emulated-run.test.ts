/**
 * The k6 scripts' protocol logic against the real reference server, under the k6 API emulation
 * in ./emulator (Node stand-ins for the k6 modules; see its README). This is not a k6 run: it shows
 * that the compiled scripts subscribe, resume, drive syncs, answer the open-model schedule and
 * count losses correctly. The real k6 run is engines/k6/k6-integration.test.ts (only with k6 on PATH).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type ReferenceServer, type ServerOptions } from '../../../reference/server/index.js';
import { ArrivalLane } from '../../../scenarios/k6/lib/arrivals.js';
import { compileK6Scripts } from './compiled-scripts.js';
import { count, emulate as emulateScript, samples, total, type EmulatedRun } from './emulator/emulate.js';

let scripts: Awaited<ReturnType<typeof compileK6Scripts>>;
let work: string;
const servers: ReferenceServer[] = [];

beforeAll(async () => {
  scripts = await compileK6Scripts();
  work = await mkdtemp(path.join(tmpdir(), 'wsmig-k6-emulated-'));
}, 120_000);

afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  await scripts.remove();
  await rm(work, { recursive: true, force: true });
});

/** A reference server with short syncs, so a few seconds see many events. */
async function startServer(overrides: ServerOptions = {}): Promise<ReferenceServer> {
  const server = await createServer({ port: 0, host: '127.0.0.1', sync: { totalMessages: 40, batchSize: 5, batchDelayMs: 25 }, adminLoopback: true, ...overrides });
  servers.push(server);
  return server;
}

function emulate(scenario: string, env: Record<string, string>): Promise<EmulatedRun> {
  return emulateScript(path.join(scripts.dir, `${scenario}.js`), path.join(work, `${scenario}-${Date.now()}.json`), env);
}

describe('k6 scripts under the k6 API emulation, against the reference server', () => {
  it('latency: answers the open-model schedule, delivers events and syncs, loses nothing', async () => {
    const server = await startServer();
    const thresholds = path.join(work, 'latency-thresholds.json');
    await writeFile(thresholds, JSON.stringify({ 'ws_rpc_duration{scenario:latency}': ['p(99)<250'], 'ws_reconnect_success{scenario:reconnect-storm}': ['rate>0.99'], ws_msgs_lost: ['count==0'] }));
    const run = await emulate('latency', {
      WSMIG_TARGET: server.wsUrl,
      WSMIG_CONNECTIONS: '6',
      WSMIG_SOCKETS_PER_VU: '4',
      WSMIG_RATE: '50',
      WSMIG_DURATION: '3s',
      WSMIG_RAMP_UP: '300ms',
      WSMIG_SYNCS: '2',
      WSMIG_THRESHOLDS: thresholds,
    });
    expect(run.errors).toEqual([]);
    expect(run.options.scenarios['latency']?.vus).toBe(2);
    expect(run.options.thresholds).toEqual({ 'ws_rpc_duration{scenario:latency}': ['p(99)<250'], ws_msgs_lost: ['count==0'] });
    expect(run.stderr).toContain('about scenario reconnect-storm, not latency');

    // Every scheduled arrival is answered (or timed out) or counted as dropped: nothing is silently skipped.
    const lane = new ArrivalLane({ ratePerSecond: 50, rampUpMs: 300, durationMs: 3_000 }, 0, 1);
    let planned = 0;
    while (lane.next() !== undefined) planned += 1;
    expect(planned).toBe(142);
    expect(count(run, 'ws_rpc_duration') + total(run, 'dropped_iterations')).toBe(planned);
    expect(count(run, 'ws_rpc_duration')).toBeGreaterThan(planned * 0.8);
    expect(samples(run, 'checks').every(([ok]) => ok === 1)).toBe(true);
    expect(samples(run, 'ws_connect_success').map(([ok]) => ok)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(count(run, 'ws_event_latency')).toBeGreaterThan(20);
    expect(count(run, 'ws_sync_duration')).toBeGreaterThan(0);
    expect(total(run, 'ws_msgs_lost')).toBe(0);
    expect(total(run, 'ws_msgs_duplicated')).toBe(0);
    expect(total(run, 'ws_unexpected_disconnects')).toBe(0);
    // Zero counters are recorded, so "no loss" is distinguishable from "not measured".
    expect(count(run, 'ws_msgs_lost')).toBeGreaterThan(0);
    for (const name of ['ws_rpc_duration', 'ws_event_latency', 'ws_sync_duration', 'ws_connect_success', 'ws_msgs_lost', 'checks']) {
      expect(samples(run, name).every(([, tags]) => tags['scenario'] === 'latency'), name).toBe(true);
    }
    expect(run.metrics['ws_rpc_duration']).toMatchObject({ type: 'trend', isTime: true });
  }, 60_000);

  it('reconnect-storm: every kicked client reconnects and resumes without loss or duplicates', async () => {
    const server = await startServer();
    const run = await emulate('reconnect-storm', {
      WSMIG_TARGET: server.wsUrl,
      WSMIG_CONNECTIONS: '8',
      WSMIG_SOCKETS_PER_VU: '3',
      WSMIG_SYNCS: '3',
      WSMIG_CUTS: '2',
      WSMIG_CUT_MODE: 'auto',
      WSMIG_DURATION: '5s',
      WSMIG_RAMP_UP: '300ms',
      WSMIG_RECONNECT_DELAY: '100ms',
      WSMIG_MAX_RECONNECT_DELAY: '1s',
      WSMIG_RECONNECT_DEADLINE: '3s',
    });
    expect(run.errors).toEqual([]);
    expect(run.setup?.cutMode).toBe('kick');
    expect(samples(run, 'ws_reconnect_success').map(([ok]) => ok)).toEqual(Array(16).fill(1));
    expect(count(run, 'ws_reconnect_duration')).toBe(16);
    expect(count(run, 'ws_event_latency')).toBeGreaterThan(20);
    expect(total(run, 'ws_msgs_lost')).toBe(0);
    expect(total(run, 'ws_msgs_duplicated')).toBe(0);
    expect(total(run, 'ws_unexpected_disconnects')).toBe(0);
  }, 60_000);

  it('reconnect-storm: reports the loss when the server cannot replay what a cut client missed', async () => {
    const server = await startServer({ replayBufferSize: 0 });
    const run = await emulate('reconnect-storm', {
      WSMIG_TARGET: server.wsUrl,
      WSMIG_CONNECTIONS: '6',
      WSMIG_SOCKETS_PER_VU: '3',
      WSMIG_SYNCS: '3',
      WSMIG_CUTS: '2',
      WSMIG_CUT_MODE: 'client-close',
      WSMIG_DURATION: '4s',
      WSMIG_RAMP_UP: '200ms',
      WSMIG_RECONNECT_DELAY: '300ms',
      WSMIG_MAX_RECONNECT_DELAY: '1s',
    });
    expect(run.errors).toEqual([]);
    expect(run.setup?.cutMode).toBe('client-close');
    expect(count(run, 'ws_reconnect_success')).toBe(12);
    expect(total(run, 'ws_msgs_lost')).toBeGreaterThan(0);
    expect(total(run, 'ws_unexpected_disconnects')).toBe(0);
  }, 60_000);

  it('sync-progress: completes syncs back to back with every progress event in order', async () => {
    const server = await startServer();
    const run = await emulate('sync-progress', {
      WSMIG_TARGET: server.wsUrl,
      WSMIG_CONNECTIONS: '4',
      WSMIG_SOCKETS_PER_VU: '2',
      WSMIG_SYNCS: '6',
      WSMIG_DURATION: '3s',
      WSMIG_RAMP_UP: '200ms',
    });
    expect(run.errors).toEqual([]);
    // Six chats, each run 8 batches × 25 ms: several runs each.
    expect(count(run, 'ws_sync_duration')).toBeGreaterThanOrEqual(12);
    expect(count(run, 'ws_event_latency')).toBeGreaterThan(count(run, 'ws_sync_duration') * 8);
    expect(total(run, 'ws_msgs_lost')).toBe(0);
    expect(total(run, 'ws_msgs_duplicated')).toBe(0);
    expect(count(run, 'ws_rpc_duration')).toBe(0);
  }, 60_000);
});
