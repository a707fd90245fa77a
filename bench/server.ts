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
import * as hdr from 'hdr-histogram-js';
import { WebSocket } from 'ws';
import { connectStorm, openFileLimits, type ConnectStormRun } from './helpers/connect-storm.js';
import { selfTimeByPart } from './helpers/cpu-profile.js';
import { median } from './helpers/median.js';
import { ServerProcess } from './helpers/server-process.js';
import { StormClient } from './helpers/storm-client.js';

const ECHO_CONNECTIONS = 50;
const ECHO_WARMUP_MS = 1_000;
const ECHO_MEASURE_MS = 5_000;
const ECHO_ROUNDS = 3;
const FANOUT_SUBSCRIBERS = 2_000;
const FANOUT_CHANNEL = 'bench:fanout';
const FANOUT_WARMUP_MS = 500;
const FANOUT_PUBLISH_MS = 2_000;
const FANOUT_ROUNDS = 2;
/** Events published in one go per event-loop turn: 1, and a batch (as a shared hub or an upstream chunk delivers them). */
const FANOUT_BURSTS = [1, 10];
const PROFILE_MS = 4_000;
const IDLE_CONNECTIONS = 5_000;
const CONNECT_STORM_CLIENTS = 5_000;
const CONNECT_STORM_ROUNDS = 3;
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

function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function connectMany(url: string, count: number, concurrency: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i += concurrency) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(concurrency, count - i) }, () => connect(url)))));
  }
  return sockets;
}

interface EchoRun {
  repliesPerSecond: number;
  p50Micros: number;
  p99Micros: number;
  serverCpuMicrosPerReply: number;
}

/** 50 connections, closed loop: each sends its next request as soon as the previous reply arrives. */
async function closedLoop(server: ServerProcess, measureMs = ECHO_MEASURE_MS): Promise<EchoRun> {
  const sockets = await connectMany(server.wsUrl, ECHO_CONNECTIONS, ECHO_CONNECTIONS);
  const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let measuring = false;
  let running = true;
  let replies = 0;
  sockets.forEach((ws, i) => {
    const frame = JSON.stringify({ id: `c${i}`, channel: 'bench', type: 'echo', payload: PAYLOAD });
    let sentAt = 0;
    ws.on('message', () => {
      const now = performance.now();
      if (measuring) {
        histogram.recordValue(Math.max(1, Math.round((now - sentAt) * 1000)));
        replies += 1;
      }
      if (!running) return;
      sentAt = now;
      ws.send(frame);
    });
    sentAt = performance.now();
    ws.send(frame);
  });
  await sleep(ECHO_WARMUP_MS);
  const before = await server.stats();
  const startedAt = performance.now();
  measuring = true;
  await sleep(measureMs);
  measuring = false;
  const elapsedMs = performance.now() - startedAt;
  const after = await server.stats();
  running = false;
  for (const ws of sockets) ws.terminate();
  const run = {
    repliesPerSecond: (replies * 1000) / elapsedMs,
    p50Micros: histogram.getValueAtPercentile(50),
    p99Micros: histogram.getValueAtPercentile(99),
    serverCpuMicrosPerReply: (after.cpuMicros - before.cpuMicros) / replies,
  };
  histogram.destroy();
  return run;
}

