/**
 * k6 scripts exported with a protocol profile (`exportK6Scenario(…, { profile })`, what
 * `wsmig load export k6 <scenario> --profile …` writes), run under the k6 API emulation (Node
 * stand-ins for the k6 modules; never a k6 run) against services wsmig did not write:
 * rpc-websockets (JSON-RPC 2.0) and graphql-ws. The emulated samples then go the way a real k6
 * summary goes — wsmig's k6 importer and the default rollback thresholds — so the test shows that
 * every reply and event became a sample, that the verdict is a real pass or fail, and that what a
 * profile cannot measure stays unmeasured (inconclusive), as on the native engine.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scenarioByName } from '../../../scenarios/catalog/index.js';
import { exportK6Scenario } from '../../../scenarios/engines/k6/export.js';
import { withScenarioTag } from '../../../scenarios/engines/k6/run.js';
import { importFile } from '../../../scenarios/importers/index.js';
import { ArrivalLane } from '../../../scenarios/k6/lib/arrivals.js';
import { loadProfile } from '../../../scenarios/profiles/load-profile.js';
import type { Result, Verdict } from '../../../scenarios/result/types.js';
import { applicableThresholds, defaultThresholdsFile, evaluateThresholds, readThresholdsFile } from '../../../scenarios/thresholds/index.js';
import { startGraphqlWsServer, startJsonRpcServer, type ThirdPartyServer } from '../profiles/third-party-servers.js';
import { RESUMING_PROFILE, startTickServer } from '../profiles/tick-server.js';
import { compileK6Scripts } from './compiled-scripts.js';
import { count, emulate, samples, summaryExportOf, total, type EmulatedRun } from './emulator/emulate.js';

/** rpc-websockets' events: the built-in json-rpc plus its subscribe (`rpc.on`) and where its ticks keep seq and ts. */
const RPC_WEBSOCKETS_PROFILE = {
  extends: 'json-rpc',
  name: 'rpc-websockets-ticks',
  subscribe: { send: { jsonrpc: '2.0', id: '{{id}}', method: 'rpc.on', params: ['tick'] }, ack: { idPath: 'id' } },
  events: { match: { path: 'notification', equals: 'tick' }, seqPath: 'params.seq', timestampPath: 'params.ts' },
};
const GRAPHQL_TICKS = { subscription: 'subscription { ticks { seq ts } }' };
const GRAPHQL_TICK_FIELDS = { seqPath: 'payload.data.ticks.seq', timestampPath: 'payload.data.ticks.ts' };

let scripts: Awaited<ReturnType<typeof compileK6Scripts>>;
let work: string;
let rpc: ThirdPartyServer;
let graphql: ThirdPartyServer;

beforeAll(async () => {
  scripts = await compileK6Scripts();
  work = await mkdtemp(path.join(tmpdir(), 'wsmig-k6-profile-'));
  rpc = await startJsonRpcServer();
  graphql = await startGraphqlWsServer();
}, 120_000);

afterAll(async () => {
  await rpc?.close();
  await graphql?.close();
  await scripts?.remove();
  await rm(work, { recursive: true, force: true });
});

/**
 * Exports `scenario` on the profile into a fresh folder and runs the exported script under the
 * emulation with the variables the export wrote (options.json), against `target`, with the
 * default rollback thresholds handed to k6 as `run.sh` hands them.
 */
async function exportAndEmulate(scenario: string, profileSpec: string, vars: Record<string, string>, options: Record<string, number>, target: string): Promise<EmulatedRun> {
  const outDir = path.join(work, `${scenario}-${Date.now()}`);
  const profile = await loadProfile(profileSpec, { vars, cwd: work });
  const outcome = await exportK6Scenario(scenario, { outDir, options, profile, thresholdsFile: defaultThresholdsFile(), scriptsDir: scripts.dir });
  expect(outcome.files).toContain(`${scenario}.js`);
  const exported = JSON.parse(await readFile(path.join(outDir, 'options.json'), 'utf8')) as { env: Record<string, string> };
  return emulate(path.join(outDir, `${scenario}.js`), path.join(outDir, 'emulated.json'), {
    ...exported.env,
    WSMIG_TARGET: target,
    WSMIG_THRESHOLDS: path.join(outDir, 'thresholds.json'),
  });
}

/**
 * The emulated run judged as `wsmig load run --engine k6` judges a k6 run: its summary imported,
 * every metric also tagged with the scenario, and the default thresholds that apply to it evaluated.
 */
async function verdictOf(run: EmulatedRun, scenario: string): Promise<{ result: Result; verdict: Verdict }> {
  const file = path.join(work, `${scenario}-summary-${Date.now()}.json`);
  await writeFile(file, JSON.stringify(summaryExportOf(run)));
  const imported = await importFile(file, 'k6-summary-export');
  const result = { ...imported, metrics: withScenarioTag(imported.metrics, scenario) };
  const thresholds = await readThresholdsFile(defaultThresholdsFile());
  const measured = [...new Set([...result.metrics.map((metric) => metric.name), ...scenarioByName(scenario).metrics])];
  const { applicable } = applicableThresholds(thresholds.definitions, { scenarios: [scenario], measuredMetrics: measured });
  return { result, verdict: evaluateThresholds(result, applicable, { source: thresholds.source }) };
}

