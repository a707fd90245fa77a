/**
 * `npm run bench:server`: the reference server against a bare `ws` JSON echo server and the gateway
 * against a bare `ws` broadcast loop, each pair measured in this run (ratios, never numbers from
 * another machine or day), plus idle memory per connection, a 5,000-client connect storm against a
 * bare `ws` server, and a reconnect storm after a crash. Servers run in their own processes; this
 * process is the load generator, on 127.0.0.1. Bounded: about three minutes.
 *
 * `npm run bench:server -- --profile <file.cpuprofile>`: only a CPU profile of the reference server
 * under the request/reply loop, and where its CPU per reply goes (docs/server.md "Performance").
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectStorm, openFileLimits, type ConnectStormRun } from './helpers/connect-storm.js';
import { selfTimeByPart } from './helpers/cpu-profile.js';
import { connectMany } from './helpers/connect.js';
import { median } from './helpers/median.js';
import { EchoRig, type EchoWindow } from './helpers/echo-rig.js';
import { FanOutRig, type FanOutWindow } from './helpers/fan-out-rig.js';
import { ServerProcess } from './helpers/server-process.js';
import { StormClient } from './helpers/storm-client.js';
import { ratioSpread, roundRatios, takeTurns } from './helpers/turns.js';

const ECHO_CONNECTIONS = 50;
const ECHO_WARMUP_MS = 1_000;
/** Pairs of windows, one per server; the verdicts are the medians of the pairs' ratios. */
const ECHO_PAIRS = 20;
const ECHO_WINDOW_MS = 500;
const FANOUT_SUBSCRIBERS = 2_000;
const FANOUT_CHANNEL = 'bench:fanout';
const FANOUT_WARMUP_MS = 500;
const FANOUT_PUBLISH_MS = 500;
const FANOUT_ROUNDS = 8;
/** Events published in one go per event-loop turn: 1, and a batch (as a shared hub or an upstream chunk delivers them). */
const FANOUT_BURSTS = [1, 10];
/** The opt-in write delay measured beside the default with one event per turn. */
const FANOUT_WRITE_DELAY_MS = 5;
const PROFILE_WARMUP_MS = 1_000;
const PROFILE_MS = 4_000;
const IDLE_CONNECTIONS = 5_000;
const CONNECT_STORM_CLIENTS = 5_000;
/** Pairs of storms, one against each server; the verdicts are the medians of the pairs' ratios. */
const CONNECT_STORM_ROUNDS = 6;
const CONNECT_STORM_TIMEOUT_MS = 60_000;
/** File descriptors this process needs for the connect storm: one per client, plus its own. */
const CONNECT_STORM_FDS = CONNECT_STORM_CLIENTS + 500;
const STORM_CLIENTS = 2_000;
const STORM_SYNC = { totalMessages: 100, batchSize: 5, batchDelayMs: 100 };

/** A 100-byte JSON payload, as the targets specify. */
const PAYLOAD = { text: 'x'.repeat(89) };

const results: { target: string; pass: boolean; detail: string }[] = [];

function verdict(target: string, pass: boolean, detail: string): void {
  results.push({ target, pass, detail });
  console.log(`  ${pass ? 'PASS' : 'MISS'}  ${target}: ${detail}`);
}

/**
 * Both servers run at once with their own 50 connections and take turns: pairs of short windows
 * (the order alternating from pair to pair), each pair's ratio reference/bare, and the median of the
 * pairs' ratios, so the machine's drift over a run reaches both sides of every ratio alike.
 */