async function echoBenchmark(): Promise<void> {
  console.log(`\n1. Request/reply: echo of a 100-byte JSON payload, ${ECHO_CONNECTIONS} connections, closed loop, ${ECHO_ROUNDS} alternating rounds of ${ECHO_MEASURE_MS / 1000} s`);
  const runs: Record<'bare' | 'reference', EchoRun[]> = { bare: [], reference: [] };
  for (let round = 0; round < ECHO_ROUNDS; round += 1) {
    for (const kind of ['bare', 'reference'] as const) {
      const server = await ServerProcess.start({ kind, port: 0 });
      const run = await closedLoop(server);
      await server.kill();
      runs[kind].push(run);
      console.log(`   round ${round + 1} ${kind.padEnd(9)} ${Math.round(run.repliesPerSecond).toLocaleString('en-US').padStart(7)} replies/s  p50 ${run.p50Micros} µs  p99 ${run.p99Micros} µs  server CPU ${run.serverCpuMicrosPerReply.toFixed(1)} µs/reply`);
    }
  }
  const summary = (kind: 'bare' | 'reference') => ({
    rps: median(runs[kind].map((r) => r.repliesPerSecond)),
    p99: median(runs[kind].map((r) => r.p99Micros)),
    cpu: median(runs[kind].map((r) => r.serverCpuMicrosPerReply)),
  });
  const bare = summary('bare');
  const reference = summary('reference');
  console.log(`   medians: bare ${Math.round(bare.rps).toLocaleString('en-US')}/s p99 ${bare.p99} µs ${bare.cpu.toFixed(1)} µs CPU/reply; reference ${Math.round(reference.rps).toLocaleString('en-US')}/s p99 ${reference.p99} µs ${reference.cpu.toFixed(1)} µs CPU/reply`);
  const rpsRatio = reference.rps / bare.rps;
  const p99Ratio = reference.p99 / bare.p99;
  const cpuRatio = reference.cpu / bare.cpu;
  verdict('replies/s ≥ 1.0× bare ws', rpsRatio >= 1, `${rpsRatio.toFixed(2)}×`);
  verdict('server CPU per reply ≤ 1.0× bare ws', cpuRatio <= 1, `${cpuRatio.toFixed(2)}×`);
  verdict('p99 ≤ 1.0× bare ws', p99Ratio <= 1, `${p99Ratio.toFixed(2)}×`);
}

/** Server CPU per delivered event: `FANOUT_SUBSCRIBERS` clients on one channel, `burst` events published in one go per event-loop turn. */
async function fanOutRun(kind: 'bare-broadcast' | 'gateway', burst: number): Promise<{ cpuMicrosPerDelivery: number; deliveriesPerSecond: number; lost: number }> {
  const server = await ServerProcess.start({ kind, port: 0, pacePublishes: true, publishBurst: burst });
  const sockets = await connectMany(server.wsUrl, FANOUT_SUBSCRIBERS, 250);
  if (kind === 'gateway') {
    await Promise.all(sockets.map((ws) => new Promise((resolve) => {
      ws.once('message', resolve);
      ws.send(JSON.stringify({ id: 's', channel: FANOUT_CHANNEL, type: 'subscribe', payload: null }));
    })));
  }
  let delivered = 0;
  for (const ws of sockets) ws.on('message', () => (delivered += 1));
  const allDelivered = async (events: number): Promise<void> => {
    const deadline = performance.now() + 30_000;
    while (delivered < events * FANOUT_SUBSCRIBERS && performance.now() < deadline) await sleep(20);
  };
  const warmupEvents = (await server.publish(FANOUT_CHANNEL, FANOUT_WARMUP_MS, 1)).count * burst;
  await allDelivered(warmupEvents);
  const before = await server.stats();
  const startedAt = performance.now();
  const events = (await server.publish(FANOUT_CHANNEL, FANOUT_PUBLISH_MS, 1)).count * burst;
  await allDelivered(warmupEvents + events);
  const elapsedMs = performance.now() - startedAt;
  const after = await server.stats();
  const lost = (warmupEvents + events) * FANOUT_SUBSCRIBERS - delivered;
  for (const ws of sockets) ws.terminate();
  await server.kill();
  const deliveries = events * FANOUT_SUBSCRIBERS;
  return { cpuMicrosPerDelivery: (after.cpuMicros - before.cpuMicros) / deliveries, deliveriesPerSecond: (deliveries * 1000) / elapsedMs, lost };
}