function statusOf(verdict: Verdict, selector: string): string | undefined {
  return verdict.thresholds.find((threshold) => threshold.metric === selector)?.status;
}

describe('k6 scripts exported with a protocol profile, under the k6 API emulation, against servers wsmig did not write', () => {
  it('latency on json-rpc (rpc-websockets): every request timed to its reply, every event to its timestamp, and a pass or fail', async () => {
    const profileFile = path.join(work, 'rpc-websockets.json');
    await writeFile(profileFile, JSON.stringify(RPC_WEBSOCKETS_PROFILE));
    const options = { connections: 4, rate: 50, durationMs: 4_000, rampUpMs: 500, payloadBytes: 100, syncs: 5, requestTimeoutMs: 10_000 };
    const run = await exportAndEmulate('latency', profileFile, {}, options, rpc.url);
    expect(run.errors).toEqual([]);

    // Every scheduled request was answered by the reply carrying its id (or counted as dropped), and passed its check.
    const lane = new ArrivalLane({ ratePerSecond: 50, rampUpMs: 500, durationMs: 4_000 }, 0, 1);
    let planned = 0;
    while (lane.next() !== undefined) planned += 1;
    const replies = count(run, 'ws_rpc_duration');
    expect(replies + total(run, 'dropped_iterations')).toBe(planned);
    expect(replies).toBeGreaterThanOrEqual(100);
    expect(samples(run, 'checks').every(([ok]) => ok === 1)).toBe(true);
    // Every other message is a subscribe ack (one per connection) or a tick: each tick timed from its ts and checked by seq.
    const events = count(run, 'ws_event_latency');
    expect(events).toBe(total(run, 'ws_msgs_received') - replies - 4);
    expect(events).toBeGreaterThan(100);
    expect(count(run, 'ws_msgs_lost')).toBe(events);
    expect(total(run, 'ws_msgs_lost')).toBe(0);
    expect(count(run, 'ws_event_interarrival')).toBe(0);
    // k6 itself evaluates what this run records.
    expect(Object.keys(run.options.thresholds)).toEqual(expect.arrayContaining(['ws_rpc_duration{scenario:latency}', 'ws_event_latency{scenario:latency}', 'ws_msgs_lost']));
    expect(run.stderr).not.toMatch(/NOT MEASURED/);

    const { verdict } = await verdictOf(run, 'latency');
    for (const selector of ['ws_rpc_duration{scenario:latency}', 'ws_event_latency{scenario:latency}', 'ws_msgs_lost', 'ws_msgs_duplicated', 'ws_connect_success']) {
      expect(statusOf(verdict, selector), selector).toMatch(/^(pass|fail)$/);
    }
    expect(['pass', 'fail']).toContain(verdict.status);
  }, 90_000);

  it('reconnect-storm on json-rpc: every cut connection comes back, resubscribes, and each reconnect is timed', async () => {
    const profileFile = path.join(work, 'rpc-websockets-storm.json');
    await writeFile(profileFile, JSON.stringify(RPC_WEBSOCKETS_PROFILE));
    const options = { connections: 4, durationMs: 4_000, rampUpMs: 300, syncs: 10, cuts: 2, reconnectDeadlineMs: 3_000, reconnectDelayMs: 100, maxReconnectDelayMs: 1_000 };
    const run = await exportAndEmulate('reconnect-storm', profileFile, {}, options, rpc.url);
    expect(run.errors).toEqual([]);
    expect(samples(run, 'ws_reconnect_success').map(([ok]) => ok)).toEqual(Array(8).fill(1));
    expect(count(run, 'ws_reconnect_duration')).toBe(8);
    expect(count(run, 'ws_event_latency')).toBeGreaterThan(0);
    expect(total(run, 'ws_unexpected_disconnects')).toBe(0);
  }, 90_000);

  it('reconnect-storm on a profile with subscribe.resume: every cut connection resumes from its last event; loss across the cut is counted', async () => {
    const profileFile = path.join(work, 'ticks-resume.yaml');
    await writeFile(profileFile, RESUMING_PROFILE);
    const options = { connections: 4, durationMs: 4_000, rampUpMs: 300, syncs: 1, cuts: 2, reconnectDeadlineMs: 3_000, reconnectDelayMs: 100, maxReconnectDelayMs: 1_000 };
    for (const replay of [true, false]) {
      const server = await startTickServer({ replay });
      try {
        const run = await exportAndEmulate('reconnect-storm', profileFile, {}, options, server.url);
        expect(run.errors).toEqual([]);
        expect(server.resumedFrom.length).toBe(8);
        expect(server.resumedFrom.every((seq) => seq > 0)).toBe(true);
        expect(count(run, 'ws_msgs_lost')).toBeGreaterThan(100);
        // A replaying service loses nothing across the cuts; one that only goes on live loses what each cut missed.
        if (replay) expect(total(run, 'ws_msgs_lost')).toBe(0);
        else expect(total(run, 'ws_msgs_lost')).toBeGreaterThanOrEqual(8);
        expect(total(run, 'ws_msgs_duplicated')).toBe(0);
      } finally {
        await server.close();
      }
    }
  }, 90_000);

  it('fan-out on a service that sends its JSON in binary frames: read as UTF-8, every event timed and checked, none unrecognised', async () => {
    const profileFile = path.join(work, 'ticks-binary.yaml');
    await writeFile(profileFile, RESUMING_PROFILE);
    const server = await startTickServer({ replay: false, binary: true });
    try {
      const run = await exportAndEmulate('fan-out', profileFile, {}, { connections: 4, durationMs: 3_000, rampUpMs: 300, syncs: 1 }, server.url);
      expect(run.errors).toEqual([]);
      // Every binary message but the four acks is an event, checked by seq and timed from its ts.
      const events = count(run, 'ws_event_latency');
      expect(events).toBeGreaterThan(100);
      expect(events).toBe(total(run, 'ws_msgs_received') - 4);
      expect(count(run, 'ws_msgs_lost')).toBe(events);
      expect(total(run, 'ws_msgs_lost')).toBe(0);
      expect(run.stderr).not.toMatch(/matched no rule|could not read/);
    } finally {
      await server.close();
    }
  }, 90_000);

  it('fan-out on graphql-ws: every pushed event timed and checked by seq, and a pass or fail', async () => {
    const run = await exportAndEmulate('fan-out', 'graphql-ws', { ...GRAPHQL_TICKS, ...GRAPHQL_TICK_FIELDS }, { connections: 4, durationMs: 4_000, rampUpMs: 500, syncs: 1 }, graphql.url);
    expect(run.errors).toEqual([]);
    // The subprotocol went as k6 sends it (Sec-WebSocket-Protocol), or graphql-ws would have refused every connection.
    expect(samples(run, 'ws_connect_success').map(([ok]) => ok)).toEqual([1, 1, 1, 1]);
    const events = count(run, 'ws_event_latency');
    // Besides one connection_ack per connection, every message was a tick: 4 subscribers, one every 20 ms, for about 3.5 s.
    expect(events).toBe(total(run, 'ws_msgs_received') - 4);
    expect(events).toBeGreaterThan(200);
    expect(count(run, 'ws_msgs_lost')).toBe(events);
    expect(total(run, 'ws_msgs_lost')).toBe(0);
    expect(total(run, 'ws_msgs_duplicated')).toBe(0);
    expect(total(run, 'ws_unexpected_disconnects')).toBe(0);
    expect(count(run, 'ws_rpc_duration')).toBe(0);

    const { verdict } = await verdictOf(run, 'fan-out');
    expect(statusOf(verdict, 'ws_event_latency{scenario:fan-out}')).toMatch(/^(pass|fail)$/);
    expect(statusOf(verdict, 'ws_msgs_lost')).toMatch(/^(pass|fail)$/);
    expect(['pass', 'fail']).toContain(verdict.status);
  }, 90_000);

  it('fan-out on graphql-ws without seq and timestamp paths: loss and latency NOT MEASURED, inter-arrival instead, inconclusive', async () => {
    const run = await exportAndEmulate('fan-out', 'graphql-ws', GRAPHQL_TICKS, { connections: 4, durationMs: 3_000, rampUpMs: 300, syncs: 1 }, graphql.url);
    expect(run.errors).toEqual([]);
    expect(run.stderr).toMatch(/NOT MEASURED: ws_msgs_lost, ws_msgs_duplicated — the profile graphql-ws has no events.seqPath/);
    expect(run.stderr).toMatch(/NOT MEASURED: ws_event_latency — .*ws_event_interarrival/);
    expect(count(run, 'ws_msgs_lost')).toBe(0);
    expect(count(run, 'ws_event_latency')).toBe(0);
    expect(count(run, 'ws_event_interarrival')).toBeGreaterThan(100);
    // k6 would judge a metric without samples as 0 (a pass for count==0): those thresholds are not handed to it.
    expect(Object.keys(run.options.thresholds)).not.toContain('ws_msgs_lost');
    expect(Object.keys(run.options.thresholds)).not.toContain('ws_event_latency{scenario:fan-out}');

    const { verdict } = await verdictOf(run, 'fan-out');
    expect(statusOf(verdict, 'ws_event_latency{scenario:fan-out}')).toBe('inconclusive');
    expect(statusOf(verdict, 'ws_msgs_lost')).toBe('inconclusive');
    expect(verdict.status).not.toBe('pass');
  }, 90_000);
});