async function echoBenchmark(): Promise<void> {
  console.log(`\n1. Request/reply: echo of a 100-byte JSON payload, ${ECHO_CONNECTIONS} connections each, closed loop, ${ECHO_PAIRS} pairs of ${ECHO_WINDOW_MS} ms windows taking turns`);
  const kinds = ['bare', 'reference'] as const;
  const rigs: EchoRig[] = [];
  for (const kind of kinds) {
    const rig = await EchoRig.open(await ServerProcess.start({ kind, port: 0 }), ECHO_CONNECTIONS, PAYLOAD);
    await rig.window(ECHO_WARMUP_MS);
    rigs.push(rig);
  }
  const windows = await takeTurns(rigs.length, ECHO_PAIRS, (side) => (rigs[side] as EchoRig).window(ECHO_WINDOW_MS));
  for (const rig of rigs) {
    rig.close();
    await rig.server.kill();
  }
  kinds.forEach((kind, i) => {
    const of = (pick: (w: EchoWindow) => number): number => median((windows[i] as EchoWindow[]).map(pick));
    console.log(`   ${kind.padEnd(9)} medians of its windows: ${Math.round(of((w) => w.repliesPerSecond)).toLocaleString('en-US').padStart(7)} replies/s  p50 ${of((w) => w.p50Micros)} µs  p99 ${of((w) => w.p99Micros)} µs  server CPU ${of((w) => w.serverCpuMicrosPerReply).toFixed(1)} µs/reply`);
  });
  const rps = roundRatios(windows, 1, (w) => w.repliesPerSecond);
  const cpu = roundRatios(windows, 1, (w) => w.serverCpuMicrosPerReply);
  const p99 = roundRatios(windows, 1, (w) => w.p99Micros);
  verdict('replies/s ≥ 1.0× bare ws', median(rps) >= 1, ratioSpread(rps));
  verdict('server CPU per reply ≤ 1.0× bare ws', median(cpu) <= 1, ratioSpread(cpu));
  verdict('p99 ≤ 1.0× bare ws', median(p99) <= 1, ratioSpread(p99));
}

/**
 * Server CPU per delivered event: `FANOUT_SUBSCRIBERS` clients on one channel, `burst` events
 * published in one go per event-loop turn. Every server runs at once with its own subscribers and
 * they take turns: `FANOUT_ROUNDS` rounds of one publish window each (the order rotating), each
 * round's ratio gateway/bare, and the median of the rounds' ratios.
 */
async function fanOutBenchmark(burst: number, section: string): Promise<void> {
  console.log(`\n${section}. Fan-out: one channel, ${FANOUT_SUBSCRIBERS.toLocaleString('en-US')} subscribers, ${burst === 1 ? 'one 100-byte event' : `${burst} 100-byte events published in one go`} per event-loop turn, ${FANOUT_ROUNDS} rounds of ${FANOUT_PUBLISH_MS} ms publish windows taking turns`);
  // With one event per turn, also the gateway holding events `FANOUT_WRITE_DELAY_MS` to write them together (opt-in).
  const delayed = `gateway, writeDelayMs ${FANOUT_WRITE_DELAY_MS}`;
  const variants = [
    { name: 'bare-broadcast', kind: 'bare-broadcast' as const },
    { name: 'gateway', kind: 'gateway' as const },
    ...(burst === 1 ? [{ name: delayed, kind: 'gateway' as const, writeDelayMs: FANOUT_WRITE_DELAY_MS }] : []),
  ];
  const rigs: FanOutRig[] = [];
  for (const variant of variants) {
    const server = await ServerProcess.start({ kind: variant.kind, port: 0, pacePublishes: true, publishBurst: burst, ...(variant.writeDelayMs === undefined ? {} : { writeDelayMs: variant.writeDelayMs }) });
    const rig = await FanOutRig.open(server, { subscribers: FANOUT_SUBSCRIBERS, channel: FANOUT_CHANNEL, burst, subscribe: variant.kind === 'gateway' });
    await rig.window(FANOUT_WARMUP_MS);
    rigs.push(rig);
  }
  const windows = await takeTurns(rigs.length, FANOUT_ROUNDS, (side) => (rigs[side] as FanOutRig).window(FANOUT_PUBLISH_MS));
  for (const rig of rigs) {
    rig.close();
    await rig.server.kill();
  }
  const width = Math.max(...variants.map((variant) => variant.name.length));
  variants.forEach((variant, i) => {
    const of = (pick: (w: FanOutWindow) => number): number => median((windows[i] as FanOutWindow[]).map(pick));
    const lost = (windows[i] as FanOutWindow[]).reduce((sum, w) => sum + w.lost, 0);
    console.log(`   ${variant.name.padEnd(width)} medians of its windows: ${Math.round(of((w) => w.deliveriesPerSecond)).toLocaleString('en-US').padStart(9)} deliveries/s  server CPU ${of((w) => w.cpuMicrosPerDelivery).toFixed(2)} µs/delivery${lost === 0 ? '' : `  (${lost} not delivered)`}`);
  });
  const perDelivery = (w: FanOutWindow): number => w.cpuMicrosPerDelivery;
  const gateway = roundRatios(windows, 1, perDelivery);
  verdict(`fan-out CPU per delivery ≤ 0.8× a bare ws broadcast loop (${burst} per turn)`, median(gateway) <= 0.8, ratioSpread(gateway));
  if (burst === 1) console.log(`  info  with writeDelayMs ${FANOUT_WRITE_DELAY_MS} (opt-in; each event waits up to ${FANOUT_WRITE_DELAY_MS} ms more): ${ratioSpread(roundRatios(windows, 2, perDelivery))} the bare loop's CPU per delivery`);
}