async function fanOutBenchmark(burst: number, section: string): Promise<void> {
  console.log(`\n${section}. Fan-out: one channel, ${FANOUT_SUBSCRIBERS.toLocaleString('en-US')} subscribers, ${burst === 1 ? 'one 100-byte event' : `${burst} 100-byte events published in one go`} per event-loop turn for ${FANOUT_PUBLISH_MS / 1000} s, ${FANOUT_ROUNDS} alternating rounds`);
  const runs: Record<'bare-broadcast' | 'gateway', number[]> = { 'bare-broadcast': [], gateway: [] };
  for (let round = 0; round < FANOUT_ROUNDS; round += 1) {
    for (const kind of ['bare-broadcast', 'gateway'] as const) {
      const run = await fanOutRun(kind, burst);
      runs[kind].push(run.cpuMicrosPerDelivery);
      console.log(`   round ${round + 1} ${kind.padEnd(14)} ${Math.round(run.deliveriesPerSecond).toLocaleString('en-US').padStart(9)} deliveries/s  server CPU ${run.cpuMicrosPerDelivery.toFixed(2)} µs/delivery${run.lost === 0 ? '' : `  (${run.lost} not delivered)`}`);
    }
  }
  const bare = median(runs['bare-broadcast']);
  const gateway = median(runs.gateway);
  console.log(`   medians: bare broadcast loop ${bare.toFixed(2)} µs CPU/delivery; gateway ${gateway.toFixed(2)} µs CPU/delivery`);
  verdict(`fan-out CPU per delivery ≤ 0.8× a bare ws broadcast loop (${burst} per turn)`, gateway / bare <= 0.8, `${(gateway / bare).toFixed(2)}×`);
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
  console.log(`\n4. Connect storm: ${CONNECT_STORM_CLIENTS.toLocaleString('en-US')} clients open at once on 127.0.0.1 (each retries a failed attempt after 20–40 ms), ${CONNECT_STORM_ROUNDS} alternating rounds`);
  const limits = openFileLimits();
  if (limits !== undefined && limits.soft < CONNECT_STORM_FDS) {
    // Node raises its soft limit to the hard one at start-up: only a higher hard limit helps.
    console.log(`   SKIPPED: this process may open ${limits.soft} files (Node already raised its soft ulimit -n to the hard limit, ${limits.hard}) and the storm needs ${CONNECT_STORM_FDS}: run it where \`ulimit -Hn\` is at least ${CONNECT_STORM_FDS} (as root: \`ulimit -n ${CONNECT_STORM_FDS}\` before npm).`);
    verdict('5,000-client connect storm ≤ 1.0× bare ws', false, 'not measured: too few file descriptors');
    return;
  }
  const runs: Record<'bare' | 'reference', ConnectStormRun[]> = { bare: [], reference: [] };
  for (let round = 0; round < CONNECT_STORM_ROUNDS; round += 1) {
    for (const kind of ['bare', 'reference'] as const) {
      const server = await ServerProcess.start({ kind, port: 0 });
      const run = await connectStorm(server, CONNECT_STORM_CLIENTS, CONNECT_STORM_TIMEOUT_MS);
      await server.kill();
      runs[kind].push(run);
      console.log(`   round ${round + 1} ${kind.padEnd(9)} all open in ${Math.round(run.allOpenMs).toLocaleString('en-US').padStart(6)} ms  server CPU ${Math.round(run.serverCpuMs).toLocaleString('en-US').padStart(5)} ms (${((run.serverCpuMs * 1000) / CONNECT_STORM_CLIENTS).toFixed(0)} µs/connection)  retries ${run.retries}${run.neverOpened === 0 ? '' : `  NEVER OPENED ${run.neverOpened}`}`);
      await sleep(500);
    }
  }
  const summary = (kind: 'bare' | 'reference') => ({
    ms: median(runs[kind].map((r) => r.allOpenMs)),
    cpu: median(runs[kind].map((r) => r.serverCpuMs)),
    neverOpened: runs[kind].reduce((sum, r) => sum + r.neverOpened, 0),
  });
  const bare = summary('bare');
  const reference = summary('reference');
  console.log(`   medians: bare ws all open in ${Math.round(bare.ms)} ms, ${Math.round(bare.cpu)} ms server CPU; reference ${Math.round(reference.ms)} ms, ${Math.round(reference.cpu)} ms server CPU`);
  const complete = bare.neverOpened === 0 && reference.neverOpened === 0;
  verdict('5,000-client connect storm: time to all open ≤ 1.0× bare ws', complete && reference.ms / bare.ms <= 1, `${(reference.ms / bare.ms).toFixed(2)}×${complete ? '' : ' (some clients never opened)'}`);
  verdict('5,000-client connect storm: server CPU ≤ 1.0× bare ws', reference.cpu / bare.cpu <= 1, `${(reference.cpu / bare.cpu).toFixed(2)}×`);
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
  const server = await ServerProcess.start({ kind: 'reference', port: 0, cpuProfile: { path: profilePath, afterMs: ECHO_WARMUP_MS, durationMs: PROFILE_MS } });
  const run = await closedLoop(server, PROFILE_MS);
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