async function idleMemory(kind: 'bare' | 'reference'): Promise<number> {
  const server = await ServerProcess.start({ kind, port: 0 });
  const before = await server.stats(true);
  const sockets = await connectMany(server.wsUrl, IDLE_CONNECTIONS, 250);
  await sleep(1_000);
  const after = await server.stats(true);
  for (const ws of sockets) ws.terminate();
  await server.kill();
  return (after.rssBytes - before.rssBytes) / IDLE_CONNECTIONS;
}

async function memoryBenchmark(): Promise<void> {
  console.log(`\n3. Memory: ${IDLE_CONNECTIONS.toLocaleString('en-US')} idle connections, server RSS delta after GC`);
  const bare = await idleMemory('bare');
  const reference = await idleMemory('reference');
  console.log(`   bare ws ${(bare / 1024).toFixed(1)} KB/connection, reference ${(reference / 1024).toFixed(1)} KB/connection (${(reference / bare).toFixed(2)}× bare)`);
  verdict('≤ 20 KB server RSS per idle connection', reference <= 20 * 1024, `${(reference / 1024).toFixed(1)} KB`);
  verdict('idle memory per connection ≤ 0.6× bare ws', reference / bare <= 0.6, `${(reference / bare).toFixed(2)}×`);
}

async function connectStormBenchmark(): Promise<void> {
  console.log(`\n4. Connect storm: ${CONNECT_STORM_CLIENTS.toLocaleString('en-US')} clients open at once on 127.0.0.1 (each retries a failed attempt after 20–40 ms), ${CONNECT_STORM_ROUNDS} pairs of storms, the order alternating`);
  const limits = openFileLimits();
  if (limits !== undefined && limits.soft < CONNECT_STORM_FDS) {
    // Node raises its soft limit to the hard one at start-up: only a higher hard limit helps.
    console.log(`   SKIPPED: this process may open ${limits.soft} files (Node already raised its soft ulimit -n to the hard limit, ${limits.hard}) and the storm needs ${CONNECT_STORM_FDS}: run it where \`ulimit -Hn\` is at least ${CONNECT_STORM_FDS} (as root: \`ulimit -n ${CONNECT_STORM_FDS}\` before npm).`);
    verdict('5,000-client connect storm ≤ 1.0× bare ws', false, 'not measured: too few file descriptors');
    return;
  }
  const kinds = ['bare', 'reference'] as const;
  // Each storm needs fresh servers: a pair of storms a few seconds apart, the order alternating.
  const runs = await takeTurns(kinds.length, CONNECT_STORM_ROUNDS, async (side, round) => {
    const kind = kinds[side] as (typeof kinds)[number];
    const server = await ServerProcess.start({ kind, port: 0 });
    const run = await connectStorm(server, CONNECT_STORM_CLIENTS, CONNECT_STORM_TIMEOUT_MS);
    await server.kill();
    console.log(`   round ${round + 1} ${kind.padEnd(9)} all open in ${Math.round(run.allOpenMs).toLocaleString('en-US').padStart(6)} ms  server CPU ${Math.round(run.serverCpuMs).toLocaleString('en-US').padStart(5)} ms (${((run.serverCpuMs * 1000) / CONNECT_STORM_CLIENTS).toFixed(0)} µs/connection)  retries ${run.retries}${run.neverOpened === 0 ? '' : `  NEVER OPENED ${run.neverOpened}`}`);
    await sleep(500);
    return run;
  });
  const neverOpened = runs.flat().reduce((sum, r) => sum + r.neverOpened, 0);
  const ms = roundRatios(runs, 1, (r: ConnectStormRun) => r.allOpenMs);
  const cpu = roundRatios(runs, 1, (r: ConnectStormRun) => r.serverCpuMs);
  verdict('5,000-client connect storm: time to all open ≤ 1.0× bare ws', neverOpened === 0 && median(ms) <= 1, `${ratioSpread(ms)}${neverOpened === 0 ? '' : ' (some clients never opened)'}`);
  verdict('5,000-client connect storm: server CPU ≤ 1.0× bare ws', median(cpu) <= 1, ratioSpread(cpu));
}

async function stormBenchmark(): Promise<void> {
  console.log(`\n5. Reconnect storm: ${STORM_CLIENTS.toLocaleString('en-US')} clients subscribed to running syncs; kill -9 the server, restart it on the same port with the same state file`);
  const dir = await mkdtemp(path.join(tmpdir(), 'wsmig-bench-'));
  const stateFile = path.join(dir, 'state.json');
  try {
    const first = await ServerProcess.start({ kind: 'reference', port: 0, stateFile, sync: STORM_SYNC });
    const port = first.port;
    let resubscribed = 0;
    let allResubscribed: () => void = () => undefined;
    const everyoneBack = new Promise<void>((resolve) => (allResubscribed = resolve));
    const clients = Array.from({ length: STORM_CLIENTS }, (_, i) => new StormClient(first.wsUrl, i + 1, () => {
      resubscribed += 1;
      if (resubscribed === STORM_CLIENTS) allResubscribed();
    }));
    for (let i = 0; i < clients.length; i += 200) await Promise.all(clients.slice(i, i + 200).map((c) => c.start()));
    await sleep(600);
    await first.kill();
    const killedAt = performance.now();
    const second = await ServerProcess.start({ kind: 'reference', port, stateFile, sync: STORM_SYNC });
    const listeningMs = performance.now() - killedAt;
    await second.lagP99Seconds();
    const outcome = await Promise.race([everyoneBack.then(() => 'ok' as const), sleep(60_000).then(() => 'timeout' as const)]);
    const reconnectMs = performance.now() - killedAt;
    const lagP99 = await second.lagP99Seconds();
    const deadline = performance.now() + 30_000;
    while (clients.some((c) => !c.completed) && performance.now() < deadline) await sleep(100);
    const completed = clients.filter((c) => c.completed).length;
    const seqErrors = clients.reduce((sum, c) => sum + c.seqErrors, 0);
    const repeated = clients.reduce((sum, c) => sum + c.repeatedProgress, 0);
    for (const c of clients) c.stop();
    await second.kill();
    console.log(`   restarted server listening ${Math.round(listeningMs)} ms after the kill`);
    console.log(`   all ${resubscribed.toLocaleString('en-US')} resubscribed ${Math.round(reconnectMs)} ms after the kill${outcome === 'timeout' ? ' (TIMED OUT)' : ''}`);
    console.log(`   server event-loop lag p99 during the storm: ${(lagP99 * 1000).toFixed(1)} ms (prom-client samples every 10 ms: ${Math.max(0, lagP99 * 1000 - 10).toFixed(1)} ms beyond the sampling interval)`);
    console.log(`   syncs completed ${completed}/${STORM_CLIENTS}, seq gaps or repeats ${seqErrors}, progress steps delivered again after the restart ${repeated} (the reference client drops them)`);
    verdict('all clients reconnected and resubscribed, nothing lost', outcome === 'ok' && completed === STORM_CLIENTS && seqErrors === 0, `${resubscribed}/${STORM_CLIENTS} back in ${Math.round(reconnectMs)} ms, ${completed} completed, ${seqErrors} seq errors`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A CPU profile of the reference server under the request/reply loop, summed into the parts of its hot path. */
async function profileRun(profilePath: string): Promise<void> {
  const server = await ServerProcess.start({ kind: 'reference', port: 0, cpuProfile: { path: profilePath, afterMs: PROFILE_WARMUP_MS, durationMs: PROFILE_MS } });
  const rig = await EchoRig.open(server, ECHO_CONNECTIONS, PAYLOAD);
  // The loop settles for a tenth of a second before the window: the profile starts within the window.
  const run = await rig.window(PROFILE_WARMUP_MS + PROFILE_MS);
  rig.close();
  await sleep(1_000);
  await server.kill();
  const replies = run.repliesPerSecond * (PROFILE_MS / 1000);
  console.log(`${Math.round(run.repliesPerSecond).toLocaleString('en-US')} replies/s, ${run.serverCpuMicrosPerReply.toFixed(1)} µs server CPU per reply (the profiler's sampling included); profile written to ${profilePath}`);
  const parts = [...(await selfTimeByPart(profilePath))].sort((a, b) => b[1] - a[1]);
  const busy = parts.filter(([part]) => part !== 'idle').reduce((sum, [, ms]) => sum + ms, 0);
  console.log(`self time per reply (${(busy * 1000 / replies).toFixed(1)} µs of CPU while profiled):`);
  for (const [part, ms] of parts) console.log(`  ${((ms * 1000) / replies).toFixed(2).padStart(6)} µs  ${part}`);
}

const profileAt = process.argv.indexOf('--profile');
if (profileAt !== -1) {
  await profileRun(path.resolve(process.argv[profileAt + 1] ?? 'server.cpuprofile'));
  process.exit(0);
}

/**
 * `-- --only fan-out` (or echo, memory, storm, several comma-separated): run those sections alone.
 * `storm` is both storms; `connect-storm` and `reconnect-storm` each alone.
 */
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt === -1 ? undefined : new Set((process.argv[onlyAt + 1] ?? '').split(','));
const runs = (section: string): boolean => only === undefined || only.has(section) || (section.endsWith('storm') && only.has('storm'));

const startedAt = performance.now();
console.log(`wsmig server benchmark — Node ${process.version}, ratios measured in this run`);
if (runs('echo')) await echoBenchmark();
if (runs('fan-out')) for (const [i, burst] of FANOUT_BURSTS.entries()) await fanOutBenchmark(burst, `2${String.fromCharCode(97 + i)}`);
if (runs('memory')) await memoryBenchmark();
if (runs('connect-storm')) await connectStormBenchmark();
if (runs('reconnect-storm')) await stormBenchmark();
const missed = results.filter((r) => !r.pass);
console.log(`\n${results.length - missed.length}/${results.length} targets met in ${Math.round((performance.now() - startedAt) / 1000)} s${missed.length > 0 ? `; missed: ${missed.map((r) => r.target).join(', ')}` : ''}`);
